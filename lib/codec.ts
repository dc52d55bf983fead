// An opt-in payload codec: AES-256-GCM over every payload the workers and clients send to
// Temporal (inputs, results, signals, updates, queries, and with the failure converter below
// failure messages and stack traces). The server, and anyone reading history without the key,
// sees only `binary/encrypted` payloads. Each payload names the key it was encrypted with, so
// keys can rotate: a new current key encrypts, earlier keys still decrypt.
//
// Turned on by the environment of each process (worker, CLI, demo, codec server):
//   BLUEGREEN_CODEC_KEY       the current key, 32 bytes in base64 (openssl rand -base64 32)
//   BLUEGREEN_CODEC_KEY_FILE  or a file holding it (a Kubernetes or Docker secret)
//   BLUEGREEN_CODEC_KEY_ID    its name, stored with each payload (default: a fingerprint of the key)
//   BLUEGREEN_CODEC_OLD_KEYS  earlier keys that still decrypt: "id:base64,id:base64"
//
// Codecs run outside the workflow sandbox; workflow code never imports this file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import protobuf from 'protobufjs';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
export const CIPHER_METADATA = 'encryption-cipher';
const CIPHER = 'AES-256-GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** temporal.api.common.v1.Payload, the wire form of the payload inside the ciphertext. */
const PayloadMessage = new protobuf.Type('Payload')
  .add(new protobuf.MapField('metadata', 1, 'string', 'bytes'))
  .add(new protobuf.Field('data', 2, 'bytes'));

export interface CodecKeys {
  /** The key new payloads are encrypted with. */
  currentId: string;
  /** Every key that decrypts, the current one included. */
  keys: Map<string, Buffer>;
}

/** The codec's own errors: a payload it cannot decrypt, a key it cannot use. */
export class CodecError extends Error {
  override name = 'CodecError';
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : '');

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keys: CodecKeys) {
    const current = keys.keys.get(keys.currentId);
    if (!current || current.length !== 32) throw new CodecError(`the current key ${JSON.stringify(keys.currentId)} must be 32 bytes`);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const id = this.keys.currentId;
    const key = this.keys.keys.get(id)!;
    return payloads.map((payload) => {
      const plain = PayloadMessage.encode(PayloadMessage.fromObject({ metadata: payload.metadata ?? {}, data: payload.data ?? new Uint8Array() })).finish();
      const iv = crypto.randomBytes(IV_BYTES);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
      // The key id is authenticated too: a payload moved to another key id fails to decrypt.
      cipher.setAAD(Buffer.from(id, 'utf8'));
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(id), [CIPHER_METADATA]: utf8(CIPHER) },
        data: new Uint8Array(sealed),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      // Payloads written before encryption was turned on stay readable.
      if (text(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
      const id = text(payload.metadata?.[KEY_ID_METADATA]);
      const key = this.keys.keys.get(id);
      if (!key) {
        throw new CodecError(
          `a payload is encrypted with key ${JSON.stringify(id)}, which this process does not have (it has ${[...this.keys.keys.keys()].map((k) => JSON.stringify(k)).join(', ')}): ` +
            'set BLUEGREEN_CODEC_KEY and BLUEGREEN_CODEC_KEY_ID to that key, or list it in BLUEGREEN_CODEC_OLD_KEYS',
        );
      }
      const sealed = Buffer.from(payload.data ?? new Uint8Array());
      if (sealed.length < IV_BYTES + TAG_BYTES) throw new CodecError(`an encrypted payload (key ${JSON.stringify(id)}) is too short to be one`);
      let plain: Buffer;
      try {
        const decipher = crypto.createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(id, 'utf8'));
        decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
        plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new CodecError(
          `cannot decrypt a payload encrypted with key ${JSON.stringify(id)}: this process's key of that id is a different key, or the payload was altered (check BLUEGREEN_CODEC_KEY / BLUEGREEN_CODEC_OLD_KEYS)`,
        );
      }
      const inner = PayloadMessage.decode(plain) as unknown as { metadata?: Record<string, Uint8Array>; data?: Uint8Array };
      const metadata = Object.fromEntries(Object.entries(inner.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(v)]));
      return { metadata, data: new Uint8Array(inner.data ?? []) };
    });
  }
}

