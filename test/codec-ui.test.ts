// The Temporal UI showing encrypted payloads through the codec server, in Debian's Chromium:
// a dev server started with --ui-codec-endpoint, as the README tells users, an upgrade started
// with the codec on, and its input read on the workflow's page, decoded by the browser's
// calls to the codec server (cross-origin: the UI and the codec server have their own ports).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { chromium, type Browser } from 'playwright-core';
import { codecFromEnv, dataConverterFromEnv } from '../lib/codec';
import { startCodecServer, type CodecServer } from '../lib/codec-server';
import { freePort } from '../lib/ports';
import { startDevServer, stopDevServer, type DevServer } from '../lib/temporal-dev-server';
import { toolchain } from '../lib/toolchain';
import { blueGreenUpgrade } from '../workflows';
import { uniqueTaskQueue } from './helpers/temporal';

const CODEC_ENV = { BLUEGREEN_CODEC_KEY: crypto.randomBytes(32).toString('base64'), BLUEGREEN_CODEC_KEY_ID: 'ui-key' };
const INSTANCE = `orders-ui-${crypto.randomBytes(4).toString('hex')}`;

let server: DevServer;
let codecServer: CodecServer;
let browser: Browser;
let address: string;
let uiUrl: string;
const decodeCalls: Array<{ namespace?: string }> = [];

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(process.env.RDS_BLUEGREEN_TEST_DIR!, 'codec-ui-'));
  const [uiPort, codecPort] = [await freePort(), await freePort()];
  uiUrl = `http://127.0.0.1:${uiPort}`;
  const codec = codecFromEnv(CODEC_ENV)!;
  // Counts the browser's decode calls on their way to the real codec.
  const counting: PayloadCodec = {
    encode: (p: Payload[]) => codec.encode(p),
    decode: (p: Payload[]) => {
      decodeCalls.push({});
      return codec.decode(p);
    },
  };
  codecServer = await startCodecServer({ codec: counting, port: codecPort, origins: [uiUrl] });
  server = await startDevServer({ dbFile: path.join(dir, 'temporal.db'), logFile: path.join(dir, 'temporal.log'), uiPort, uiCodecEndpoint: codecServer.url });
  address = server.address;
  browser = await chromium.launch({
    executablePath: toolchain().chromium!,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await codecServer?.close();
  if (server) await stopDevServer(server);
});

describe('the Temporal UI with the codec server', () => {
  it('shows the decoded input of an upgrade whose payloads the server holds encrypted', async () => {
    const connection = await Connection.connect({ address });
    const workflowId = `codec-ui-${Date.now()}`;
    try {
      const client = new Client({ connection, dataConverter: dataConverterFromEnv(CODEC_ENV) });
      // No worker polls this queue: the input only has to be stored.
      await client.workflow.start(blueGreenUpgrade, {
        taskQueue: uniqueTaskQueue('codec-ui'),
        workflowId,
        args: [{ blue: { instanceId: INSTANCE, adminPassword: { env: 'BLUE_PASSWORD' } }, green: { instanceId: `${INSTANCE}-green` } } as never],
      });
      const raw = await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory();
      const input = raw.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0];
      expect(Buffer.from(input.data!).toString('utf8')).not.toContain(INSTANCE);

      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(`${uiUrl}/namespaces/default/workflows/${workflowId}`);
      // The input panel shows what the codec server returned.
      await page.getByText(INSTANCE).first().waitFor({ timeout: 30_000 });
      expect(decodeCalls.length).toBeGreaterThan(0);
      await client.workflow.getHandle(workflowId).terminate('test done');
    } finally {
      await connection.close();
    }
  });
});
