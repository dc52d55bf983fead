// End to end with every part real: the dev server, a worker with the real activities, the
// local RDS over PostgreSQL 15 and 17, logical replication, and an application that keeps
// writing through the whole upgrade.
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { DescribeDBSnapshotsCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { runUpgradeUnderLoad } from '../demo/run';
import { APP_USERS } from '../demo/sample-blue';
import { startStack, type Stack } from '../demo/stack';
import { statusQuery } from '../workflows/messages';
import { blueGreenUpgrade } from '../workflows';
import { uniqueTaskQueue } from './helpers/temporal';

const ROWS = 3000;
const lines: string[] = [];

async function stack(name: string, pgbouncer = false): Promise<Stack> {
  const dir = fs.mkdtempSync(path.join(process.env.RDS_BLUEGREEN_TEST_DIR!, `e2e-${name}-`));
  fs.chmodSync(dir, 0o755);
  return startStack({ dir, temporalAddress: process.env.TEMPORAL_ADDRESS, taskQueue: uniqueTaskQueue(name), rows: ROWS, log: (l) => lines.push(l), pgbouncer });
}

describe('an upgrade under writes', () => {
  it('cuts over with nothing lost or doubled, and writes go on against GREEN', async () => {
    const s = await stack('cutover');
    try {
      const report = await runUpgradeUnderLoad(s, { workflowId: `e2e-cutover-${Date.now()}`, manual: false, rollback: false, initialRows: ROWS, log: (l) => lines.push(l) });
      expect(report).toMatchObject({ outcome: 'finalized', tablesEqual: true, sequencesEqual: true, rowsMissing: 0, countersMatchRows: true, differences: [] });
      expect(report.commitsAfterMove).toBeGreaterThan(100);
      console.log(`cutover under writes: freeze ${report.writeFreezeMs} ms, ${report.committedTransactions} commits, ${report.failedTransactions} failed and retried`);
    } finally {
      await s.close();
    }
  });

  it('rolls back with nothing lost, BLUE serving again', async () => {
    const s = await stack('rollback');
    try {
      const report = await runUpgradeUnderLoad(s, { workflowId: `e2e-rollback-${Date.now()}`, manual: false, rollback: true, initialRows: ROWS, log: (l) => lines.push(l) });
      expect(report).toMatchObject({ outcome: 'rolledBack', tablesEqual: true, sequencesEqual: true, rowsMissing: 0, countersMatchRows: true, differences: [] });
      expect(report.commitsAfterMove).toBeGreaterThan(100);
    } finally {
      await s.close();
    }
  });

  it.each([
    ['cuts over', false, 'finalized'],
    ['cuts over and rolls back', true, 'rolledBack'],
  ])('through PgBouncer %s with no failed transaction and nothing lost', async (_name, rollback, outcome) => {
    const s = await stack(rollback ? 'pgbouncer-rollback' : 'pgbouncer', true);
    try {
      const report = await runUpgradeUnderLoad(s, { workflowId: `e2e-pgbouncer-${Date.now()}`, manual: false, rollback, initialRows: ROWS, writers: 3, log: (l) => lines.push(l) });
      expect(report).toMatchObject({ outcome, viaPgbouncer: true, failedTransactions: 0, tablesEqual: true, sequenceAheadOfRows: true, rowsMissing: 0, countersMatchRows: true, differences: [] });
      expect(report.commitsAfterMove).toBeGreaterThan(100);
      console.log(`through PgBouncer (${outcome}): freeze ${report.writeFreezeMs} ms, ${report.committedTransactions} commits, p99 ${report.commitP99Ms} ms`);
    } finally {
      await s.close();
    }
  });

  it('aborted before cutover, leaves BLUE as it was: no slot, no publication, no role, every user can log in', async () => {
    const s = await stack('abort');
    try {
      const handle = await s.client.workflow.start(blueGreenUpgrade, { taskQueue: s.taskQueue, workflowId: `e2e-abort-${Date.now()}`, args: [s.upgradeInput()] });
      const deadline = Date.now() + 120_000;
      while ((await handle.query(statusQuery)).waitingFor?.what !== 'approveCutover') {
        if (Date.now() > deadline) throw new Error('never reached the approval wait');
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(await handle.executeUpdate('abort', { args: ['e2e'] })).toMatch(/aborting/);
      expect((await handle.result()).outcome).toBe('aborted');
      const blue = new Client({ host: s.blue.host, port: s.blue.port, database: s.blue.database, user: s.blue.master.user, password: s.blue.master.password });
      await blue.connect();
      try {
        const left = await blue.query(`select (select count(*) from pg_replication_slots)::int as slots, (select count(*) from pg_publication)::int as publications,
                                              (select count(*) from pg_roles where rolname = 'pgrepuser')::int as roles,
                                              (select count(*) from pg_roles where rolname = any($1) and rolcanlogin)::int as logins`, [APP_USERS]);
        expect(left.rows[0]).toEqual({ slots: 0, publications: 0, roles: 0, logins: APP_USERS.length });
      } finally {
        await blue.end();
      }
      for (const user of APP_USERS) {
        const app = new Client({ ...s.blue.app, user });
        await app.connect();
        await app.end();
      }
      // GREEN and its snapshot are gone from the local RDS.
      await expect(s.aws.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'demo-green' }))).rejects.toThrow(/not found/);
      const snapshots = await s.aws.rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: 'demo-blue' }));
      expect(snapshots.DBSnapshots).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
