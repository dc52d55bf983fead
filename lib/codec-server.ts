// The codec server the Temporal UI and CLI call to show encrypted payloads (lib/codec.ts):
// POST /decode and POST /encode (also under /{namespace}/...), each taking and returning
// {"payloads": [{"metadata": {"key": base64}, "data": base64}]}, the proto3 JSON of Payloads.
// The UI calls it from the browser, so it answers CORS preflights for the UI's origin.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** Origins whose pages may call it: the Temporal UI's. */
  origins: string[];
  /** When set, requests must carry `Authorization: Bearer <token>`. */
  token?: string;
  log?: (line: string) => void;
}

export interface CodecServer {
  url: string;
  close(): Promise<void>;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const MAX_BODY = 8 * 1024 * 1024;

export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function payloadFromJson(p: JsonPayload): Payload {
  if (typeof p !== 'object' || p === null) throw new RequestError(400, 'each payload must be an object');
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) {
    if (typeof v !== 'string') throw new RequestError(400, `metadata ${k} must be a base64 string`);
    metadata[k] = new Uint8Array(Buffer.from(v, 'base64'));
  }
  if (p.data !== undefined && typeof p.data !== 'string') throw new RequestError(400, 'data must be a base64 string');
  return { metadata, data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')) };
}

export function payloadToJson(p: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) if (v) metadata[k] = Buffer.from(v).toString('base64');
  return { metadata, data: Buffer.from(p.data ?? new Uint8Array()).toString('base64') };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new RequestError(413, `the body is over ${MAX_BODY} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const log = options.log ?? (() => undefined);
  const server = http.createServer((req, res) => {
    const origin = req.headers.origin;
    const allowed = origin !== undefined && (options.origins.includes(origin) || options.origins.includes('*'));
    if (allowed) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      // The UI may send its login token (pass access token) and cookies (include credentials).
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    const reply = (status: number, body?: unknown) => {
      if (body === undefined) res.writeHead(status).end();
      else res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    };
    const route = (req.url ?? '').split('?')[0].match(/^(?:\/[^/]+)?\/(encode|decode)$/);
    if (req.method === 'OPTIONS') {
      if (!route || !allowed) return reply(403, { error: `origin ${origin ?? '(none)'} is not allowed: set BLUEGREEN_CODEC_CORS_ORIGINS` });
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      res.setHeader('Access-Control-Max-Age', '600');
      return reply(204);
    }
    if (!route) return reply(404, { error: 'not found: POST /encode or /decode' });
    if (req.method !== 'POST') return reply(405, { error: 'use POST' });
    if (origin !== undefined && !allowed) return reply(403, { error: `origin ${origin} is not allowed: set BLUEGREEN_CODEC_CORS_ORIGINS` });
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) return reply(401, { error: 'a valid Authorization: Bearer token is required' });
    const action = route[1] as 'encode' | 'decode';
    readBody(req)
      .then(async (body) => {
        let parsed: { payloads?: JsonPayload[] };
        try {
          parsed = JSON.parse(body) as { payloads?: JsonPayload[] };
        } catch {
          throw new RequestError(400, 'the body is not JSON');
        }
        if (!Array.isArray(parsed?.payloads)) throw new RequestError(400, 'the body must be {"payloads": [...]}');
        const payloads = parsed.payloads.map(payloadFromJson);
        const out = action === 'decode' ? await options.codec.decode(payloads) : await options.codec.encode(payloads);
        reply(200, { payloads: out.map(payloadToJson) });
      })
      .catch((err: unknown) => {
        const status = err instanceof RequestError ? err.status : 400;
        log(`codec server: ${action} failed (${status}): ${(err as Error).message}`);
        reply(status, { error: (err as Error).message });
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
