// The RDS and log activities against the local RDS, each run twice in a row as a retry
// would run it: the second run must find the work done and do nothing again.
import fs from 'node:fs';
import { CreateDBInstanceCommand, DescribeDBSnapshotsCommand, waitUntilDBInstanceAvailable } from '@aws-sdk/client-rds';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Client } from 'pg';
import { createLogsActivities } from '../activities/logs';
import { createRdsActivities } from '../activities/rds';
import { currentLogFile } from '../local-rds/log-files';
import { failure, run } from './helpers/activity';
import { FAST_WAIT, startTestRds, type TestRds } from './helpers/local-rds';

let t: TestRds;
let rdsActs: ReturnType<typeof createRdsActivities>;
let logActs: ReturnType<typeof createLogsActivities>;
const commands: string[] = [];

beforeAll(async () => {
  t = await startTestRds({ paceMs: 200 });
  // Every command the activities send, to show what a second run does not repeat.
  t.rds.middlewareStack.add((next, context) => (args) => {
    commands.push(context.commandName!);
    return next(args);
  });
  rdsActs = createRdsActivities({ rds: t.rds, waiterDelay: { minDelay: 1, maxDelay: 1 } });
  logActs = createLogsActivities({ rds: t.rds, logs: t.logs });
  await t.rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: 'blue',
      Engine: 'postgres',
      EngineVersion: '15',
      DBInstanceClass: 'db.t3.micro',
      MasterUsername: 'master',
      MasterUserPassword: 'master-pw-1',
      DBName: 'app',
    }),
  );
  await waitUntilDBInstanceAvailable({ client: t.rds, ...FAST_WAIT }, { DBInstanceIdentifier: 'blue' });
  const blue = await run(rdsActs.describeInstance, { instanceId: 'blue' });
  const client = new Client({ host: blue.host, port: blue.port, user: 'master', password: 'master-pw-1', database: 'app' });
  await client.connect();
  await client.query('create table t (id int primary key)');
  await client.query('insert into t select generate_series(1, 100)');
  await client.end();
});

afterAll(async () => {
  await t?.close();
});

