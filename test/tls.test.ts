// TLS from the worker to the databases, on real servers: a local RDS instance serving its
// CA's certificate (as RDS does), and a second server whose certificate is for another
// name, signed by another CA. verify-full connects only with the right CA and name, and
// the session is really encrypted; require encrypts without verifying; the worker refuses
// bad settings at start, naming the variable.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DescribeDBEngineVersionsCommand,
  DescribeDBInstancesCommand,
  ModifyDBSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  waitUntilDBInstanceAvailable,
  waitUntilDBSnapshotAvailable,
} from '@aws-sdk/client-rds';
import { Client } from 'pg';
import { connector, type DatabaseRef } from '../activities/pg/connect';
import { createPostgresActivities } from '../activities/pg';
import { pgTlsFromEnv, type PgTls } from '../activities/pg/tls';
import type { ResolveSecret } from '../activities/credentials';
import { BOOTSTRAP_USER, initCluster, startCluster, stopCluster } from '../local-rds/cluster';
import { makeCertificates, type CertificateSet } from '../local-rds/tls';
import { freePort } from '../lib/ports';
import { postgresInstall } from '../lib/toolchain';
import { FAST_WAIT, startTestRds, type TestRds } from './helpers/local-rds';

const MASTER_PASSWORD = 'tls-master-pw-1';
const root = path.join(__dirname, '..');

let t: TestRds;
let dir: string;
/** The local RDS instance: certificate for 127.0.0.1 and localhost, signed by the local RDS's CA. */
let rdsPort: number;
/** Another CA, and a server whose certificate it signed for db.example.invalid only. */
let other: CertificateSet;
let otherServer: { port: number; password: string; dataDir: string; binDir: string };

// Passwords reach the connector by reference, as in production.
process.env.TLS_TEST_MASTER_PW = MASTER_PASSWORD;
const resolveSecret: ResolveSecret = async (ref) => {
  if (!('env' in ref)) throw new Error('this test passes passwords by environment variable');
  return process.env[ref.env]!;
};

function rdsRef(host = '127.0.0.1'): DatabaseRef {
  return { host, port: rdsPort, database: 'app', user: 'master', password: { env: 'TLS_TEST_MASTER_PW' } };
}

function otherRef(host = '127.0.0.1'): DatabaseRef {
  return { host, port: otherServer.port, database: 'postgres', user: BOOTSTRAP_USER, password: { env: 'TLS_TEST_OTHER_PW' } };
}

function verifyFull(caFile: string): PgTls {
  return pgTlsFromEnv({ BLUEGREEN_PG_SSLMODE: 'verify-full', BLUEGREEN_PG_SSLROOTCERT: caFile });
}

interface SslRow {
  ssl: boolean;
  version: string | null;
}

/** This session's own row of pg_stat_ssl, through the connector under test. */
function sessionSsl(tls: PgTls, db: DatabaseRef): Promise<SslRow> {
  return connector({ resolveSecret, tls })(db, async (c) => (await c.query<SslRow>('select ssl, version from pg_stat_ssl where pid = pg_backend_pid()')).rows[0]);
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

async function asSuperuser<T>(work: (c: Client) => Promise<T>): Promise<T> {
  // Over TLS: one test lets only TLS sessions in.
  const c = new Client({ host: '127.0.0.1', port: otherServer.port, user: BOOTSTRAP_USER, password: otherServer.password, database: 'postgres', ssl: { rejectUnauthorized: false } });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  t = await startTestRds({ paceMs: 100 });
  dir = t.dir;
  await t.rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: 'tls-blue',
      Engine: 'postgres',
      EngineVersion: '15',
      DBInstanceClass: 'db.t3.micro',
      AllocatedStorage: 20,
      MasterUsername: 'master',
      MasterUserPassword: MASTER_PASSWORD,
      DBName: 'app',
    }),
  );
  other = await makeCertificates(path.join(dir, 'other-ca'), { caName: 'some other CA', names: ['db.example.invalid'] });
  const binDir = postgresInstall(15).binDir;
  otherServer = { port: await freePort(), password: 'other-admin-pw', dataDir: path.join(dir, 'other-server', 'data'), binDir };
  process.env.TLS_TEST_OTHER_PW = otherServer.password;
  await initCluster({ binDir, dataDir: otherServer.dataDir, adminPassword: otherServer.password, tls: other });
  await startCluster({ binDir, dataDir: otherServer.dataDir, port: otherServer.port, logFile: path.join(dir, 'other-server', 'postgresql.log') });
  await waitUntilDBInstanceAvailable({ client: t.rds, ...FAST_WAIT }, { DBInstanceIdentifier: 'tls-blue' });
  const out = await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'tls-blue' }));
  rdsPort = out.DBInstances![0].Endpoint!.Port!;
  expect(out.DBInstances![0].Endpoint!.Address).toBe('127.0.0.1');
});

