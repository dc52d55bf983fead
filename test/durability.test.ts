// The upgrade survives what happens to workers and servers over hours and days: the worker
// SIGKILLed at every phase boundary and inside the long waits, and the Temporal server
// stopped and started again from its database file in the middle. Every part is real.
import fs from 'node:fs';
import path from 'node:path';
import { runUpgradeUnderLoad } from '../demo/run';
import { startStack, type Stack } from '../demo/stack';
import { freePort } from '../lib/ports';
import { startDevServer, stopDevServer, type DevServer } from '../lib/temporal-dev-server';
import type { UpgradeStatus } from '../workflows/messages';
import { uniqueTaskQueue } from './helpers/temporal';
import type { KillPoint } from './helpers/crashing-worker';
import { WorkerProcess } from './helpers/worker-process';

const ROWS = 1000;
const lines: string[] = [];
const log = (line: string) => lines.push(line);

function testDir(name: string): string {
  const dir = fs.mkdtempSync(path.join(process.env.RDS_BLUEGREEN_TEST_DIR!, `durability-${name}-`));
  fs.chmodSync(dir, 0o755);
  return dir;
}

describe('durability', () => {
  it('finishes with equal data when the worker is killed at every phase boundary and inside the long waits', async () => {
    const dir = testDir('kill');
    const stack: Stack = await startStack({ dir, temporalAddress: process.env.TEMPORAL_ADDRESS, taskQueue: uniqueTaskQueue('kill'), rows: ROWS, log, inProcessWorker: false });
    // The first step of each phase (its boundary), and two long waits a moment in.
    const points: KillPoint[] = [
      { activity: 'describeInstance', nth: 1, delayMs: 0 }, // preflight
      { activity: 'createReplicationRole', nth: 1, delayMs: 0 }, // prepareBlue
      { activity: 'snapshotBlue', nth: 1, delayMs: 1500 }, // snapshot, inside the wait
      { activity: 'upgradeSnapshot', nth: 1, delayMs: 0 }, // upgradeSnapshot
      { activity: 'restoreGreen', nth: 1, delayMs: 1500 }, // restoreGreen, inside the wait
      { activity: 'lockLogins', nth: 1, delayMs: 0 }, // prepareGreen
      { activity: 'runChecks', nth: 1, delayMs: 0 }, // checks
      { activity: 'findStartLsn', nth: 1, delayMs: 0 }, // findStartLsn
      { activity: 'advanceOrigin', nth: 1, delayMs: 0 }, // startReplication
      { activity: 'maintainGreen', nth: 1, delayMs: 0 }, // maintainGreen
      // The WAL guard reads the lag in other phases too; apply errors are read only in these two.
      { activity: 'subscriptionErrors', nth: 1, delayMs: 0 }, // catchUp
      { activity: 'subscriptionErrors', nth: 2, delayMs: 0 }, // awaitApproval
      { activity: 'lockLogins', nth: 2, delayMs: 0 }, // cutover: BLUE being locked
      { activity: 'dropSubscription', nth: 2, delayMs: 0 }, // finalize
    ];
    const planFile = path.join(dir, 'crash-plan.json');
    fs.writeFileSync(planFile, JSON.stringify({ points, starts: {}, kills: [] }));
    const worker = new WorkerProcess({ ...stack.workerEnv, BLUEGREEN_CRASH_PLAN: planFile }, path.join(__dirname, 'helpers', 'crashing-worker.ts'));
    try {
      await worker.start();
      worker.superviseRestarts();
      const report = await runUpgradeUnderLoad(stack, { workflowId: `kill-${Date.now()}`, manual: false, rollback: false, initialRows: ROWS, log });
      expect(report).toMatchObject({ outcome: 'finalized', tablesEqual: true, sequencesEqual: true, rowsMissing: 0, countersMatchRows: true });
      const plan = JSON.parse(fs.readFileSync(planFile, 'utf8'));
      expect(plan.points).toEqual([]);
      expect(plan.kills).toHaveLength(points.length);
      // Each kill was followed by a new worker (the last may still be starting as the run ends).
      expect(worker.starts).toBeGreaterThanOrEqual(points.length);
      console.log(`worker killed ${plan.kills.length} times (${plan.kills.join(', ')}); finalized with equal data, freeze ${report.writeFreezeMs} ms`);
    } finally {
      await worker.stop();
      await stack.close();
    }
  }, 900_000);

  it('finishes when the Temporal server stops and starts again from its database file mid-upgrade', async () => {
    const dir = testDir('server');
    const ports = { port: await freePort(), uiPort: await freePort() };
    const serverOptions = { dbFile: path.join(dir, 'temporal.db'), logFile: path.join(dir, 'temporal.log'), headless: true, ...ports };
    let server: DevServer = await startDevServer(serverOptions);
    const stack = await startStack({ dir, temporalAddress: server.address, rows: ROWS, log, inProcessWorker: false });
    const worker = new WorkerProcess(stack.workerEnv);
    try {
      await worker.start();
      let restarted = false;
      const onStatus = async (s: UpgradeStatus) => {
        if (!restarted && s.phase === 'prepareGreen') {
          restarted = true;
          log('stopping the Temporal server');
          await stopDevServer(server);
          await new Promise((r) => setTimeout(r, 2000));
          server = await startDevServer(serverOptions);
          log('the Temporal server is back');
        }
      };
      const report = await runUpgradeUnderLoad(stack, { workflowId: `server-${Date.now()}`, manual: false, rollback: false, initialRows: ROWS, log, onStatus });
      expect(restarted).toBe(true);
      expect(report).toMatchObject({ outcome: 'finalized', tablesEqual: true, sequencesEqual: true, rowsMissing: 0, countersMatchRows: true });
    } finally {
      await worker.stop();
      await stack.close();
      await stopDevServer(server);
    }
  }, 600_000);
});