describe('RDS activities on the local RDS', () => {
  let green: Awaited<ReturnType<typeof rdsActs.restoreGreen>>;

  it('snapshotBlue takes one snapshot however often it runs', async () => {
    const first = await run(rdsActs.snapshotBlue, { blueInstanceId: 'blue', snapshotId: 'green-snap' });
    commands.length = 0;
    const second = await run(rdsActs.snapshotBlue, { blueInstanceId: 'blue', snapshotId: 'green-snap' });
    expect(second).toEqual(first);
    expect(first).toMatchObject({ snapshotId: 'green-snap', blueInstanceId: 'blue', status: 'available' });
    expect(commands).not.toContain('CreateDBSnapshotCommand');
    const all = await t.rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: 'blue' }));
    expect(all.DBSnapshots!.map((s) => s.DBSnapshotIdentifier)).toEqual(['green-snap']);
  });

  it('upgradeSnapshot walks a path of two hops once', async () => {
    const targets = await run(rdsActs.validUpgradeTargets, { engineVersion: (await run(rdsActs.describeInstance, { instanceId: 'blue' })).engineVersion });
    const path = [targets.find((v) => v.startsWith('16.'))!, targets.find((v) => v.startsWith('17.'))!];
    commands.length = 0;
    const first = await run(rdsActs.upgradeSnapshot, { snapshotId: 'green-snap', upgradePath: path });
    expect(commands.filter((c) => c === 'ModifyDBSnapshotCommand')).toHaveLength(2);
    expect(first.engineVersion).toBe(path[1]);
    commands.length = 0;
    const second = await run(rdsActs.upgradeSnapshot, { snapshotId: 'green-snap', upgradePath: path });
    expect(second).toEqual(first);
    expect(commands).not.toContain('ModifyDBSnapshotCommand');
  });

  it('restoreGreen restores one GREEN with the options and keeps the first attempt\'s start time', async () => {
    const options = {
      dbInstanceClass: 'db.r6g.large',
      dbParameterGroupName: 'green-pg17',
      multiAZ: true,
      vpcSecurityGroupIds: ['sg-1'],
      enableIAMDatabaseAuthentication: true,
      publiclyAccessible: false,
      enableCloudwatchLogsExports: ['postgresql'],
    };
    const before = new Date().toISOString();
    green = await run(rdsActs.restoreGreen, { greenInstanceId: 'green', snapshotId: 'green-snap', options });
    expect(green).toMatchObject({ instanceId: 'green', status: 'available', enabledCloudwatchLogsExports: ['postgresql'] });
    expect(green.engineVersion).toMatch(/^17\./);
    expect(Date.parse(green.restoreStartedAt)).toBeGreaterThanOrEqual(Date.parse(before));
    expect(Date.parse(green.restoreStartedAt)).toBeLessThanOrEqual(Date.now());
    commands.length = 0;
    // A retry after a crash: its heartbeat details carry the first attempt's start.
    const again = await run(rdsActs.restoreGreen, { greenInstanceId: 'green', snapshotId: 'green-snap', options }, { heartbeatDetails: { restoreStartedAt: green.restoreStartedAt } });
    expect(again).toEqual(green);
    expect(commands).not.toContain('RestoreDBInstanceFromDBSnapshotCommand');
  });

  it('findStartLsn reads the same start LSN from CloudWatch Logs and from the log files', async () => {
    const viaCloudWatch = await run(logActs.findStartLsn, { greenInstanceId: 'green', restoreStartedAt: green.restoreStartedAt, logsExported: true });
    const viaFiles = await run(logActs.findStartLsn, { greenInstanceId: 'green', restoreStartedAt: green.restoreStartedAt, logsExported: false });
    expect(viaCloudWatch.source).toBe('cloudwatch');
    expect(viaFiles.source).toBe('logfiles');
    expect(viaFiles.startLsn).toBe(viaCloudWatch.startLsn);
    // The real line of the restored server's log, read directly: redo LSN + 1.
    const log = fs.readFileSync(currentLogFile(t.server.rds.logDir('green')), 'utf8');
    const [, hi, lo] = /redo done at ([0-9A-F]+)\/([0-9A-F]+)/.exec(log)!;
    const expected = (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`) + 1n;
    expect(viaFiles.startLsn).toBe(`${(expected >> 32n).toString(16).toUpperCase()}/${(expected & 0xffffffffn).toString(16).toUpperCase()}`);
    expect(await run(logActs.findStartLsn, { greenInstanceId: 'green', restoreStartedAt: green.restoreStartedAt, logsExported: true })).toEqual(viaCloudWatch);
  });

  it('findStartLsn fails for good, saying what to do, when the log has no usable line', async () => {
    const input = { greenInstanceId: 'blue', restoreStartedAt: new Date(Date.now() - 3600_000).toISOString(), logsExported: false };
    // BLUE was created, not restored: it replayed nothing.
    const missing = await failure(run(logActs.findStartLsn, input));
    expect(missing.type).toBe('RedoLineNotFound');
    expect(missing.nonRetryable).toBe(true);
    expect(missing.message).toMatch(/setStartLsn/);
    const line = (message: string) => `${new Date().toISOString().slice(0, 19).replace('T', ' ')} UTC::@:[1]:LOG:  ${message}\n`;
    fs.appendFileSync(currentLogFile(t.server.rds.logDir('blue')), line('redo done at not-an-lsn'));
    expect((await failure(run(logActs.findStartLsn, input))).type).toBe('UnparsableRedoLine');
    // The first line that tells wins: on BLUE the unparsable one came first.
    fs.appendFileSync(currentLogFile(t.server.rds.logDir('blue')), line('redo is not required'));
    expect((await failure(run(logActs.findStartLsn, input))).type).toBe('UnparsableRedoLine');
    const green2 = await run(rdsActs.restoreGreen, { greenInstanceId: 'green2', snapshotId: 'green-snap', options: {} });
    fs.writeFileSync(currentLogFile(t.server.rds.logDir('green2')), line('redo is not required'));
    const notRequired = await failure(run(logActs.findStartLsn, { greenInstanceId: 'green2', restoreStartedAt: green2.restoreStartedAt, logsExported: false }));
    expect(notRequired.type).toBe('RedoNotRequired');
    expect(notRequired.message).toMatch(/setStartLsn/);
    await run(rdsActs.deleteGreen, { greenInstanceId: 'green2', blueInstanceId: 'blue' });
  });

  it('a wait stops at once when the activity is cancelled', async () => {
    // A slow RDS: the snapshot stays "creating" for a minute.
    t.server.rds.paceMs = 60_000;
    try {
      const env = new MockActivityEnvironment();
      const waiting = env.run(rdsActs.snapshotBlue, { blueInstanceId: 'blue', snapshotId: 'slow-snap' });
      await new Promise((r) => setTimeout(r, 1500));
      env.cancel();
      await expect(waiting).rejects.toBeInstanceOf(CancelledFailure);
      const snap = await t.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'slow-snap' }));
      expect(snap.DBSnapshots![0].Status).toBe('creating');
    } finally {
      t.server.rds.paceMs = 200;
    }
  });

  it('compensation deletes GREEN and the snapshots, never BLUE, and can run again', async () => {
    const refused = await failure(run(rdsActs.deleteGreen, { greenInstanceId: 'Blue', blueInstanceId: 'blue' }));
    expect(refused.type).toBe('RefusedToDeleteBlue');
    expect(await run(rdsActs.deleteGreen, { greenInstanceId: 'green', blueInstanceId: 'blue' })).toEqual({ deleted: true });
    expect(await run(rdsActs.deleteGreen, { greenInstanceId: 'green', blueInstanceId: 'blue' })).toEqual({ deleted: false });
    for (const snapshotId of ['green-snap', 'slow-snap']) {
      expect(await run(rdsActs.deleteSnapshot, { snapshotId })).toEqual({ deleted: true });
      expect(await run(rdsActs.deleteSnapshot, { snapshotId })).toEqual({ deleted: false });
    }
    expect((await run(rdsActs.describeInstance, { instanceId: 'blue' })).status).toBe('available');
    const gone = await failure(run(rdsActs.describeInstance, { instanceId: 'green' }));
    expect(gone.type).toBe('InstanceNotFound');
  });
});