afterAll(async () => {
  if (otherServer) await stopCluster(otherServer.binDir, otherServer.dataDir);
  await t?.close();
});

describe('the worker settings', () => {
  test('defaults: verify-full when a CA bundle is given, else no TLS', () => {
    expect(pgTlsFromEnv({})).toEqual({ mode: 'disable' });
    expect(pgTlsFromEnv({ BLUEGREEN_PG_SSLMODE: 'require' })).toEqual({ mode: 'require' });
    const tls = pgTlsFromEnv({ BLUEGREEN_PG_SSLROOTCERT: t.server.rds.caFile });
    expect(tls.mode).toBe('verify-full');
    expect(tls.rootCert).toMatchObject({ path: t.server.rds.caFile, certificates: 1 });
    expect(tls.rootCert!.pem).toBe(fs.readFileSync(t.server.rds.caFile, 'utf8'));
  });

  test('bad settings are refused, naming the variable and the fix', () => {
    expect(() => pgTlsFromEnv({ BLUEGREEN_PG_SSLMODE: 'verify-ca' })).toThrow(/^BLUEGREEN_PG_SSLMODE=verify-ca is not a mode the worker knows: use one of disable, require, verify-full$/);
    expect(() => pgTlsFromEnv({ BLUEGREEN_PG_SSLMODE: 'verify-full' })).toThrow(/BLUEGREEN_PG_SSLMODE=verify-full needs BLUEGREEN_PG_SSLROOTCERT: set it to the path of the CA bundle/);
    const missing = path.join(dir, 'no-such-bundle.pem');
    expect(() => pgTlsFromEnv({ BLUEGREEN_PG_SSLROOTCERT: missing })).toThrow(`BLUEGREEN_PG_SSLROOTCERT=${missing} does not exist: give the path of a CA bundle in PEM format`);
    expect(() => pgTlsFromEnv({ BLUEGREEN_PG_SSLROOTCERT: dir })).toThrow(`BLUEGREEN_PG_SSLROOTCERT=${dir} is a directory`);
    // A private key is PEM too, but no certificate.
    expect(() => pgTlsFromEnv({ BLUEGREEN_PG_SSLROOTCERT: other.keyFile })).toThrow(`BLUEGREEN_PG_SSLROOTCERT=${other.keyFile} holds no PEM certificate`);
    const broken = path.join(dir, 'broken.pem');
    const pem = fs.readFileSync(other.caFile, 'utf8');
    fs.writeFileSync(broken, pem + pem.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA'));
    expect(() => pgTlsFromEnv({ BLUEGREEN_PG_SSLROOTCERT: broken })).toThrow(`BLUEGREEN_PG_SSLROOTCERT=${broken}: certificate 2 of 2 cannot be parsed`);
    expect(() => pgTlsFromEnv({ BLUEGREEN_PG_SSLMODE: 'disable', BLUEGREEN_PG_SSLROOTCERT: other.caFile })).toThrow(
      /BLUEGREEN_PG_SSLROOTCERT is set but BLUEGREEN_PG_SSLMODE=disable would not use it/,
    );
  });

  test('the worker process stops at start on a bad setting, and names its settings when they are good', async () => {
    const start = (env: NodeJS.ProcessEnv) =>
      new Promise<{ output: string; code: number | null }>((resolve) => {
        const child = spawn(path.join(root, 'node_modules', '.bin', 'tsx'), [path.join(root, 'worker', 'main.ts')], {
          cwd: root,
          env: { ...process.env, TEMPORAL_TASK_QUEUE: `tls-test-${process.pid}`, ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        const onData = (data: Buffer) => {
          output += data.toString();
          if (output.includes('worker: polling')) child.kill('SIGTERM');
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.once('exit', (code) => resolve({ output, code }));
      });
    const bad = await start({ BLUEGREEN_PG_SSLROOTCERT: path.join(dir, 'no-such-bundle.pem') });
    expect(bad.code).not.toBe(0);
    expect(bad.output).toContain(`BLUEGREEN_PG_SSLROOTCERT=${path.join(dir, 'no-such-bundle.pem')} does not exist`);
    expect(bad.output).not.toContain('worker: polling');
    const good = await start({ BLUEGREEN_PG_SSLROOTCERT: t.server.rds.caFile });
    expect(good.output).toContain(`worker: TLS to the databases: verify-full with 1 CA certificate(s) from ${t.server.rds.caFile}`);
    expect(good.output).toContain('worker: polling');
  });
});

describe('verify-full', () => {
  test('with the local RDS CA: connects to the instance by its endpoint address and by localhost, encrypted', async () => {
    const tls = verifyFull(t.server.rds.caFile);
    for (const host of ['127.0.0.1', 'localhost']) {
      const row = await sessionSsl(tls, rdsRef(host));
      expect(row.ssl).toBe(true);
      expect(row.version).toMatch(/^TLSv1\.[23]$/);
    }
    // The same query tells an unencrypted session apart.
    expect((await sessionSsl({ mode: 'disable' }, rdsRef())).ssl).toBe(false);
  });

  test('with a CA that did not sign the server certificate: refused, saying so', async () => {
    const err = await rejection(sessionSsl(verifyFull(other.caFile), rdsRef()));
    expect(err.message).toBe(
      `cannot connect to master@127.0.0.1:${rdsPort}/app: the server certificate of 127.0.0.1:${rdsPort} is not signed by a CA in BLUEGREEN_PG_SSLROOTCERT=${other.caFile} (UNABLE_TO_VERIFY_LEAF_SIGNATURE): give the bundle of the CA that signed it (for RDS, https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem)`,
    );
  });

  test('to a name the certificate does not hold: refused, saying so', async () => {
    // The chain is good (the right CA), only the name is not: the certificate is for db.example.invalid.
    for (const host of ['127.0.0.1', 'localhost']) {
      const err = await rejection(sessionSsl(verifyFull(other.caFile), otherRef(host)));
      expect(err.message).toContain(`cannot connect to ${BOOTSTRAP_USER}@${host}:${otherServer.port}/postgres: the server certificate of ${host}:${otherServer.port} is not for the name ${host} (`);
      expect(err.message).toContain("connect by a name the certificate holds (for RDS, the instance's endpoint address");
      expect((err.cause as { code?: string }).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    }
  });

  test('GREEN, restored from a snapshot upgraded to 17, serves TLS with the same CA', async () => {
    await t.rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'tls-blue', DBSnapshotIdentifier: 'tls-snap' }));
    await waitUntilDBSnapshotAvailable({ client: t.rds, ...FAST_WAIT }, { DBSnapshotIdentifier: 'tls-snap' });
    const versions = await t.rds.send(new DescribeDBEngineVersionsCommand({ Engine: 'postgres', EngineVersion: '15', IncludeAll: true }));
    const target17 = versions.DBEngineVersions![0].ValidUpgradeTarget!.map((v) => v.EngineVersion!).find((v) => v.startsWith('17.'))!;
    await t.rds.send(new ModifyDBSnapshotCommand({ DBSnapshotIdentifier: 'tls-snap', EngineVersion: target17 }));
    await waitUntilDBSnapshotAvailable({ client: t.rds, ...FAST_WAIT }, { DBSnapshotIdentifier: 'tls-snap' });
    await t.rds.send(new RestoreDBInstanceFromDBSnapshotCommand({ DBInstanceIdentifier: 'tls-green', DBSnapshotIdentifier: 'tls-snap' }));
    await waitUntilDBInstanceAvailable({ client: t.rds, ...FAST_WAIT }, { DBInstanceIdentifier: 'tls-green' });
    const green = (await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'tls-green' }))).DBInstances![0];
    const ref = { ...rdsRef(green.Endpoint!.Address!), port: green.Endpoint!.Port! };
    const row = await connector({ resolveSecret, tls: verifyFull(t.server.rds.caFile) })(ref, async (c) =>
      (await c.query<SslRow & { server: string }>("select ssl, version, current_setting('server_version_num') as server from pg_stat_ssl where pid = pg_backend_pid()")).rows[0]);
    expect(row).toMatchObject({ ssl: true, server: expect.stringMatching(/^17/) });
  });
});

