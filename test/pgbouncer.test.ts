// The pgbouncer traffic switch's activities on a real PgBouncer (Debian's) in front of two
// real PostgreSQL servers: what preflight finds, and a pause that makes clients wait, not
// fail, while the entry moves to the other server.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { createSecretResolver } from '../activities/credentials';
import { createPgbouncerActivities, type PgbouncerRef } from '../activities/pgbouncer';
import { startPgbouncer, type PgbouncerServer } from '../lib/pgbouncer-server';
import { run, twice } from './helpers/activity';
import { startTestCluster, type TestCluster } from './helpers/postgres';

const acts = createPgbouncerActivities({ resolveSecret: createSecretResolver({ secretsManager: undefined as never, region: 'us-east-1' }) });
const appPassword = crypto.randomBytes(9).toString('hex');
const adminPassword = crypto.randomBytes(9).toString('hex');
process.env.TEST_PGBOUNCER_ADMIN_PASSWORD = adminPassword;

let blue: TestCluster;
let green: TestCluster;
let bouncer: PgbouncerServer;
let ref: PgbouncerRef;
const endpoint = (c: TestCluster) => ({ host: c.host, port: c.port });

beforeAll(async () => {
  [blue, green] = await Promise.all([startTestCluster(15), startTestCluster(17)]);
  for (const c of [blue, green]) {
    const admin = await c.connect();
    await admin.query(`create role app login password '${appPassword}'`);
    await admin.query('create database app owner app');
    await admin.end();
  }
  bouncer = await startPgbouncer({
    dir: path.join(blue.dir, 'pgbouncer'),
    databases: {
      app: { host: blue.host, port: blue.port, dbname: 'app' },
      reports: { host: blue.host, port: blue.port, dbname: 'app', poolMode: 'session' },
      elsewhere: { host: green.host, port: green.port, dbname: 'app' },
    },
    users: { app: appPassword, pgb_admin: adminPassword },
    adminUser: 'pgb_admin',
  });
  ref = { host: bouncer.host, port: bouncer.port, user: 'pgb_admin', password: { env: 'TEST_PGBOUNCER_ADMIN_PASSWORD' }, databases: ['app'] };
}, 120_000);

afterAll(async () => {
  await bouncer?.stop();
  await Promise.all([blue?.stop(), green?.stop()]);
});

async function appClient(): Promise<Client> {
  const c = new Client({ host: bouncer.host, port: bouncer.port, database: 'app', user: 'app', password: appPassword });
  await c.connect();
  return c;
}

/** The server a query through PgBouncer reaches, by its port. */
async function serverPort(c: Client): Promise<number> {
  return Number((await c.query<{ port: string }>("select current_setting('port') as port")).rows[0].port);
}

describe('checkPgbouncer', () => {
  it('finds nothing wrong with a transaction-pooled entry that points at BLUE', async () => {
    const result = await run(acts.checkPgbouncer, { pgbouncer: ref, blue: endpoint(blue) });
    expect(result).toEqual({ problems: [], conffile: bouncer.iniFile });
  });

  it('lists every problem at once: a missing entry, one on another server, one pooled per session', async () => {
    const { problems } = await run(acts.checkPgbouncer, { pgbouncer: { ...ref, databases: ['app', 'nosuch', 'elsewhere', 'reports'] }, blue: endpoint(blue) });
    expect(problems).toEqual([
      expect.stringMatching(/no database entry "nosuch"/),
      expect.stringMatching(new RegExp(`entry elsewhere points at 127.0.0.1:${green.port}, not at BLUE`)),
      expect.stringMatching(/entry reports pools per session; set pool_mode=transaction/),
    ]);
  });

  it('says which password did not work', async () => {
    process.env.TEST_PGBOUNCER_WRONG = 'not-the-password';
    await expect(run(acts.checkPgbouncer, { pgbouncer: { ...ref, password: { env: 'TEST_PGBOUNCER_WRONG' } }, blue: endpoint(blue) })).rejects.toThrow(
      /cannot reach PgBouncer's admin console as pgb_admin@127.0.0.1:\d+ with the password from environment variable TEST_PGBOUNCER_WRONG/,
    );
  });
});

describe('pause, repoint, resume', () => {
  it('holds new transactions during the switch and sends them to the new server, with none failing', async () => {
    const client = await appClient();
    expect(await serverPort(client)).toBe(blue.port);
    const iniBefore = fs.readFileSync(bouncer.iniFile, 'utf8');

    // A transaction in flight: PAUSE waits for it to end.
    const inFlight = await appClient();
    await inFlight.query('begin');
    await inFlight.query('select 1');
    let paused = false;
    const pausing = twice(acts.pausePgbouncer, { pgbouncer: ref }).then(() => (paused = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(paused).toBe(false);
    await inFlight.query('commit');
    await pausing;

    // A query sent while paused waits in PgBouncer.
    let answered = false;
    const waiting = serverPort(client).then((port) => {
      answered = true;
      return port;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(answered).toBe(false);

    expect(await twice(acts.repointPgbouncer, { pgbouncer: ref, to: endpoint(green) })).toEqual([{ files: [bouncer.iniFile] }, { files: [] }]);
    expect(answered).toBe(false);
    await twice(acts.resumePgbouncer, { pgbouncer: ref });
    expect(await waiting).toBe(green.port);
    expect(await serverPort(inFlight)).toBe(green.port);

    // Only the app entry's port changed in the file.
    const changed = fs.readFileSync(bouncer.iniFile, 'utf8').split('\n');
    const before = iniBefore.split('\n');
    expect(changed.filter((line, i) => line !== before[i])).toEqual([`app = host=127.0.0.1 port=${green.port} dbname=app`]);
    // Seen from preflight of a retried cutover, an entry already on GREEN is fine.
    expect((await run(acts.checkPgbouncer, { pgbouncer: ref, blue: endpoint(blue), green: endpoint(green) })).problems).toEqual([]);
    await Promise.all([client.end(), inFlight.end()]);
  });
});
