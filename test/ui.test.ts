// The Temporal UI as an operator uses it, in Debian's Chromium driven by playwright-core:
// an upgrade started from the UI's start-workflow form with the JSON input, and its
// progress (the current details) read on the workflow's page up to the approval wait.
import { NativeConnection, Worker } from '@temporalio/worker';
import { chromium, type Browser } from 'playwright-core';
import { toolchain } from '../lib/toolchain';
import { statusQuery } from '../workflows/messages';
import { fakeActivities } from './helpers/fake-activities';
import { connectClient, uniqueTaskQueue, workflowsPath } from './helpers/temporal';

const taskQueue = uniqueTaskQueue('ui');
let connection: NativeConnection;
let worker: Worker;
let running: Promise<void>;
let browser: Browser;

beforeAll(async () => {
  connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  worker = await Worker.create({ connection, taskQueue, workflowsPath, activities: fakeActivities() });
  running = worker.run();
  // The flags keep Chromium off the network, which this machine closes to it anyway.
  browser = await chromium.launch({
    executablePath: toolchain().chromium!,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  worker?.shutdown();
  await running;
  await connection?.close();
});

const INPUT = {
  blue: { instanceId: 'orders', database: 'app', adminUser: 'master', adminPassword: { env: 'BLUE_PASSWORD' } },
  green: { instanceId: 'orders-green', upgradePath: ['17.10'] },
  replication: { password: { env: 'REPLICATION_PASSWORD' } },
  appUsers: ['app_rw'],
  pollMinutes: 0.01,
};

describe('the Temporal UI', () => {
  it('starts an upgrade from its form and shows it waiting for the cutover approval', async () => {
    const workflowId = `ui-${Date.now()}`;
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${process.env.TEMPORAL_UI_URL}/namespaces/default/workflows/start-workflow`);
    await page.locator('#workflowId').fill(workflowId);
    await page.locator('#taskQueue').fill(taskQueue);
    await page.locator('#workflowType').fill('blueGreenUpgrade');
    await page.locator('.cm-content').click();
    await page.keyboard.insertText(JSON.stringify(INPUT));
    // The editor hands its text to the form when it loses focus, as it does for a person.
    await page.keyboard.press('Tab');
    const started = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes(`/workflows/${workflowId}`), { timeout: 30_000 });
    await page.getByRole('button', { name: 'Start Workflow' }).click();
    expect((await started).status()).toBe(200);
    await page.getByText('Workflow started successfully').waitFor({ timeout: 10_000 });

    // The workflow's page shows each step's activity summary, and in its user metadata the
    // current details: what the upgrade waits for.
    await page.goto(`${process.env.TEMPORAL_UI_URL}/namespaces/default/workflows/${workflowId}`);
    await page.getByText('seed 1.3: logical slot on BLUE').first().waitFor({ timeout: 30_000 });
    // The UI renders the details' markdown in a sandboxed frame.
    const details = page.frameLocator('iframe').getByText('waiting for approveCutover');
    const deadline = Date.now() + 60_000;
    // The approval wait comes a few seconds after the start: look again until it shows.
    for (;;) {
      await page.getByText('User Metadata').first().click();
      const shown = await details
        .first()
        .waitFor({ timeout: 5000 })
        .then(() => true, () => false);
      if (shown) break;
      if (Date.now() > deadline) throw new Error('the UI never showed the approval wait in the current details');
      await page.reload();
    }

    // The same facts through the status query, and the input arrived as typed.
    const { client, close } = await connectClient();
    try {
      const handle = client.workflow.getHandle(workflowId);
      expect(await handle.query(statusQuery)).toMatchObject({ phase: 'awaitApproval', waitingFor: { what: 'approveCutover', from: 'operator' } });
      await handle.executeUpdate('abort', { args: ['UI test over'] });
      expect(await handle.result()).toMatchObject({ outcome: 'aborted' });
    } finally {
      await close();
    }
  });
});
