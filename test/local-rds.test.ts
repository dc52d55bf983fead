// The local RDS through the real AWS SDK clients and waiters: the seed's snapshot, upgrade
// and restore on real PostgreSQL servers, the log APIs, AWS's errors, and a restart.
import {
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  DBSnapshotAlreadyExistsFault,
  DBSnapshotNotFoundFault,
  DeleteDBInstanceCommand,
  DeleteDBSnapshotCommand,
  DescribeDBEngineVersionsCommand,
  DescribeDBInstancesCommand,
  DescribeDBLogFilesCommand,
  DescribeDBParametersCommand,
  DescribeDBSnapshotsCommand,
  DownloadDBLogFilePortionCommand,
  InvalidDBInstanceStateFault,
  InvalidDBSnapshotStateFault,
  ModifyDBSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  waitUntilDBInstanceAvailable,
  waitUntilDBInstanceDeleted,
  waitUntilDBSnapshotAvailable,
  waitUntilDBSnapshotDeleted,
  type DBInstance,
} from '@aws-sdk/client-rds';
import { DescribeLogStreamsCommand, FilterLogEventsCommand, GetLogEventsCommand, ResourceNotFoundException } from '@aws-sdk/client-cloudwatch-logs';
import { Client } from 'pg';
import { FAST_WAIT, startTestRds, type TestRds } from './helpers/local-rds';

const PASSWORD = 'blue-master-pw';

let t: TestRds;

beforeAll(async () => {
  t = await startTestRds({ paceMs: 300 });
});

afterAll(async () => {
  await t?.close();
});

async function describe1(id: string): Promise<DBInstance> {
  const out = await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
  return out.DBInstances![0];
}

async function connect(instance: DBInstance, database = 'app'): Promise<Client> {
  const client = new Client({ host: instance.Endpoint!.Address, port: instance.Endpoint!.Port, user: 'master', password: PASSWORD, database });
  await client.connect();
  return client;
}

async function createInstance(id: string, engineVersion = '15'): Promise<void> {
  await t.rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      Engine: 'postgres',
      EngineVersion: engineVersion,
      DBInstanceClass: 'db.t3.micro',
      AllocatedStorage: 20,
      MasterUsername: 'master',
      MasterUserPassword: PASSWORD,
      DBName: 'app',
    }),
  );
}

