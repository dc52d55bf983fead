// The PostgreSQL activities on real servers, BLUE 15 and GREEN 17, each run twice in a row
// as a retry would: names that need quoting, an injection-shaped role, sequences in several
// schemas with is_called false, and real logical replication both ways.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { Client } from 'pg';
import { createPostgresActivities, type DatabaseRef } from '../activities/pg';
import { createSecretResolver } from '../activities/credentials';
import { toolchain } from '../lib/toolchain';
import { compare, digest } from '../lib/verify';
import { failure, twice } from './helpers/activity';
import { startTestCluster, type TestCluster } from './helpers/postgres';

const ROLE = 'rep "user"';
const APP_USERS = ['app_rw', 'Report Reader', 'x"; DROP TABLE t; --'];
const SLOT = 'bluegreen_slot';
const PUBLICATION = 'Blue Green Pub';
const SUBSCRIPTION = 'Blue Green "Sub"';

let blue: TestCluster;
let green: TestCluster;
let b: Client;
let g: Client;
let blueDb: DatabaseRef;
let greenDb: DatabaseRef;
const acts = createPostgresActivities(createSecretResolver({ secretsManager: undefined as never, region: 'us-east-1' }));

const SCHEMA = `
  create schema "Sales Data";
  create table "Sales Data"."Orders" (id bigserial primary key, note text not null);
  create table public.counters (id int primary key, n bigint not null);
  create table public."t" (k int primary key);
  create sequence "Sales Data".never_called;
  create sequence public."Mixed Case Seq" start 100;
`;

async function waitUntil(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  [blue, green] = await Promise.all([startTestCluster(15), startTestCluster(17)]);
  process.env.PG_TEST_BLUE_PASSWORD = blue.password;
  process.env.PG_TEST_GREEN_PASSWORD = green.password;
  process.env.PG_TEST_REPLICATION_PASSWORD = "it's a \\ secret";
  const admin = await blue.connect();
  await admin.query('create database app');
  await admin.end();
  b = await blue.connect('app');
  await b.query(SCHEMA);
  await b.query('insert into public.counters select i, 0 from generate_series(1, 5) i');
  for (const user of APP_USERS) await b.query(`create role ${b.escapeIdentifier(user)} login password 'app-pw'`);
  // GREEN: the same schema, roles and rows, as a restored snapshot has them.
  const gAdmin = await green.connect();
  await gAdmin.query('create database app');
  await gAdmin.end();
  g = await green.connect('app');
  const dump = execFileSync(path.join(toolchain().clientBinDir, 'pg_dump'), ['--schema-only', '-h', '127.0.0.1', '-p', String(blue.port), '-U', blue.user, 'app'], {
    env: { ...process.env, PGPASSWORD: blue.password },
  }).toString();
  await g.query(dump.replace(/^\\.*$/gm, ''));
  await g.query('insert into public.counters select i, 0 from generate_series(1, 5) i');
  for (const user of APP_USERS) await g.query(`create role ${g.escapeIdentifier(user)} login password 'app-pw'`);
  blueDb = { host: '127.0.0.1', port: blue.port, database: 'app', user: blue.user, password: { env: 'PG_TEST_BLUE_PASSWORD' } };
  greenDb = { host: '127.0.0.1', port: green.port, database: 'app', user: green.user, password: { env: 'PG_TEST_GREEN_PASSWORD' } };
});

afterAll(async () => {
  await Promise.all([b?.end(), g?.end()]);
  await Promise.all([blue?.stop(), green?.stop()]);
});

