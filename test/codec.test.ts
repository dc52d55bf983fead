// Payload encryption (lib/codec.ts) with the real parts: the worker process (worker/main.ts)
// and the bluegreen CLI with a key, the dev server storing only ciphertext, a client without
// the key reading it back raw, and the codec server (npm run codec-server) the UI calls.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure, type Payload } from '@temporalio/common';
import { errorLine, main } from '../client/main';
import { CodecError, codecKeysFromEnv, dataConverterFromEnv, EncryptionCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../lib/codec';
import { payloadToJson, startCodecServer } from '../lib/codec-server';
import { temporalSettings } from '../worker/config';
import { blueGreenUpgrade, workerCheck } from '../workflows';
import { fetchAllRuns, historyText, type HistoryEvent } from './helpers/history-scan';
import { connectClient, uniqueTaskQueue } from './helpers/temporal';
import { WorkerProcess } from './helpers/worker-process';

const root = path.join(__dirname, '..');
const KEY = crypto.randomBytes(32).toString('base64');
const KEY_ID = 'test-key-1';
const CODEC_ENV = { BLUEGREEN_CODEC_KEY: KEY, BLUEGREEN_CODEC_KEY_ID: KEY_ID };
const INSTANCE = `orders-codec-${crypto.randomBytes(4).toString('hex')}`;
const workerQueue = uniqueTaskQueue('codec-worker');
// Nobody polls it: the CLI's upgrade only has to be stored, not run.
const idleQueue = uniqueTaskQueue('codec-idle');

let worker: WorkerProcess;
let raw: { client: Client; close: () => Promise<void> };
let dir: string;

/** A client of the worker/config.ts settings, as the CLI makes it, for an environment. */
async function clientFor(env: NodeJS.ProcessEnv): Promise<{ client: Client; close: () => Promise<void> }> {
  const settings = temporalSettings({ ...process.env, ...env });
  const connection = await Connection.connect(settings.connectionOptions);
  return { client: new Client({ connection, namespace: settings.namespace, dataConverter: settings.dataConverter }), close: () => connection.close() };
}

const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('utf8');

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(process.env.RDS_BLUEGREEN_TEST_DIR!, 'codec-'));
  Object.assign(process.env, CODEC_ENV, { TEMPORAL_TASK_QUEUE: idleQueue });
  worker = new WorkerProcess({ ...CODEC_ENV, TEMPORAL_TASK_QUEUE: workerQueue, TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS });
  await worker.start();
  raw = await connectClient();
});

afterAll(async () => {
  await worker?.stop();
  await raw?.close();
  for (const name of ['BLUEGREEN_CODEC_KEY', 'BLUEGREEN_CODEC_KEY_ID', 'TEMPORAL_TASK_QUEUE']) delete process.env[name];
});

