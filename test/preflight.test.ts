// Preflight on a real BLUE built to have each finding: every one reported at once, with
// what to do, and nothing changed by looking.
import type { Client } from 'pg';
import { run } from './helpers/activity';
import { dbRef, postgresActivities } from './helpers/pg-activities';
import { startTestCluster, type TestCluster } from './helpers/postgres';

const acts = postgresActivities();
let blue: TestCluster;
let c: Client;

beforeAll(async () => {
  blue = await startTestCluster(15);
  const admin = await blue.connect();
  await admin.query('alter system set max_prepared_transactions = 2');
  await admin.query("create database app");
  await admin.end();
  await blue.restart();
  c = await blue.connect('app');
});

afterAll(async () => {
  await c?.end();
  await blue?.stop();
});

describe('preflightBlue', () => {
  it('finds nothing on a database ready for the upgrade', async () => {
    await c.query('create table public.ok (id int primary key)');
    await c.query('create role app_rw login');
    const findings = await run(acts.preflightBlue, { db: dbRef(blue, 'app'), slot: 'bluegreen_slot', publication: 'bluegreen_publication', appUsers: ['app_rw'] });
    expect(findings).toEqual({ errors: [], warnings: [] });
  });

  it('reports every problem at once, each with what to do', async () => {
    await c.query('create schema "Odd Schema"');
    await c.query('create table "Odd Schema"."no key" (v text)');
    await c.query('create table public.keyed_by_index (v text not null)');
    await c.query('create unique index on public.keyed_by_index (v)');
    await c.query('alter table public.keyed_by_index replica identity using index keyed_by_index_v_idx');
    await c.query('create unlogged table public.scratch (id int primary key)');
    await c.query("select lo_from_bytea(0, 'blob')");
    await c.query("create function public.noop() returns event_trigger language plpgsql as 'begin end'");
    await c.query('create event trigger audit on ddl_command_end execute function public.noop()');
    // The slot first: with a prepared transaction open, making one waits for it to end.
    await c.query("select pg_create_logical_replication_slot('taken_slot', 'pgoutput')");
    await c.query('create publication taken_pub for all tables');
    await c.query('begin');
    await c.query('insert into public.ok values (1)');
    await c.query("prepare transaction 'forgotten'");
    try {
      const findings = await run(acts.preflightBlue, { db: dbRef(blue, 'app'), slot: 'taken_slot', publication: 'taken_pub', appUsers: ['app_rw', 'ghost'] });
      expect(findings.errors).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^table "Odd Schema"\."no key" has no primary key and no replica identity/),
          expect.stringMatching(/^table public\.scratch is unlogged/),
          expect.stringMatching(/^1 large objects/),
          expect.stringMatching(/^prepared transaction 'forgotten' is open/),
          expect.stringMatching(/^the login role 'ghost' does not exist/),
          expect.stringMatching(/^a replication slot 'taken_slot' exists already/),
          expect.stringMatching(/^a publication 'taken_pub' exists already/),
        ]),
      );
      expect(findings.errors).toHaveLength(7);
      expect(findings.warnings).toEqual([expect.stringMatching(/^event trigger audit fires on ddl_command_end/)]);
      // A table with a replica identity index is fine; nothing was changed by looking.
      expect(findings.errors.join('\n')).not.toMatch(/keyed_by_index/);
      expect((await c.query('select count(*)::int as n from pg_prepared_xacts')).rows[0].n).toBe(1);
    } finally {
      await c.query("rollback prepared 'forgotten'");
      await c.query("select pg_drop_replication_slot('taken_slot')");
    }
  });

  it('reports a server without logical decoding', async () => {
    const admin = await blue.connect();
    await admin.query("alter system set wal_level = 'replica'");
    await admin.query('alter system set max_wal_senders = 0');
    await admin.end();
    await c.end();
    await blue.restart();
    c = await blue.connect('app');
    try {
      const findings = await run(acts.preflightBlue, { db: dbRef(blue, 'app'), slot: 's', publication: 'p', appUsers: [] });
      expect(findings.errors).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^wal_level is replica, not logical: set rds.logical_replication = 1/),
          expect.stringMatching(/^rds.logical_replication is 1|no free WAL sender \(0 of max_wal_senders 0 in use\)/),
        ]),
      );
    } finally {
      const admin2 = await blue.connect();
      await admin2.query('alter system reset wal_level');
      await admin2.query('alter system reset max_wal_senders');
      await admin2.end();
    }
  });
});