describe('require', () => {
  test('encrypts without verifying: a certificate of another CA and name is accepted', async () => {
    const row = await sessionSsl({ mode: 'require' }, otherRef());
    expect(row.ssl).toBe(true);
  });

  test("the subscription's connection string asks its server for TLS; the walsender's session is encrypted", async () => {
    const publisher = connector({ resolveSecret, tls: { mode: 'require' } });
    await publisher(rdsRef(), async (c) => {
      await c.query('create table items (id int primary key)');
      await c.query('create publication tls_pub for all tables');
      await c.query("select pg_create_logical_replication_slot('tls_slot', 'pgoutput')");
    });
    await asSuperuser((c) => c.query('create table items (id int primary key)'));
    const source = { host: '127.0.0.1', port: rdsPort, database: 'app', user: 'master', password: { env: 'TLS_TEST_MASTER_PW' } };
    const input = { db: otherRef(), publication: 'tls_pub', slot: 'tls_slot', source };
    const withTls = createPostgresActivities(resolveSecret, { mode: 'require' });
    await withTls.createSubscription({ ...input, subscription: 'tls_sub', enabled: true });
    // Without TLS at the worker, the connection string leaves libpq's default.
    await createPostgresActivities(resolveSecret).createSubscription({ ...input, subscription: 'plain_sub', enabled: false });
    const conninfo = await asSuperuser(async (c) => Object.fromEntries((await c.query<{ subname: string; subconninfo: string }>('select subname, subconninfo from pg_subscription')).rows.map((r) => [r.subname, r.subconninfo])));
    expect(conninfo.tls_sub).toContain("sslmode='require'");
    expect(conninfo.plain_sub).not.toContain('sslmode');
    const deadline = Date.now() + 30_000;
    let walsender: { ssl: boolean } | undefined;
    while (!walsender && Date.now() < deadline) {
      walsender = await publisher(rdsRef(), async (c) =>
        (await c.query<{ ssl: boolean }>("select s.ssl from pg_stat_replication r join pg_stat_ssl s using (pid) where r.application_name = 'tls_sub'")).rows[0]);
      if (!walsender) await new Promise((r) => setTimeout(r, 200));
    }
    expect(walsender).toEqual({ ssl: true });
    await withTls.dropSubscription({ db: otherRef(), subscription: 'tls_sub' });
    await withTls.dropSubscription({ db: otherRef(), subscription: 'plain_sub' });
  });
});

