// npm run demo: the main job on the local default. A PostgreSQL 15 BLUE on the local RDS,
// under a writer that keeps inserting and updating, upgraded to 17 by the real workflow on
// a real Temporal dev server and worker; approvals sent automatically (--manual waits for
// yours); a report of phase timings, the write freeze and the comparison of BLUE and GREEN.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { Client } from 'pg';
import { createActivities } from '../activities';
import { compare, digest, type Comparison } from '../lib/verify';
import { startDevServer, stopDevServer } from '../lib/temporal-dev-server';
import { statusQuery, type UpgradeStatus } from '../workflows/messages';
import { blueGreenUpgrade } from '../workflows';
import { version } from '../package.json';
import { startLocalRds } from '../local-rds/server';
import { awsClients } from '../worker/clients';
import { APP_USERS, createSampleBlue } from './sample-blue';
import { Writer, type WriterTarget } from './writer';

export interface DemoReport {
  workflowId: string;
  phases: Array<{ name: string; durationMs: number }>;
  writeFreezeMs: number;
  failedTransactions: number;
  committedTransactions: number;
  tablesEqual: boolean;
  sequencesEqual: boolean;
  rowsMissing: number;
  countersMatchRows: boolean;
  differences: string[];
}

export interface DemoOptions {
  manual: boolean;
  /** Rows in the sample orders table before the upgrade. */
  rows: number;
  log: (line: string) => void;
}

export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const log = options.log;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rds-bluegreen-demo-'));
  fs.chmodSync(dir, 0o755);
  const secrets = { master: crypto.randomBytes(12).toString('hex'), app: crypto.randomBytes(12).toString('hex'), replication: crypto.randomBytes(12).toString('hex') };
  // The worker reads passwords from its environment; the workflow input only names them.
  process.env.DEMO_MASTER_PASSWORD = secrets.master;
  process.env.DEMO_REPLICATION_PASSWORD = secrets.replication;

  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    log('starting the Temporal dev server...');
    const server = await startDevServer({ dbFile: path.join(dir, 'temporal.db'), logFile: path.join(dir, 'temporal.log') });
    cleanups.push(() => stopDevServer(server));
    log(`Temporal UI: ${server.uiUrl}`);

    const rdsServer = await startLocalRds({ dir: path.join(dir, 'local-rds'), paceMs: 300 });
    cleanups.push(() => rdsServer.close());
    const stack = awsClients({ BLUEGREEN_LOCAL_RDS: rdsServer.endpoint, AWS_REGION: 'us-east-1' });
    cleanups.push(async () => [stack.rds, stack.logs, stack.secretsManager].forEach((c) => c.destroy()));
    log(`local RDS: ${rdsServer.endpoint}`);

    log('creating BLUE (PostgreSQL 15) with sample data and application users...');
    const blue = await createSampleBlue(stack.rds, { instanceId: 'demo-blue', masterPassword: secrets.master, appPassword: secrets.app, rows: options.rows });
    const target17 = (await createActivities({ packageVersion: version, ...stack }).validUpgradeTargets({ engineVersion: '15' })).find((v) => v.startsWith('17.'))!;

    Runtime.install({ logger: new DefaultLogger('WARN') });
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    cleanups.push(() => nativeConnection.close());
    const worker = await Worker.create({
      connection: nativeConnection,
      taskQueue: 'rds-bluegreen',
      workflowsPath: require.resolve('../workflows'),
      activities: createActivities({ packageVersion: version, ...stack, waiterDelay: { minDelay: 1, maxDelay: 1 } }),
    });
    const workerRun = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await workerRun;
    });

    // The application: it writes to whichever side serves.
    let serving: WriterTarget = blue.app;
    const writer = new Writer(() => serving);
    writer.start();
    cleanups.push(() => writer.stop());

    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const client = new TemporalClient({ connection });
    const workflowId = 'demo-upgrade';
    const handle = await client.workflow.start(blueGreenUpgrade, {
      taskQueue: 'rds-bluegreen',
      workflowId,
      staticSummary: `Upgrade demo-blue to ${target17}`,
      args: [
        {
          blue: { instanceId: blue.instanceId, database: blue.database, adminUser: blue.master.user, adminPassword: { env: 'DEMO_MASTER_PASSWORD' } },
          green: { instanceId: 'demo-green', upgradePath: [target17] },
          replication: { password: { env: 'DEMO_REPLICATION_PASSWORD' } },
          appUsers: APP_USERS,
          catchUpLagBytes: 1024 * 1024,
          pollMinutes: 0.02,
        },
      ],
    });
    log(`upgrade started: ${server.uiUrl}/namespaces/default/workflows/${workflowId}`);

    let last: UpgradeStatus | undefined;
    let sequencesAtCutover: Comparison | undefined;
    let approved = false;
    let greenEndpoint: WriterTarget | undefined;
    for (;;) {
      const s = await handle.query(statusQuery);
      if (s.phase !== last?.phase || s.step !== last?.step) log(`  ${s.phase}: ${s.step}${s.lagBytes !== undefined ? ` (lag ${s.lagBytes} B)` : ''}`);
      if (s.outcome) throw new Error(`the upgrade ended ${s.outcome}: ${s.lastError}`);
      if (s.phase === 'awaitApproval' && s.waitingFor?.what === 'approveCutover' && !approved) {
        approved = true;
        if (options.manual) log(`  approve with: TEMPORAL_ADDRESS=${server.address} npx bluegreen approve ${workflowId}`);
        else log(`  ${await handle.executeUpdate('approveCutover')}`);
      }
      if (s.serving === 'green' && serving === blue.app) {
        const green = (await stack.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'demo-green' }))).DBInstances![0];
        greenEndpoint = { ...blue.app, host: green.Endpoint!.Address!, port: green.Endpoint!.Port! };
        // Sequences compared at the moment of cutover, before the application writes to GREEN.
        sequencesAtCutover = await compareSides(blue.master, blue.app, greenEndpoint);
        serving = greenEndpoint;
        log('  traffic moved to GREEN');
      }
      if (s.phase === 'rollbackWindow' && s.waitingFor?.from === 'operator') break;
      last = s;
      await new Promise((r) => setTimeout(r, 100));
    }

    // A few seconds of writes on GREEN, streaming back to BLUE.
    await new Promise((r) => setTimeout(r, 3000));
    const stats = await writer.stop();
    const tables = await waitForEqualTables(blue.master, blue.app, greenEndpoint!);
    const presence = await checkRows(blue.master, greenEndpoint!, stats.ids, options.rows);
    if (options.manual) log(`  finalize with: TEMPORAL_ADDRESS=${server.address} npx bluegreen finalize ${workflowId}`);
    else log(`  ${await handle.executeUpdate('finalize')}`);
    const result = await handle.result();
    const status = await handle.query(statusQuery);
    log(`upgrade ${result.outcome}`);
    return {
      workflowId,
      phases: status.phases.map((p) => ({ name: p.phase, durationMs: Date.parse(p.endedAt ?? p.startedAt) - Date.parse(p.startedAt) })),
      writeFreezeMs: stats.longestGapMs,
      failedTransactions: stats.failures,
      committedTransactions: stats.commits,
      tablesEqual: tables.tablesEqual,
      sequencesEqual: sequencesAtCutover?.sequencesEqual ?? false,
      rowsMissing: presence.missing,
      countersMatchRows: presence.countersMatch,
      differences: [...tables.differences, ...(sequencesAtCutover?.differences.filter((d) => d.startsWith('sequence')) ?? [])],
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => log(`cleanup: ${(err as Error).message}`));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function connectAs(target: WriterTarget, master: { user: string; password: string }): Promise<Client> {
  const client = new Client({ ...target, user: master.user, password: master.password });
  await client.connect();
  return client;
}

