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
  it('finishes with equal data when the worker is killed at every phase boundary and in the long waits', async () => {
    const stack: Stack = await startStack({ dir: testDir('kill'), temporalAddress: process.env.TEMPORAL_ADDRESS, taskQueue: uniqueTaskQueue('kill'), rows: ROWS, log, inProcessWorker: false });
    const worker = new WorkerProcess(stack.workerEnv);
    try {
      await worker.start();
      const seen = new Set<string>();
      let killedInWait = false;
      const onStatus = async (s: UpgradeStatus) => {
        const fresh = s.phases.map((p) => p.phase).filter((p) => !seen.has(p));
        fresh.forEach((p) => seen.add(p));
        if (fresh.length > 0) {
          log(`killing the worker as ${fresh.join(', ')} begins`);
          await worker.restart();
        } else if (!killedInWait && s.phase === 'restoreGreen') {
          // Inside a long wait: the restore, which heartbeats while the SDK's waiter polls.
          killedInWait = true;
          await worker.restart();
        }
      };
      const report = await runUpgradeUnderLoad(stack, { workflowId: `kill-${Date.now()}`, manual: false, rollback: false, initialRows: ROWS, log, onStatus });
      expect(report).toMatchObject({ outcome: 'finalized', tablesEqual: true, sequencesEqual: true, rowsMissing: 0, countersMatchRows: true });
      // Every phase began with a kill, and one long wait had one more.
      expect(worker.kills).toBeGreaterThanOrEqual(15);
      expect(killedInWait).toBe(true);
      console.log(`worker killed ${worker.kills} times; the upgrade finalized with equal data (freeze ${report.writeFreezeMs} ms)`);
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