describe('PostgreSQL activities', () => {
  const replication = () => ({ host: '127.0.0.1', port: blue.port, database: 'app', user: ROLE, password: { env: 'PG_TEST_REPLICATION_PASSWORD' } });

  it('prepare BLUE: role, publication and slot, each made once', async () => {
    const [role1, role2] = await twice(acts.createReplicationRole, { db: blueDb, role: ROLE, password: { env: 'PG_TEST_REPLICATION_PASSWORD' } });
    expect(role1).toEqual({ created: true, replication: 'attribute' });
    expect(role2).toEqual({ created: false, replication: 'attribute' });
    const { rows } = await b.query('select rolreplication, rolcanlogin from pg_roles where rolname = $1', [ROLE]);
    expect(rows[0]).toEqual({ rolreplication: true, rolcanlogin: true });
    const [pub1, pub2] = await twice(acts.createPublication, { db: blueDb, publication: PUBLICATION });
    expect([pub1.created, pub2.created]).toEqual([true, false]);
    const [slot1, slot2] = await twice(acts.createReplicationSlot, { db: blueDb, slot: SLOT });
    expect([slot1.created, slot2.created]).toEqual([true, false]);
    expect(slot2.lsn).toBe(slot1.lsn);
    expect((await failure(acts.createReplicationSlot({ db: blueDb, slot: "x'; drop table t; --" }))).type).toBe('InvalidSlotName');
  });

  it('prepare GREEN: a disabled subscription on BLUE\'s slot; the checks of seed 6; equal schemas', async () => {
    const input = { db: greenDb, subscription: SUBSCRIPTION, publication: PUBLICATION, slot: SLOT, source: replication(), enabled: false };
    const [sub1, sub2] = await twice(acts.createSubscription, input);
    expect([sub1.created, sub2.created]).toEqual([true, false]);
    const { rows } = await g.query('select subenabled, subslotname from pg_subscription where subname = $1', [SUBSCRIPTION]);
    expect(rows[0]).toEqual({ subenabled: false, subslotname: SLOT });
    const checks = await acts.runChecks({ publisher: blueDb, subscriber: greenDb, role: ROLE, publication: PUBLICATION, subscription: SUBSCRIPTION });
    expect(checks.every((c) => c.ok)).toBe(true);
    const failed = await failure(acts.runChecks({ publisher: blueDb, subscriber: greenDb, role: ROLE, publication: 'nope', subscription: SUBSCRIPTION }));
    expect(failed.message).toMatch(/publication nope of all tables/);
    expect(await acts.compareSchemas({ blue: blueDb, green: greenDb })).toEqual([]);
    await b.query('alter table "Sales Data"."Orders" add column sneaky int');
    expect(await acts.compareSchemas({ blue: blueDb, green: greenDb })).toEqual(['column "Sales Data"."Orders".sneaky: only on BLUE (integer null)']);
    await b.query('alter table "Sales Data"."Orders" drop column sneaky');
  });

  it('start replication: origin at the slot\'s start, enabled, streaming; changes arrive once', async () => {
    const startLsn = (await b.query<{ lsn: string }>('select confirmed_flush_lsn::text as lsn from pg_replication_slots where slot_name = $1', [SLOT])).rows[0].lsn;
    const [adv1, adv2] = await twice(acts.advanceOrigin, { db: greenDb, subscription: SUBSCRIPTION, lsn: startLsn });
    expect([adv1.advanced, adv2.advanced]).toEqual([true, true]);
    expect(adv2.originLsn).toBe(startLsn);
    await twice(acts.enableSubscription, { db: greenDb, subscription: SUBSCRIPTION });
    // Enabled, the origin is left alone: moving it back would apply changes twice.
    expect((await acts.advanceOrigin({ db: greenDb, subscription: SUBSCRIPTION, lsn: startLsn })).advanced).toBe(false);
    const [stream] = await twice(acts.checkSubscriptionStreaming, { db: greenDb, subscription: SUBSCRIPTION });
    expect(stream.applyErrors).toBe(0);
    for (let i = 0; i < 50; i += 1) {
      await b.query(`with o as (insert into "Sales Data"."Orders" (note) values ($1) returning id) update public.counters set n = n + 1 where id = 1 + (select id from o) % 5`, [`order ${i}`]);
    }
    const [waited] = await twice(acts.waitForLag, { db: blueDb, slot: SLOT, maxLagBytes: 0, timeoutSeconds: 30 });
    expect(waited.lagBytes).toBe(0);
    const orders = await g.query('select count(*)::int as n from "Sales Data"."Orders"');
    const counters = await g.query('select sum(n)::int as n from public.counters');
    expect(orders.rows[0].n).toBe(50);
    expect(counters.rows[0].n).toBe(50);
    const [lag] = await twice(acts.replicationLag, { db: blueDb, slot: SLOT });
    expect(lag.retainedWalBytes).toBeGreaterThan(0);
    expect(await twice(acts.maintainGreen, { db: greenDb, analyze: true, vacuum: 'vacuum' })).toEqual([{ ran: ['VACUUM', 'ANALYZE'] }, { ran: ['VACUUM', 'ANALYZE'] }]);
  });

  it('locks and unlocks logins of any spelling, ends their sessions, and names an unknown role before changing anything', async () => {
    const session = await blue.connect('app', 'x"; DROP TABLE t; --', 'app-pw');
    const ended = new Promise((resolve) => session.on('error', resolve));
    const [lock1, lock2] = await twice(acts.lockLogins, { db: blueDb, roles: APP_USERS });
    expect(lock1.terminated).toBe(1);
    expect(lock2.terminated).toBe(0);
    await ended;
    const logins = async () => (await b.query('select rolname, rolcanlogin from pg_roles where rolname = any($1) order by rolname', [APP_USERS])).rows.map((r) => r.rolcanlogin);
    expect(await logins()).toEqual([false, false, false]);
    await expect(blue.connect('app', 'app_rw', 'app-pw')).rejects.toThrow(/not permitted to log in/);
    expect(await b.query('select count(*)::int as n from public."t"')).toMatchObject({ rows: [{ n: 0 }] });
    await twice(acts.unlockLogins, { db: blueDb, roles: APP_USERS });
    expect(await logins()).toEqual([true, true, true]);
    const unknown = await failure(acts.lockLogins({ db: blueDb, roles: ['app_rw', 'no such role'] }));
    expect(unknown.type).toBe('UnknownRole');
    expect(unknown.message).toMatch(/"no such role"/);
    expect(await logins()).toEqual([true, true, true]);
    expect((await failure(acts.lockLogins({ db: blueDb, roles: ['rds_superuser'] }))).type).toBe('RefusedRole');
  });

  it('copies every sequence exactly, is_called false included', async () => {
    await b.query(`select setval('public."Mixed Case Seq"', 4242, false)`);
    await b.query(`select nextval('"Sales Data"."Orders_id_seq"')`);
    const [first, second] = await twice(acts.syncSequences, { source: blueDb, target: greenDb });
    expect(first).toEqual({ sequences: 3 });
    expect(second).toEqual(first);
    const [bd, gd] = await Promise.all([digest(b), digest(g)]);
    expect(compare(bd, gd).sequencesEqual).toBe(true);
    expect(gd.sequences['public."Mixed Case Seq"']).toEqual({ lastValue: '4242', isCalled: false });
    expect(gd.sequences['"Sales Data".never_called']).toEqual({ lastValue: '1', isCalled: false });
  });

  it('reverses replication (17 to 15) the way the cutover does, then cleans up on both sides', async () => {
    // Seed 10.3 to 10.6: drop GREEN's subscription and BLUE's slot, slot on GREEN, subscription on BLUE.
    expect((await twice(acts.dropSubscription, { db: greenDb, subscription: SUBSCRIPTION })).map((r) => r.dropped)).toEqual([true, false]);
    expect((await twice(acts.dropReplicationSlot, { db: blueDb, slot: SLOT })).map((r) => r.dropped)).toEqual([true, false]);
    await acts.createReplicationRole({ db: greenDb, role: ROLE, password: { env: 'PG_TEST_REPLICATION_PASSWORD' } });
    await acts.createPublication({ db: greenDb, publication: PUBLICATION });
    await acts.createReplicationSlot({ db: greenDb, slot: SLOT });
    const reverse = { db: blueDb, subscription: SUBSCRIPTION, publication: PUBLICATION, slot: SLOT, source: { ...replication(), port: green.port }, enabled: true };
    await twice(acts.createSubscription, reverse);
    await acts.checkSubscriptionStreaming({ db: blueDb, subscription: SUBSCRIPTION });
    await g.query(`insert into "Sales Data"."Orders" (note) values ('written on GREEN')`);
    await waitUntil('the GREEN row on BLUE', async () => (await b.query(`select 1 from "Sales Data"."Orders" where note = 'written on GREEN'`)).rowCount === 1);
    // A slot still in use is freed and dropped; the subscriber then is dropped without touching it.
    expect((await acts.dropReplicationSlot({ db: greenDb, slot: SLOT })).dropped).toBe(true);
    expect((await acts.dropSubscription({ db: blueDb, subscription: SUBSCRIPTION })).dropped).toBe(true);
    expect((await twice(acts.dropPublication, { db: blueDb, publication: PUBLICATION })).map((r) => r.dropped)).toEqual([true, false]);
    expect((await twice(acts.dropReplicationRole, { db: blueDb, role: ROLE })).map((r) => r.dropped)).toEqual([true, false]);
    // Only what the upgrade made is dropped: a role of the user's own stays.
    expect((await acts.dropReplicationRole({ db: blueDb, role: 'app_rw' })).dropped).toBe(false);
    const left = await b.query(`select (select count(*) from pg_replication_slots)::int as slots, (select count(*) from pg_publication)::int as pubs,
                                       (select count(*) from pg_roles where rolname = $1)::int as roles, (select count(*) from pg_subscription)::int as subs`, [ROLE]);
    expect(left.rows[0]).toEqual({ slots: 0, pubs: 0, roles: 0, subs: 0 });
  });
});
