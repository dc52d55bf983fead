// The whole local stack for the demo, `npm start` and the end-to-end tests: a Temporal dev
// server (or one given), the local RDS, a BLUE under it, and a worker with the real
// activities pointed at the local RDS.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { pgTlsFromEnv } from '../activities/pg/tls';
import { startLocalRds, type LocalRdsServer } from '../local-rds/server';
import { dataConverterFromEnv } from '../lib/codec';
import { startDevServer, stopDevServer, type DevServer } from '../lib/temporal-dev-server';
import { version } from '../package.json';
import { awsClients, type AwsClients } from '../worker/clients';
import { startPgbouncer, type PgbouncerServer } from '../lib/pgbouncer-server';
import { APP_USERS, createSampleBlue, type SampleBlue } from './sample-blue';

export interface StackOptions {
  dir: string;
  /** A running Temporal server; without it the stack starts a dev server of its own. */
  temporalAddress?: string;
  taskQueue?: string;
  /** Rows in BLUE's orders table before the upgrade. */
  rows: number;
  log: (line: string) => void;
  /** Whether the stack runs a worker in this process; tests that kill workers run their own. */
  inProcessWorker?: boolean;
  /** Put a PgBouncer in front of BLUE, which the upgrade switches (traffic.strategy pgbouncer). */
  pgbouncer?: boolean;
}

export interface Stack {
  temporalAddress: string;
  uiUrl?: string;
  taskQueue: string;
  /** The environment a worker process needs to serve this stack. */
  workerEnv: NodeJS.ProcessEnv;
  rdsServer: LocalRdsServer;
  aws: AwsClients;
  client: TemporalClient;
  blue: SampleBlue;
  /** The PgBouncer the application connects through, when the stack has one. */
  pgbouncer?: PgbouncerServer;
  /** The 17.x this machine can upgrade to, from DescribeDBEngineVersions. */
  target17: string;
  /** The input of an upgrade of BLUE to 17, as a user would write it. */
  upgradeInput(overrides?: Record<string, unknown>): Record<string, unknown>;
  close(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const { log } = options;
  const cleanups: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => log(`cleanup: ${(err as Error).message}`));
  };
  try {
    let devServer: DevServer | undefined;
    if (!options.temporalAddress) {
      log('starting the Temporal dev server...');
      devServer = await startDevServer({ dbFile: path.join(options.dir, 'temporal.db'), logFile: path.join(options.dir, 'temporal.log') });
      cleanups.push(() => stopDevServer(devServer!));
      log(`Temporal UI: ${devServer.uiUrl}`);
    }
    const temporalAddress = options.temporalAddress ?? devServer!.address;

    fs.mkdirSync(options.dir, { recursive: true, mode: 0o755 });
    const rdsServer = await startLocalRds({ dir: path.join(options.dir, 'local-rds'), paceMs: 300 });
    cleanups.push(() => rdsServer.close());
    const aws = awsClients({ BLUEGREEN_LOCAL_RDS: rdsServer.endpoint, AWS_REGION: 'us-east-1' });
    cleanups.push(async () => [aws.rds, aws.logs, aws.secretsManager].forEach((c) => c.destroy()));
    log(`local RDS: ${rdsServer.endpoint}`);

    // The worker reads passwords from its environment; the workflow input only names them.
    const secret = () => crypto.randomBytes(12).toString('hex');
    const secrets = { master: secret(), app: secret(), replication: secret(), pgbouncer: secret() };
    process.env.DEMO_MASTER_PASSWORD = secrets.master;
    process.env.DEMO_REPLICATION_PASSWORD = secrets.replication;
    process.env.DEMO_PGBOUNCER_PASSWORD = secrets.pgbouncer;
    log('creating BLUE (PostgreSQL 15) with sample data and application users...');
    const blue = await createSampleBlue(aws.rds, { instanceId: 'demo-blue', masterPassword: secrets.master, appPassword: secrets.app, rows: options.rows });
    let pgbouncer: PgbouncerServer | undefined;
    if (options.pgbouncer) {
      pgbouncer = await startPgbouncer({
        dir: path.join(options.dir, 'pgbouncer'),
        databases: { [blue.database]: { host: blue.app.host, port: blue.app.port, dbname: blue.database } },
        users: { ...Object.fromEntries(APP_USERS.map((u) => [u, secrets.app])), pgb_admin: secrets.pgbouncer },
        adminUser: 'pgb_admin',
      });
      cleanups.push(() => pgbouncer!.stop());
      log(`PgBouncer in front of BLUE: ${pgbouncer.host}:${pgbouncer.port}`);
    }
    // The worker reaches BLUE and GREEN over TLS, verifying them with the local RDS's CA, as
    // it would verify RDS with AWS's bundle.
    const pgTls = pgTlsFromEnv({ BLUEGREEN_PG_SSLROOTCERT: rdsServer.rds.caFile });
    const activities = createActivities({ packageVersion: version, ...aws, waiterDelay: { minDelay: 1, maxDelay: 1 }, pgTls });
    log(`worker to BLUE and GREEN: TLS verify-full with the local RDS's CA (${rdsServer.rds.caFile})`);
    const target17 = (await activities.validUpgradeTargets({ engineVersion: '15' })).find((v) => v.startsWith('17.'))!;

    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      // Installed already by another part of this process.
    }
    const taskQueue = options.taskQueue ?? 'rds-bluegreen';
    // Payloads encrypted when BLUEGREEN_CODEC_KEY is set, as for the worker and the CLI.
    const dataConverter = dataConverterFromEnv();
    if (options.inProcessWorker ?? true) {
      const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
      cleanups.push(() => nativeConnection.close());
      const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowsPath: require.resolve('../workflows'), activities, dataConverter });
      const workerRun = worker.run();
      cleanups.push(async () => {
        // Ctrl-C reaches the worker too: the SDK stops it on SIGINT by itself.
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await workerRun;
      });
    }

    const connection = await Connection.connect({ address: temporalAddress });
    cleanups.push(() => connection.close());
    return {
      temporalAddress,
      uiUrl: devServer?.uiUrl,
      taskQueue,
      workerEnv: {
        TEMPORAL_ADDRESS: temporalAddress,
        TEMPORAL_TASK_QUEUE: taskQueue,
        BLUEGREEN_LOCAL_RDS: rdsServer.endpoint,
        AWS_REGION: 'us-east-1',
        DEMO_MASTER_PASSWORD: secrets.master,
        DEMO_REPLICATION_PASSWORD: secrets.replication,
        DEMO_PGBOUNCER_PASSWORD: secrets.pgbouncer,
        BLUEGREEN_PG_SSLROOTCERT: rdsServer.rds.caFile,
      },
      rdsServer,
      aws,
      client: new TemporalClient({ connection, dataConverter }),
      blue,
      pgbouncer,
      target17,
      upgradeInput: (overrides = {}) => ({
        blue: { instanceId: blue.instanceId, database: blue.database, adminUser: blue.master.user, adminPassword: { env: 'DEMO_MASTER_PASSWORD' } },
        green: { instanceId: 'demo-green', upgradePath: [target17] },
        replication: { password: { env: 'DEMO_REPLICATION_PASSWORD' } },
        appUsers: APP_USERS,
        catchUpLagBytes: 1024 * 1024,
        pollMinutes: 0.02,
        ...(pgbouncer
          ? { traffic: { strategy: 'pgbouncer', host: pgbouncer.host, port: pgbouncer.port, adminUser: 'pgb_admin', adminPassword: { env: 'DEMO_PGBOUNCER_PASSWORD' }, databases: [blue.database] } }
          : {}),
        ...overrides,
      }),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