describe('servers that differ from the worker', () => {
  test('a server that refuses connections without TLS (rds.force_ssl = 1): the message says to set the CA bundle', async () => {
    // As RDS's rds.force_ssl does: only hostssl lines in pg_hba.conf.
    const hba = path.join(otherServer.dataDir, 'pg_hba.conf');
    fs.writeFileSync(hba, fs.readFileSync(hba, 'utf8').replace(/^host(\s)/gm, 'hostssl$1'));
    await asSuperuser((c) => c.query('select pg_reload_conf()'));
    const err = await rejection(sessionSsl({ mode: 'disable' }, otherRef()));
    expect(err.message).toBe(
      `cannot connect to ${BOOTSTRAP_USER}@127.0.0.1:${otherServer.port}/postgres: 127.0.0.1:${otherServer.port} refuses connections without TLS (on RDS, rds.force_ssl = 1): set BLUEGREEN_PG_SSLROOTCERT to the servers' CA bundle (for RDS, https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem), which turns on verify-full`,
    );
    expect((await sessionSsl({ mode: 'require' }, otherRef())).ssl).toBe(true);
    fs.writeFileSync(hba, fs.readFileSync(hba, 'utf8').replace(/^hostssl(\s)/gm, 'host$1'));
    await asSuperuser((c) => c.query('select pg_reload_conf()'));
  });

  test('a server without TLS: require and verify-full are refused, saying so', async () => {
    await asSuperuser(async (c) => {
      await c.query('alter system set ssl = off');
      await c.query('select pg_reload_conf()');
    });
    const err = await rejection(sessionSsl({ mode: 'require' }, otherRef()));
    expect(err.message).toBe(
      `cannot connect to ${BOOTSTRAP_USER}@127.0.0.1:${otherServer.port}/postgres: 127.0.0.1:${otherServer.port} does not offer TLS, and BLUEGREEN_PG_SSLMODE=require requires it: turn ssl on at that server, or set BLUEGREEN_PG_SSLMODE=disable to connect without TLS`,
    );
    const full = await rejection(sessionSsl(verifyFull(other.caFile), otherRef()));
    expect(full.message).toContain('does not offer TLS, and BLUEGREEN_PG_SSLMODE=verify-full requires it: turn ssl on at that server, or unset BLUEGREEN_PG_SSLROOTCERT and BLUEGREEN_PG_SSLMODE to connect without TLS');
    expect((await sessionSsl({ mode: 'disable' }, otherRef())).ssl).toBe(false);
  });
});