/** A key in base64 that must come out as 32 bytes; `what` names where it came from. */
function parseKey(value: string, what: string): Buffer {
  const trimmed = value.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) throw new CodecError(`${what} is not base64: give 32 random bytes in base64 (openssl rand -base64 32)`);
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new CodecError(`${what} decodes to ${key.length} bytes, not 32: give 32 random bytes in base64 (openssl rand -base64 32)`);
  return key;
}

function checkId(id: string, what: string): string {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new CodecError(`${what} ${JSON.stringify(id)} is not a key id: use 1 to 64 letters, digits, dots, dashes or underscores`);
  return id;
}

/** The keys the environment gives, undefined when encryption is off. Throws, naming the variable, on a bad key. */
export function codecKeysFromEnv(env: NodeJS.ProcessEnv = process.env): CodecKeys | undefined {
  const inline = env.BLUEGREEN_CODEC_KEY;
  const file = env.BLUEGREEN_CODEC_KEY_FILE;
  if (!inline && !file) {
    for (const name of ['BLUEGREEN_CODEC_KEY_ID', 'BLUEGREEN_CODEC_OLD_KEYS']) {
      if (env[name]) throw new CodecError(`${name} is set but neither BLUEGREEN_CODEC_KEY nor BLUEGREEN_CODEC_KEY_FILE is: set one of them to turn payload encryption on, or unset ${name}`);
    }
    return undefined;
  }
  if (inline && file) throw new CodecError('BLUEGREEN_CODEC_KEY and BLUEGREEN_CODEC_KEY_FILE are both set: set one of them');
  let current: Buffer;
  if (inline) current = parseKey(inline, 'BLUEGREEN_CODEC_KEY');
  else {
    let content: string;
    try {
      content = fs.readFileSync(file!, 'utf8');
    } catch (err) {
      throw new CodecError(`BLUEGREEN_CODEC_KEY_FILE: cannot read ${file}: ${(err as Error).message}`);
    }
    current = parseKey(content, `BLUEGREEN_CODEC_KEY_FILE (${file})`);
  }
  const currentId = checkId(env.BLUEGREEN_CODEC_KEY_ID || keyFingerprint(current), 'BLUEGREEN_CODEC_KEY_ID');
  const keys = new Map<string, Buffer>();
  for (const entry of (env.BLUEGREEN_CODEC_OLD_KEYS ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
    const colon = entry.indexOf(':');
    if (colon < 1) throw new CodecError('BLUEGREEN_CODEC_OLD_KEYS: each entry is "id:base64key", separated by commas');
    const id = checkId(entry.slice(0, colon), 'BLUEGREEN_CODEC_OLD_KEYS: the id');
    keys.set(id, parseKey(entry.slice(colon + 1), `BLUEGREEN_CODEC_OLD_KEYS: the key of ${JSON.stringify(id)}`));
  }
  const clash = keys.get(currentId);
  if (clash && !clash.equals(current)) throw new CodecError(`BLUEGREEN_CODEC_OLD_KEYS gives another key for the current key id ${JSON.stringify(currentId)}: a key id names one key`);
  keys.set(currentId, current);
  return { currentId, keys };
}

/** A default key id: names the key without revealing it. */
export function keyFingerprint(key: Buffer): string {
  return `k-${crypto.createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

export function codecFromEnv(env: NodeJS.ProcessEnv = process.env): EncryptionCodec | undefined {
  const keys = codecKeysFromEnv(env);
  return keys && new EncryptionCodec(keys);
}

/**
 * The data converter of every worker and client: the default one when encryption is off;
 * with it on, the codec, and failure messages and stack traces moved into encrypted payloads.
 */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  const codec = codecFromEnv(env);
  return codec && { payloadCodecs: [codec], failureConverterPath: require.resolve('./failure-converter') };
}