/** Inserts one row per transaction until stopped; returns how many committed. */
function startWriter(client: Client): { stop: () => Promise<number> } {
  let running = true;
  let committed = 0;
  const loop = (async () => {
    while (running) {
      await client.query('insert into items (payload) values (md5(random()::text))');
      committed += 1;
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return committed;
    },
  };
}

async function downloadWholeLog(id: string, name: string): Promise<{ text: string; pages: number }> {
  let marker = '0';
  let text = '';
  let pages = 0;
  for (;;) {
    const out = await t.rds.send(new DownloadDBLogFilePortionCommand({ DBInstanceIdentifier: id, LogFileName: name, Marker: marker, NumberOfLines: 5 }));
    text += out.LogFileData ?? '';
    pages += 1;
    marker = out.Marker!;
    if (!out.AdditionalDataPending) return { text, pages };
  }
}

describe('the local RDS', () => {
  it('creates a 15 instance, snapshots it under writes, upgrades the snapshot to 17 and restores it with the seed options', async () => {
    // Status moves through RDS's states over time.
    await createInstance('blue');
    const seen: string[] = [];
    for (let status = ''; status !== 'available'; await new Promise((r) => setTimeout(r, 50))) {
      status = (await describe1('blue')).DBInstanceStatus!;
      if (seen[seen.length - 1] !== status) seen.push(status);
      expect(status).not.toBe('failed');
    }
    expect(seen).toEqual(['creating', 'backing-up', 'available']);

    const blue = await describe1('blue');
    expect(blue.EngineVersion).toMatch(/^15\.\d+$/);
    const blueClient = await connect(blue);
    await blueClient.query('create table items (id bigserial primary key, payload text not null)');
    await blueClient.query("insert into items (payload) select md5(g::text) from generate_series(1, 5000) g");

    const writer = startWriter(blueClient);
    await new Promise((r) => setTimeout(r, 200));
    const counter = await connect(blue);
    const before = Number((await counter.query('select count(*) from items')).rows[0].count);
    await counter.end();
    const created = await t.rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'blue', DBSnapshotIdentifier: 'blue-snap' }));
    expect(created.DBSnapshot?.Status).toBe('creating');
    await waitUntilDBSnapshotAvailable({ client: t.rds, ...FAST_WAIT }, { DBSnapshotIdentifier: 'blue-snap' });
    const written = (await writer.stop()) + 5000;
    expect(written).toBeGreaterThan(before);

    // The upgrade target comes from DescribeDBEngineVersions, as the activities will take it.
    const versions = await t.rds.send(new DescribeDBEngineVersionsCommand({ Engine: 'postgres', EngineVersion: blue.EngineVersion }));
    const targets = versions.DBEngineVersions![0].ValidUpgradeTarget!.map((v) => v.EngineVersion!);
    expect(targets.map((v) => v.split('.')[0])).toEqual(['16', '17', '18']);
    const target17 = targets.find((v) => v.startsWith('17.'))!;

    const modified = await t.rds.send(new ModifyDBSnapshotCommand({ DBSnapshotIdentifier: 'blue-snap', EngineVersion: target17 }));
    expect(modified.DBSnapshot?.Status).toBe('upgrading');
    await waitUntilDBSnapshotAvailable({ client: t.rds, ...FAST_WAIT }, { DBSnapshotIdentifier: 'blue-snap' });
    const snapshot = (await t.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'blue-snap' }))).DBSnapshots![0];
    expect(snapshot.EngineVersion).toBe(target17);
    expect(snapshot.DBInstanceIdentifier).toBe('blue');

    // Log timestamps have whole seconds.
    const restoreStartedAt = Math.floor(Date.now() / 1000) * 1000;
    await t.rds.send(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBInstanceIdentifier: 'green',
        DBSnapshotIdentifier: 'blue-snap',
        DBParameterGroupName: 'green-params',
        DBInstanceClass: 'db.r6g.large',
        MultiAZ: true,
        DBSubnetGroupName: 'cluster-subnets',
        VpcSecurityGroupIds: ['sg-0a1', 'sg-0b2'],
        EnableIAMDatabaseAuthentication: true,
        PubliclyAccessible: false,
        EnableCloudwatchLogsExports: ['postgresql'],
      }),
    );
    await waitUntilDBInstanceAvailable({ client: t.rds, ...FAST_WAIT }, { DBInstanceIdentifier: 'green' });
    const green = await describe1('green');
    expect(green).toMatchObject({
      EngineVersion: target17,
      DBInstanceClass: 'db.r6g.large',
      MultiAZ: true,
      IAMDatabaseAuthenticationEnabled: true,
      PubliclyAccessible: false,
      DBSubnetGroup: { DBSubnetGroupName: 'cluster-subnets' },
      DBParameterGroups: [{ DBParameterGroupName: 'green-params' }],
      VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0a1' }, { VpcSecurityGroupId: 'sg-0b2' }],
      EnabledCloudwatchLogsExports: ['postgresql'],
    });
    expect(green.Endpoint?.Port).not.toBe(blue.Endpoint?.Port);
    const params = await t.rds.send(new DescribeDBParametersCommand({ DBParameterGroupName: 'green-params' }));
    expect(params.Parameters?.find((p) => p.ParameterName === 'rds.logical_replication')?.ParameterValue).toBe('1');

    // Exactly the data as of one moment: a gapless prefix of what BLUE committed, row for row.
    const greenClient = await connect(green);
    const version = await greenClient.query<{ v: string }>("select current_setting('server_version_num') v");
    expect(Math.floor(Number(version.rows[0].v) / 10000)).toBe(17);
    const greenRows = await greenClient.query<{ id: string; payload: string }>('select id, payload from items order by id');
    const n = greenRows.rows.length;
    expect(n).toBeGreaterThanOrEqual(before);
    expect(n).toBeLessThanOrEqual(written);
    expect(Number(greenRows.rows[n - 1].id)).toBe(n);
    const blueRows = await blueClient.query<{ id: string; payload: string }>('select id, payload from items where id <= $1 order by id', [n]);
    expect(greenRows.rows).toEqual(blueRows.rows);
    await greenClient.end();
    await blueClient.end();

    // RDS log files: the first "redo done at" (the 15 copy's replay) comes before the 17 server's start.
    const files = await t.rds.send(new DescribeDBLogFilesCommand({ DBInstanceIdentifier: 'green' }));
    expect(files.DescribeDBLogFiles!.length).toBeGreaterThan(0);
    const logName = files.DescribeDBLogFiles![0].LogFileName!;
    expect(logName).toMatch(/^error\/postgresql\.log\.\d{4}-\d{2}-\d{2}-\d{2}$/);
    const { text, pages } = await downloadWholeLog('green', logName);
    expect(pages).toBeGreaterThan(1);
    expect(text.length).toBe(files.DescribeDBLogFiles![0].Size);
    const redo = text.indexOf('redo done at ');
    expect(redo).toBeGreaterThan(-1);
    expect(redo).toBeLessThan(text.indexOf('starting PostgreSQL 17'));
    const tail = await t.rds.send(new DownloadDBLogFilePortionCommand({ DBInstanceIdentifier: 'green', LogFileName: logName, NumberOfLines: 2 }));
    expect(tail.LogFileData!.trimEnd().split('\n')).toHaveLength(2);
    expect(text.endsWith(tail.LogFileData!)).toBe(true);

    // CloudWatch Logs: the same line as an event of the exported group, logged after the restore began.
    const group = '/aws/rds/instance/green/postgresql';
    const filtered = await t.logs.send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: '"redo done at"', startTime: restoreStartedAt }));
    expect(filtered.events).toHaveLength(1);
    expect(filtered.events![0].message).toMatch(/redo done at [0-9A-F]+\/[0-9A-F]+/);
    expect(text).toContain(filtered.events![0].message!);
    const streams = await t.logs.send(new DescribeLogStreamsCommand({ logGroupName: group }));
    expect(streams.logStreams!.map((s) => s.logStreamName)).toEqual(['green']);
    const messages: string[] = [];
    let token: string | undefined;
    for (;;) {
      const page = await t.logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: 'green', startFromHead: true, limit: 4, nextToken: token }));
      messages.push(...page.events!.map((e) => e.message!));
      if (page.nextForwardToken === token) break;
      token = page.nextForwardToken;
    }
    expect(messages.some((m) => m.includes('redo done at'))).toBe(true);
    expect(messages.join('\n')).toBe(text.trimEnd());
    // BLUE does not export its log, so it has no log group.
    await expect(t.logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/rds/instance/blue/postgresql' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('returns AWS errors that the SDK types, each saying what is wrong', async () => {
    const rejectsWith = async (promise: Promise<unknown>, type: string | (new (...a: never[]) => Error), message: RegExp) => {
      const err = await promise.then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err).toBeDefined();
      if (typeof type === 'string') expect(err!.name).toBe(type);
      else expect(err).toBeInstanceOf(type);
      expect(err!.message).toMatch(message);
    };
    await rejectsWith(t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'nope' })), DBInstanceNotFoundFault, /nope not found/);
    await rejectsWith(t.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'nope' })), DBSnapshotNotFoundFault, /nope not found/);
    await rejectsWith(createInstance('blue'), DBInstanceAlreadyExistsFault, /blue already exists/);
    await rejectsWith(
      t.rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'blue', DBSnapshotIdentifier: 'blue-snap' })),
      DBSnapshotAlreadyExistsFault,
      /blue-snap already exists/,
    );
    await rejectsWith(createInstance('bad--name'), 'InvalidParameterValue', /DBInstanceIdentifier "bad--name" is not valid/);
    await rejectsWith(createInstance('x1', '14.9'), 'InvalidParameterCombination', /Cannot find version 14\.9 for postgres/);

    // A snapshot of 17 cannot go down to 15, nor to a version that does not exist.
    await rejectsWith(
      t.rds.send(new ModifyDBSnapshotCommand({ DBSnapshotIdentifier: 'blue-snap', EngineVersion: '15' })),
      'InvalidParameterCombination',
      /must be a newer major version/,
    );
    await rejectsWith(
      t.rds.send(new ModifyDBSnapshotCommand({ DBSnapshotIdentifier: 'blue-snap', EngineVersion: '19.1' })),
      'InvalidParameterCombination',
      /Cannot find version 19\.1/,
    );

    // States: no snapshot of an instance still being created, no restore of a snapshot still being taken.
    await createInstance('young');
    await rejectsWith(
      t.rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'young', DBSnapshotIdentifier: 'young-snap' })),
      InvalidDBInstanceStateFault,
      /young is creating/,
    );
    await waitUntilDBInstanceAvailable({ client: t.rds, ...FAST_WAIT }, { DBInstanceIdentifier: 'young' });
    await t.rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'young', DBSnapshotIdentifier: 'young-snap' }));
    await rejectsWith(
      t.rds.send(new RestoreDBInstanceFromDBSnapshotCommand({ DBInstanceIdentifier: 'young-copy', DBSnapshotIdentifier: 'young-snap' })),
      InvalidDBSnapshotStateFault,
      /young-snap is creating/,
    );
    await rejectsWith(
      t.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'young' })),
      'InvalidParameterCombination',
      /FinalDBSnapshotIdentifier is required/,
    );

    // Deletion through the SDK's own waiters.
    await waitUntilDBSnapshotAvailable({ client: t.rds, ...FAST_WAIT }, { DBSnapshotIdentifier: 'young-snap' });
    const deleting = await t.rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'young-snap' }));
    expect(deleting.DBSnapshot?.Status).toBe('deleting');
    await waitUntilDBSnapshotDeleted({ client: t.rds, ...FAST_WAIT }, { DBSnapshotIdentifier: 'young-snap' });
    await t.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'young', SkipFinalSnapshot: true }));
    await waitUntilDBInstanceDeleted({ client: t.rds, ...FAST_WAIT }, { DBInstanceIdentifier: 'young' });
    await rejectsWith(t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'young' })), DBInstanceNotFoundFault, /young/);
  });

  it('answers malformed requests with a 400 and keeps serving', async () => {
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(t.server.endpoint, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['', {}, /MissingAction/],
      ['Action=DropEverything', {}, /InvalidAction/],
      ['Action=DescribeDBInstances&__proto__.polluted=1', {}, /MalformedQueryString/],
      ['Action=DescribeDBInstances&MaxRecords=many', {}, /InvalidParameterValue/],
      ['Action=CreateDBInstance', {}, /MissingParameter/],
      ['Action=DescribeDBInstances&Filters.Filter.1.Name=engine&Filters.Filter.1.Values.Value.1=x', {}, /InvalidParameterValue/],
      ['{not json', { 'x-amz-target': 'Logs_20140328.FilterLogEvents', 'content-type': 'application/x-amz-json-1.1' }, /SerializationException/],
      ['[]', { 'x-amz-target': 'Logs_20140328.GetLogEvents', 'content-type': 'application/x-amz-json-1.1' }, /SerializationException/],
      ['{"logGroupName": 5}', { 'x-amz-target': 'Logs_20140328.FilterLogEvents', 'content-type': 'application/x-amz-json-1.1' }, /InvalidParameterException/],
    ];
    for (const [body, headers, code] of cases) {
      const res = await post(body, headers);
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(code);
    }
    const huge = await post(`Action=DescribeDBInstances&Marker=${'x'.repeat(2 * 1024 * 1024)}`);
    expect(huge.status).toBe(400);
    expect((await fetch(t.server.endpoint)).status).toBe(400);
    expect((await t.rds.send(new DescribeDBInstancesCommand({}))).DBInstances!.length).toBeGreaterThan(0);
  });

  it('finds its instances again after a restart, at the same endpoint with the same data', async () => {
    const before = await describe1('green');
    const count = async (instance: DBInstance) => {
      const client = await connect(instance);
      try {
        return Number((await client.query('select count(*) from items')).rows[0].count);
      } finally {
        await client.end();
      }
    };
    const rows = await count(before);
    const dir = t.dir;
    await t.close();
    // Every server the service started is stopped with it.
    await expect(connect(before)).rejects.toThrow();
    t = await startTestRds({ dir, paceMs: 300 });
    const after = await describe1('green');
    expect(after.DBInstanceStatus).toBe('available');
    expect(after.Endpoint).toEqual(before.Endpoint);
    expect(after.EngineVersion).toBe(before.EngineVersion);
    expect(await count(after)).toBe(rows);
    expect((await describe1('blue')).DBInstanceStatus).toBe('available');
  });
});