describe('payload encryption', () => {
  let startedPayload: Payload;

  it('the CLI with a key starts an upgrade whose input the server holds encrypted', async () => {
    const file = path.join(dir, 'upgrade.yaml');
    fs.writeFileSync(
      file,
      `blue: { instanceId: ${INSTANCE}, database: app, adminUser: master, adminPassword: { env: BLUE_PASSWORD } }
green: { instanceId: ${INSTANCE}-green, upgradePath: ["17.10"] }
replication: { password: { env: REPLICATION_PASSWORD } }
`,
    );
    const workflowId = `codec-cli-${Date.now()}`;
    const out: string[] = [];
    const code = await main(['start', file, '--id', workflowId], (t) => out.push(t)).catch((err: unknown) => {
      throw new Error(errorLine(err));
    });
    expect(code).toBe(0);
    try {
      // Read back without the key: ciphertext only.
      const [started] = (await raw.client.workflow.getHandle(workflowId).fetchHistory()).events!;
      const input = started.workflowExecutionStartedEventAttributes!.input!.payloads!;
      expect(input).toHaveLength(1);
      expect(text(input[0].metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
      expect(text(input[0].metadata![KEY_ID_METADATA])).toBe(KEY_ID);
      expect(text(input[0].data)).not.toContain(INSTANCE);
      expect(historyText([started])).not.toContain('REPLICATION_PASSWORD');
      // The summary and details the CLI gives the UI name the instance: encrypted as well.
      expect(historyText([started])).not.toContain(INSTANCE);
      startedPayload = input[0] as Payload;
      // The client with the key reads it as given.
      const withKey = await clientFor(CODEC_ENV);
      try {
        const decoded = await withKey.client.workflow.getHandle(workflowId).fetchHistory();
        expect(decoded.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0].data).toBeDefined();
        const description = await withKey.client.workflow.getHandle(workflowId).describe();
        expect(description.status.name).toBe('RUNNING');
      } finally {
        await withKey.close();
      }
    } finally {
      await raw.client.workflow.getHandle(workflowId).terminate('test done');
    }
  });

  it('the worker with the key runs a workflow; its result is ciphertext to a client without the key', async () => {
    const withKey = await clientFor(CODEC_ENV);
    const workflowId = `codec-worker-check-${Date.now()}`;
    try {
      const info = await withKey.client.workflow.execute(workerCheck, { taskQueue: workerQueue, workflowId });
      expect(info.taskQueue).toBe(workerQueue);
    } finally {
      await withKey.close();
    }
    const [run] = await fetchAllRuns(raw.client, workflowId);
    const results = run.events.flatMap((e: HistoryEvent) => [e.activityTaskCompletedEventAttributes?.result, e.workflowExecutionCompletedEventAttributes?.result]).filter(Boolean);
    expect(results).toHaveLength(2);
    for (const r of results) expect(text(r!.payloads![0].metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(historyText(run.events)).not.toContain('"nodeVersion"');
    // Without the codec the SDK cannot read it at all.
    await expect(raw.client.workflow.getHandle(workflowId).result()).rejects.toThrow(/encoding/i);
  });

  it('failure messages are encrypted too, and read back with the key', async () => {
    const withKey = await clientFor(CODEC_ENV);
    const workflowId = `codec-failure-${Date.now()}`;
    try {
      // An input with problems: the workflow fails at once, naming the fields.
      const handle = await withKey.client.workflow.start(blueGreenUpgrade, { taskQueue: workerQueue, workflowId, args: [{ blue: { instanceId: INSTANCE } } as never] });
      const err = (await handle.result().then(
        () => new Error('the workflow did not fail'),
        (e: unknown) => e,
      )) as Error & { cause?: ApplicationFailure };
      expect(err.cause).toBeInstanceOf(ApplicationFailure);
      expect(err.cause!.message).toMatch(/green/);
    } finally {
      await withKey.close();
    }
    const [run] = await fetchAllRuns(raw.client, workflowId);
    const failure = run.events[run.events.length - 1].workflowExecutionFailedEventAttributes!.failure!;
    expect(failure.message).toBe('Encoded failure');
    expect(text(failure.encodedAttributes!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(historyText(run.events)).not.toMatch(/green\./);
  });

  it('a wrong key fails clearly, naming the key id; an earlier key still decrypts after rotation', async () => {
    const workflowId = `codec-rotation-${Date.now()}`;
    const withKey = await clientFor(CODEC_ENV);
    try {
      await withKey.client.workflow.execute(workerCheck, { taskQueue: workerQueue, workflowId });
    } finally {
      await withKey.close();
    }
    const other = crypto.randomBytes(32).toString('base64');
    const cases: Array<[NodeJS.ProcessEnv, RegExp | null]> = [
      [{ BLUEGREEN_CODEC_KEY: other, BLUEGREEN_CODEC_KEY_ID: KEY_ID }, /cannot decrypt a payload encrypted with key "test-key-1"/],
      [{ BLUEGREEN_CODEC_KEY: other, BLUEGREEN_CODEC_KEY_ID: 'test-key-2' }, /encrypted with key "test-key-1", which this process does not have/],
      [{ BLUEGREEN_CODEC_KEY: other, BLUEGREEN_CODEC_KEY_ID: 'test-key-2', BLUEGREEN_CODEC_OLD_KEYS: `${KEY_ID}:${KEY}` }, null],
    ];
    for (const [env, error] of cases) {
      const c = await clientFor({ BLUEGREEN_CODEC_KEY_FILE: '', BLUEGREEN_CODEC_OLD_KEYS: '', ...env });
      try {
        const result = c.client.workflow.getHandle(workflowId).result();
        if (error) await expect(result).rejects.toThrow(error);
        else expect((await result).taskQueue).toBe(workerQueue);
      } finally {
        await c.close();
      }
    }
  });

  it('a bad key stops the worker and the CLI at start, naming the variable', async () => {
    const bad = new WorkerProcess({ BLUEGREEN_CODEC_KEY: Buffer.from('too short').toString('base64'), TEMPORAL_TASK_QUEUE: uniqueTaskQueue('codec-bad') });
    await expect(bad.start()).rejects.toThrow(/BLUEGREEN_CODEC_KEY decodes to 9 bytes, not 32/);
    const keyFile = path.join(dir, 'key');
    fs.writeFileSync(keyFile, `${KEY}\n`);
    expect(codecKeysFromEnv({ BLUEGREEN_CODEC_KEY_FILE: keyFile, BLUEGREEN_CODEC_KEY_ID: KEY_ID })?.keys.get(KEY_ID)?.toString('base64')).toBe(KEY);
    const problems: Array<[NodeJS.ProcessEnv, RegExp]> = [
      [{ BLUEGREEN_CODEC_KEY: 'not base64!' }, /BLUEGREEN_CODEC_KEY is not base64/],
      [{ BLUEGREEN_CODEC_KEY_FILE: path.join(dir, 'missing') }, /BLUEGREEN_CODEC_KEY_FILE: cannot read .*missing/],
      [{ BLUEGREEN_CODEC_KEY: KEY, BLUEGREEN_CODEC_KEY_FILE: keyFile }, /both set/],
      [{ BLUEGREEN_CODEC_KEY_ID: 'x' }, /BLUEGREEN_CODEC_KEY_ID is set but neither/],
      [{ BLUEGREEN_CODEC_KEY: KEY, BLUEGREEN_CODEC_KEY_ID: 'a b' }, /BLUEGREEN_CODEC_KEY_ID "a b" is not a key id/],
      [{ BLUEGREEN_CODEC_KEY: KEY, BLUEGREEN_CODEC_OLD_KEYS: 'old' }, /BLUEGREEN_CODEC_OLD_KEYS: each entry is "id:base64key"/],
    ];
    for (const [env, message] of problems) {
      expect(() => temporalSettings(env)).toThrow(CodecError);
      expect(() => temporalSettings(env)).toThrow(message);
    }
    expect(dataConverterFromEnv({})).toBeUndefined();
    expect(temporalSettings({}).dataConverter).toBeUndefined();
  });

  describe('the codec server', () => {
    let child: ChildProcess;
    let url: string;
    const UI = 'http://localhost:8233';

    beforeAll(async () => {
      // npm run codec-server, on a free port.
      child = spawn(path.join(root, 'node_modules', '.bin', 'tsx'), [path.join(root, 'lib', 'codec-server-main.ts')], {
        cwd: root,
        env: { ...process.env, ...CODEC_ENV, BLUEGREEN_CODEC_PORT: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      url = await new Promise<string>((resolve, reject) => {
        let output = '';
        child.stdout!.on('data', (d: Buffer) => {
          output += d.toString();
          const m = output.match(/codec server: (http:\/\/\S+)/);
          if (m) resolve(m[1]);
        });
        child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
        child.once('exit', (c) => reject(new Error(`the codec server exited with ${c}: ${output}`)));
      });
    });

    afterAll(async () => {
      if (child && child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    });

    const post = (route: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${url}${route}`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', Origin: UI, ...headers }, body: JSON.stringify(body) });

    it('decodes the stored input for the UI: the original JSON comes back', async () => {
      expect(startedPayload).toBeDefined();
      for (const route of ['/decode', '/default/decode']) {
        const res = await post(route, { payloads: [payloadToJson(startedPayload)] });
        expect(res.status).toBe(200);
        expect(res.headers.get('access-control-allow-origin')).toBe(UI);
        const body = (await res.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
        expect(Buffer.from(body.payloads[0].metadata.encoding, 'base64').toString()).toBe('json/plain');
        const input = JSON.parse(Buffer.from(body.payloads[0].data, 'base64').toString());
        expect(input.blue).toEqual({ instanceId: INSTANCE, database: 'app', adminUser: 'master', adminPassword: { env: 'BLUE_PASSWORD' } });
      }
    });

    it('encodes for the UI (a start form) what the worker then decodes', async () => {
      const plain = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('{"hello":"world"}').toString('base64') };
      const res = await post('/encode', { payloads: [plain] });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
      expect(Buffer.from(body.payloads[0].metadata.encoding, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
      const back = await new EncryptionCodec(codecKeysFromEnv(CODEC_ENV)!).decode([
        { metadata: Object.fromEntries(Object.entries(body.payloads[0].metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])), data: Buffer.from(body.payloads[0].data, 'base64') },
      ]);
      expect(text(back[0].data)).toBe('{"hello":"world"}');
    });

    it('answers the browser preflight for the UI origin, and refuses other origins', async () => {
      const preflight = await fetch(`${url}/decode`, {
        method: 'OPTIONS',
        headers: { Origin: UI, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace,authorization' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe(UI);
      expect(preflight.headers.get('access-control-allow-methods')).toMatch(/POST/);
      expect(preflight.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/i);
      expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
      const other = await fetch(`${url}/decode`, { method: 'OPTIONS', headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' } });
      expect(other.status).toBe(403);
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      expect((await post('/decode', { payloads: [] }, { Origin: 'http://evil.example' })).status).toBe(403);
    });

    it('reports a payload it cannot decrypt, and bad requests, with a clear error', async () => {
      const otherCodec = new EncryptionCodec({ currentId: KEY_ID, keys: new Map([[KEY_ID, crypto.randomBytes(32)]]) });
      const [foreign] = await otherCodec.encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('1') }]);
      const res = await post('/decode', { payloads: [payloadToJson(foreign)] });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/cannot decrypt a payload encrypted with key "test-key-1"/);
      expect((await post('/decode', { nope: 1 })).status).toBe(400);
      expect((await fetch(`${url}/decode`)).status).toBe(405);
      expect((await post('/other', { payloads: [] })).status).toBe(404);
    });

    it('with a token, wants it as a bearer token', async () => {
      const server = await startCodecServer({ codec: new EncryptionCodec(codecKeysFromEnv(CODEC_ENV)!), port: 0, origins: [UI], token: 'codec-token-1' });
      try {
        const call = (auth?: string) =>
          fetch(`${server.url}/decode`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: auth } : {}) }, body: JSON.stringify({ payloads: [payloadToJson(startedPayload)] }) });
        expect((await call()).status).toBe(401);
        expect((await call('Bearer wrong')).status).toBe(401);
        expect((await call('Bearer codec-token-1')).status).toBe(200);
      } finally {
        await server.close();
      }
    });
  });
});