async function compareSides(master: { user: string; password: string }, blue: WriterTarget, green: WriterTarget): Promise<Comparison> {
  const [b, g] = await Promise.all([connectAs(blue, master), connectAs(green, master)]);
  try {
    return compare(await digest(b), await digest(g));
  } finally {
    await Promise.all([b.end(), g.end()]);
  }
}

/** Reverse replication is asynchronous: compare until equal, or report the last differences. */
async function waitForEqualTables(master: { user: string; password: string }, blue: WriterTarget, green: WriterTarget): Promise<Comparison> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const result = await compareSides(master, blue, green);
    const tables = { ...result, differences: result.differences.filter((d) => d.startsWith('table')) };
    if (tables.tablesEqual || Date.now() > deadline) return tables;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Every committed row is on the serving side, and each order bumped its counter exactly once. */
async function checkRows(master: { user: string; password: string }, green: WriterTarget, ids: number[], initialRows: number): Promise<{ missing: number; countersMatch: boolean }> {
  const g = await connectAs(green, master);
  try {
    const present = await g.query<{ n: string }>('select count(*)::text as n from public.orders where id = any($1::bigint[])', [ids]);
    const totals = await g.query<{ orders: string; bumps: string }>('select (select count(*) from public.orders)::text as orders, (select sum(n) from public.counters)::text as bumps');
    return { missing: ids.length - Number(present.rows[0].n), countersMatch: Number(totals.rows[0].orders) - initialRows === Number(totals.rows[0].bumps) };
  } finally {
    await g.end();
  }
}

export function renderReport(r: DemoReport): string {
  const lines = ['', 'phase               duration'];
  for (const p of r.phases) lines.push(`${p.name.padEnd(19)} ${(p.durationMs / 1000).toFixed(1).padStart(7)} s`);
  lines.push('');
  lines.push(`write freeze at cutover: ${r.writeFreezeMs} ms (longest gap between the writer's commits)`);
  lines.push(`transactions: ${r.committedTransactions} committed, ${r.failedTransactions} failed and retried`);
  lines.push(`tables equal: ${r.tablesEqual}; sequences equal at cutover: ${r.sequencesEqual}`);
  lines.push(`committed rows missing on GREEN: ${r.rowsMissing}; counters match rows (nothing applied twice): ${r.countersMatchRows}`);
  for (const d of r.differences) lines.push(`  difference: ${d}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  // The pinned AWS SDK works on Node 20; its notice about later releases is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { values } = parseArgs({
    options: { manual: { type: 'boolean', default: false }, report: { type: 'string' }, rows: { type: 'string', default: '20000' }, help: { type: 'boolean', default: false } },
  });
  if (values.help) {
    console.log('usage: npm run demo -- [--manual] [--report FILE] [--rows N]\n  example: npm run demo -- --report demo-report.json');
    return;
  }
  const report = await runDemo({ manual: values.manual, rows: Number(values.rows), log: (line) => console.log(line) });
  console.log(renderReport(report));
  if (values.report) fs.writeFileSync(values.report, `${JSON.stringify(report, null, 2)}\n`);
  const ok = report.tablesEqual && report.sequencesEqual && report.rowsMissing === 0 && report.countersMatchRows;
  process.exit(ok ? 0 : 1);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
