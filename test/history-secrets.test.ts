// No password in workflow history: a complete upgrade with every part real (local RDS over
// PostgreSQL 15 and 17, an application writing all along) through cutover and rollback, its
// passwords given by reference (BLUE's master password as a Secrets Manager secret, the
// replication password as an environment variable of the worker), one activity failing once
// on the way. Then every run of its history, read WITHOUT a codec, is searched for the
// password values and their base64; the references must be there, the values must not.
import fs from 'node:fs';
import path from 'node:path';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { runUpgradeUnderLoad } from '../demo/run';
import { startStack, type Stack } from '../demo/stack';
import { version } from '../package.json';
import { fetchAllRuns, historyText, secretsIn, type HistoryEvent } from './helpers/history-scan';
import { connectClient, uniqueTaskQueue, workflowsPath } from './helpers/temporal';

const ROWS = 1000;
const FAILED_ONCE = 'createSubscription';
const lines: string[] = [];

describe('workflow history', () => {
  let s: Stack | undefined;

  afterAll(async () => {
    await s?.close();
  });

  it('of a complete upgrade holds the password references, never the passwords', async () => {
    // The scan reads history as the server stores it: no codec may hide anything here.
    for (const name of ['BLUEGREEN_CODEC_KEY', 'BLUEGREEN_CODEC_KEY_FILE']) delete process.env[name];
    const dir = fs.mkdtempSync(path.join(process.env.RDS_BLUEGREEN_TEST_DIR!, 'history-secrets-'));
    fs.chmodSync(dir, 0o755);
    s = await startStack({ dir, temporalAddress: process.env.TEMPORAL_ADDRESS, taskQueue: uniqueTaskQueue('history-secrets'), rows: ROWS, log: (l) => lines.push(l), inProcessWorker: false });
    const stack = s;

    const secrets = {
      'BLUE master password': stack.blue.master.password,
      'replication password': stack.workerEnv.DEMO_REPLICATION_PASSWORD!,
      'application password': stack.blue.app.password,
    };
    for (const value of Object.values(secrets)) expect(value.length).toBeGreaterThanOrEqual(16);
    // BLUE's master password as RDS keeps it in Secrets Manager: a JSON secret.
    const masterSecret = await stack.aws.secretsManager.send(
      new CreateSecretCommand({ Name: 'demo-blue-master', SecretString: JSON.stringify({ username: stack.blue.master.user, password: stack.blue.master.password }) }),
    );
    const arn = masterSecret.ARN!;
    const workflowId = `history-secrets-${Date.now()}`;
    const input = (overrides: Record<string, unknown> = {}) =>
      stack.upgradeInput({
        blue: { instanceId: stack.blue.instanceId, database: stack.blue.database, adminUser: stack.blue.master.user, adminPassword: { secretArn: arn } },
        // A short history limit: the long waits continue as new, and every run is searched.
        historyLimit: 100,
        ...overrides,
      });
    expect(JSON.stringify(input())).not.toContain(stack.blue.master.password);

    // The worker of this test: the real activities, the first attempt of one failing.
    let failures = 0;
    const connection = await NativeConnection.connect({ address: stack.temporalAddress });
    let report: Awaited<ReturnType<typeof runUpgradeUnderLoad>>;
    try {
      const worker = await Worker.create({
        connection,
        taskQueue: stack.taskQueue,
        workflowsPath,
        activities: createActivities({ packageVersion: version, ...stack.aws, waiterDelay: { minDelay: 1, maxDelay: 1 } }),
        interceptors: {
          activity: [
            (ctx) => ({
              inbound: {
                async execute(callInput, next) {
                  if (ctx.info.activityType === FAILED_ONCE && ctx.info.attempt === 1) {
                    failures += 1;
                    throw new Error(`injected failure of ${FAILED_ONCE}: the connection to the server was lost`);
                  }
                  return next(callInput);
                },
              },
            }),
          ],
        },
      });
      report = await worker.runUntil(
        runUpgradeUnderLoad({ ...stack, upgradeInput: input }, { workflowId, manual: false, rollback: true, initialRows: ROWS, log: (l) => lines.push(l) }),
      );
    } finally {
      await connection.close();
    }
    expect(report).toMatchObject({ outcome: 'rolledBack', tablesEqual: true, rowsMissing: 0 });
    expect(failures).toBeGreaterThanOrEqual(1);

    const { client, close } = await connectClient();
    try {
      const runs = await fetchAllRuns(client, workflowId);
      const events = runs.flatMap((r) => r.events);
      console.log(`history of ${workflowId}: ${runs.length} runs, ${events.length} events`);
      // historyLimit 100: the upgrade continued as new at least once, and every run is read.
      expect(runs.length).toBeGreaterThanOrEqual(2);
      const last = runs[runs.length - 1].events;
      expect(last[last.length - 1].workflowExecutionCompletedEventAttributes).toBeTruthy();
      const text = historyText(events);

      // The scan finds what it looks for: the references, the failure, the approvals...
      expect(text).toContain(arn);
      expect(text).toContain('DEMO_REPLICATION_PASSWORD');
      expect(text).toContain(`injected failure of ${FAILED_ONCE}`);
      expect(text).toContain('approveRollback');
      // ...and would find a password, in plain text or base64, in a payload of this history.
      const started = events[0];
      for (const value of Object.values(secrets)) {
        const leaked: HistoryEvent = {
          ...started,
          workflowExecutionStartedEventAttributes: {
            ...started.workflowExecutionStartedEventAttributes,
            input: { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify({ password: Buffer.from(`x${value}`).toString('base64') })) }] },
          },
        };
        expect(secretsIn(historyText([leaked]), secrets).length).toBe(1);
      }

      expect(secretsIn(text, secrets)).toEqual([]);
    } finally {
      await close();
    }
  });
});
