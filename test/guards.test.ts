// The guards while replication runs, with every part real (dev server, worker, local RDS,
// PostgreSQL 15 to 17): the WAL guard aborting on a real slot that a stopped subscriber
// leaves filling, and DDL on BLUE, which GREEN fails to apply (shown in the status) and
// which holds an approved cutover until GREEN's schema matches.
import fs from 'node:fs';
import path from 'node:path';
import { DescribeDBInstancesCommand, DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { Client } from 'pg';
import { APP_USERS } from '../demo/sample-blue';
import { startStack, type Stack } from '../demo/stack';
import { statusQuery } from '../workflows/messages';
import { blueGreenUpgrade } from '../workflows';
import { uniqueTaskQueue, waitForStatus } from './helpers/temporal';

const MiB = 1024 * 1024;

async function stack(name: string): Promise<Stack> {
  const dir = fs.mkdtempSync(path.join(process.env.RDS_BLUEGREEN_TEST_DIR!, `guards-${name}-`));
  fs.chmodSync(dir, 0o755);
  return startStack({ dir, temporalAddress: process.env.TEMPORAL_ADDRESS, taskQueue: uniqueTaskQueue(name), rows: 1000, log: () => undefined });
}

async function asMaster<T>(s: Stack, side: 'blue' | 'green', work: (c: Client) => Promise<T>): Promise<T> {
  const target = side === 'blue' ? s.blue : (await s.aws.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'demo-green' }))).DBInstances![0];
  const host = 'host' in target ? target.host : target.Endpoint!.Address!;
  const port = 'port' in target ? target.port : target.Endpoint!.Port!;
  const c = new Client({ host, port, database: s.blue.database, user: s.blue.master.user, password: s.blue.master.password });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

/** WAL on BLUE without touching any table: non-transactional logical messages of 1 MiB each. */
async function writeWal(s: Stack, mib: number): Promise<void> {
  await asMaster(s, 'blue', (c) => c.query(`select count(pg_logical_emit_message(false, 'guards-test', repeat('x', ${MiB}))) from generate_series(1, ${mib})`));
}

describe('the WAL guard', () => {
  it('warns, then aborts with compensation when the slot keeps too much WAL, freeing it', async () => {
    const s = await stack('wal');
    try {
      const handle = await s.client.workflow.start(blueGreenUpgrade, {
        taskQueue: s.taskQueue,
        workflowId: `guards-wal-${Date.now()}`,
        args: [s.upgradeInput({ walGuard: { warnRetainedBytes: 48 * MiB, abortRetainedBytes: 160 * MiB } })],
      });
      await waitForStatus(handle, (st) => st.waitingFor?.what === 'approveCutover', 'the approval wait');
      // GREEN stops consuming, as a broken or stopped subscriber would: the slot holds BLUE's WAL.
      await asMaster(s, 'green', (c) => c.query('alter subscription bluegreen_subscription disable'));
      await writeWal(s, 80);
      const warned = await waitForStatus(handle, (st) => (st.warnings ?? []).some((w) => w.startsWith('WAL guard:')), 'the WAL warning');
      expect(warned.outcome).toBeUndefined();
      expect(warned.warnings).toContainEqual(expect.stringMatching(/^WAL guard: slot bluegreen_slot retains \d+ MiB of WAL on BLUE, BLUE's free storage is about \d+%; the upgrade aborts at 160 MiB retained/));
      await writeWal(s, 120);
      expect((await handle.result()).outcome).toBe('aborted');
      const status = await handle.query(statusQuery);
      expect(status.lastError).toMatch(/^aborted: WAL guard: slot bluegreen_slot retains \d+ MiB of WAL on BLUE.*stopped before BLUE's disk fills/);
      // Compensation dropped the slot (the WAL is free to go), the publication and the role;
      // GREEN and the snapshot are gone; every application user logs in to BLUE.
      const left = await asMaster(s, 'blue', async (c) =>
        (await c.query(`select (select count(*) from pg_replication_slots)::int as slots, (select count(*) from pg_publication)::int as publications,
                               (select count(*) from pg_roles where rolname = 'pgrepuser')::int as roles,
                               (select count(*) from pg_roles where rolname = any($1) and rolcanlogin)::int as logins`, [APP_USERS])).rows[0],
      );
      expect(left).toEqual({ slots: 0, publications: 0, roles: 0, logins: APP_USERS.length });
      await expect(s.aws.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'demo-green' }))).rejects.toThrow(/not found/);
      expect((await s.aws.rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: 'demo-blue' }))).DBSnapshots).toEqual([]);
    } finally {
      await s.close();
    }
  });
});

describe('DDL on BLUE during replication', () => {
  it('shows apply errors in the status and holds an approved cutover until GREEN has the same schema', async () => {
    const s = await stack('ddl');
    try {
      const handle = await s.client.workflow.start(blueGreenUpgrade, {
        taskQueue: s.taskQueue,
        workflowId: `guards-ddl-${Date.now()}`,
        args: [s.upgradeInput({ rollbackWindow: { hours: 0, atEnd: 'finalize' } })],
      });
      await waitForStatus(handle, (st) => st.waitingFor?.what === 'approveCutover', 'the approval wait');
      // A column added on BLUE only, and a row that uses it: GREEN cannot apply that row.
      await asMaster(s, 'blue', async (c) => {
        await c.query('alter table public.orders add column priority int');
        await c.query("insert into public.orders (note, priority) values ('urgent', 1)");
      });
      const failing = await waitForStatus(handle, (st) => (st.applyErrors ?? 0) > 0, 'apply errors in the status');
      expect(failing.lastError).toMatch(/GREEN's subscription failed to apply changes \d+ times: see GREEN's log/);

      await handle.executeUpdate('approveCutover');
      const held = await waitForStatus(handle, (st) => st.schemaDifferences !== undefined, 'the schema difference');
      expect(held.phase).toBe('awaitApproval');
      expect(held.serving).toBe('blue');
      expect(held.schemaDifferences!.join('\n')).toMatch(/priority/);
      expect(held.waitingFor?.what).toMatch(/schemas to match/);

      // The operator runs the DDL on GREEN: the row applies, the schemas match, cutover goes on.
      await asMaster(s, 'green', (c) => c.query('alter table public.orders add column priority int'));
      expect((await handle.result()).outcome).toBe('finalized');
      const urgent = await asMaster(s, 'green', async (c) => (await c.query("select priority from public.orders where note = 'urgent'")).rows);
      expect(urgent).toEqual([{ priority: 1 }]);
    } finally {
      await s.close();
    }
  });
});
