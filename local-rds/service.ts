// The local RDS's instances and snapshots: real PostgreSQL clusters under one state
// directory, moving through RDS's states over time while the real work happens.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../lib/ports';
import { assertServerUserCanUse, BOOTSTRAP_USER, giveToServerUser, initCluster, startCluster, stopCluster } from './cluster';
import { binDirFor, engineVersions, resolveEngineVersion, upgradeTargets } from './engine-versions';
import { invalidCombination, invalidValue, notFoundInstance, notFoundSnapshot, RdsApiError } from './errors';
import { currentLogFile } from './log-files';
import { dumpClientMajor, upgradeRestoredData } from './major-upgrade';
import { physicalCopy } from './physical-copy';
import { localRdsCertificates, type CertificateSet } from './tls';
import { StateStore, type InstanceOptions, type InstanceRecord, type SecretRecord, type SnapshotRecord, type State } from './state';

export interface LocalRdsOptions {
  /** Everything the service keeps lives here: state.json, data directories, logs. */
  dir: string;
  /** How long each intermediate status lasts at least, so that waiters really poll. */
  paceMs?: number;
  region?: string;
}

export interface CreateInstanceInput extends Partial<InstanceOptions> {
  id: string;
  engine: string;
  engineVersion?: string;
  masterUsername: string;
  masterUserPassword: string;
  dbName?: string;
  port?: number;
}

export interface RestoreInstanceInput extends Partial<InstanceOptions> {
  id: string;
  snapshotId: string;
  port?: number;
}

const IDENTIFIER = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const SQL_NAME = /^[a-z_][a-z0-9_]{0,62}$/i;
const RESERVED_USERS = new Set(['rdsadmin', 'rds_superuser', 'rds_replication', 'public']);

export class LocalRds {
  readonly region: string;
  /** How long each intermediate status lasts at least; a test may slow the service down to hold one. */
  paceMs: number;
  private readonly store: StateStore;
  private state!: State;
  private tls!: CertificateSet;
  private readonly pending = new Set<Promise<void>>();
  private closed = false;

  private constructor(options: LocalRdsOptions) {
    this.store = new StateStore(path.resolve(options.dir));
    this.paceMs = options.paceMs ?? 1000;
    this.region = options.region ?? 'us-east-1';
  }

  /** Opens the state directory and starts again every instance that was running. */
  static async open(options: LocalRdsOptions): Promise<LocalRds> {
    const rds = new LocalRds(options);
    fs.mkdirSync(rds.store.dir, { recursive: true });
    fs.chmodSync(rds.store.dir, 0o755);
    assertServerUserCanUse(rds.store.dir);
    rds.tls = await localRdsCertificates(rds.store.dir);
    rds.state = rds.store.load(() => ({ adminPassword: crypto.randomBytes(18).toString('base64url'), instances: {}, snapshots: {} }));
    await rds.recover();
    return rds;
  }

  get dir(): string {
    return this.store.dir;
  }

  /**
   * The CA bundle that verifies every instance's server certificate (for 127.0.0.1 and
   * localhost), as RDS's global-bundle.pem does on AWS: BLUEGREEN_PG_SSLROOTCERT for a worker.
   */
  get caFile(): string {
    return this.tls.caFile;
  }

  /** Waits for work in flight, then stops every PostgreSQL server of this service. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    for (const instance of Object.values(this.state.instances)) {
      await stopCluster(binDirFor(instance.major), this.dataDir(instance.id)).catch((err: unknown) => {
        console.error(`local-rds: stopping ${instance.id} failed: ${(err as Error).message}`);
      });
    }
  }

  // Instances

  createInstance(input: CreateInstanceInput): InstanceRecord {
    const id = checkIdentifier('DBInstanceIdentifier', input.id);
    if (input.engine !== 'postgres') throw invalidValue(`Invalid DB engine: ${input.engine}. The local RDS runs the engine postgres only.`);
    const version = resolveEngineVersion(input.engineVersion);
    checkMasterUser(input.masterUsername, input.masterUserPassword);
    const dbName = input.dbName ?? 'postgres';
    if (!SQL_NAME.test(dbName)) throw invalidValue(`DBName ${dbName} must begin with a letter and contain only letters, digits and underscores (at most 63).`);
    if (this.state.instances[id]) throw new RdsApiError('DBInstanceAlreadyExists', `DB instance ${id} already exists.`);
    const record: InstanceRecord = {
      id,
      status: 'creating',
      engineVersion: version.version,
      major: version.major,
      port: input.port ?? 0,
      masterUsername: input.masterUsername,
      dbName,
      createdAt: new Date().toISOString(),
      ...instanceOptions(input, version.major),
    };
    this.state.instances[id] = record;
    this.save();
    this.background(record, async () => {
      if (record.port === 0) record.port = await freePort();
      const binDir = version.binDir;
      await initCluster({ binDir, dataDir: this.dataDir(id), adminPassword: this.state.adminPassword, tls: this.tls });
      await startCluster({ binDir, dataDir: this.dataDir(id), port: record.port, logFile: currentLogFile(this.logDir(id)) });
      await this.createRdsRoles(record, input.masterUserPassword);
      await this.step(record, 'backing-up');
      await this.step(record, 'available');
    });
    return record;
  }

  describeInstances(id?: string): InstanceRecord[] {
    if (id !== undefined) return [this.instance(id)];
    return Object.values(this.state.instances).sort((a, b) => a.id.localeCompare(b.id));
  }

  deleteInstance(id: string, skipFinalSnapshot: boolean, finalSnapshotId?: string): InstanceRecord {
    const record = this.instance(id);
    if (!skipFinalSnapshot && !finalSnapshotId) {
      throw invalidCombination('FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.');
    }
    if (skipFinalSnapshot && finalSnapshotId) {
      throw invalidCombination('Cannot specify both SkipFinalSnapshot and FinalDBSnapshotIdentifier.');
    }
    if (record.status === 'deleting') throw invalidState(record, 'it is already being deleted');
    if (record.status === 'creating' || record.status === 'backing-up') throw invalidState(record, 'wait until it is available');
    if (finalSnapshotId) this.createSnapshot(id, finalSnapshotId);
    record.status = 'deleting';
    this.save();
    this.background(record, async () => {
      await this.settle(finalSnapshotId);
      await this.pause();
      await stopCluster(binDirFor(record.major), this.dataDir(id));
      fs.rmSync(this.store.instanceDir(id), { recursive: true, force: true });
      delete this.state.instances[id];
      this.save();
    });
    return record;
  }

  restoreInstance(input: RestoreInstanceInput): InstanceRecord {
    const id = checkIdentifier('DBInstanceIdentifier', input.id);
    const snapshot = this.snapshot(input.snapshotId);
    if (this.state.instances[id]) throw new RdsApiError('DBInstanceAlreadyExists', `DB instance ${id} already exists.`);
    if (snapshot.status !== 'available') {
      throw new RdsApiError('InvalidDBSnapshotState', `Snapshot ${snapshot.id} is ${snapshot.status}; it can be restored once it is available.`);
    }
    const record: InstanceRecord = {
      id,
      status: 'creating',
      engineVersion: snapshot.engineVersion,
      major: snapshot.major,
      port: input.port ?? 0,
      masterUsername: snapshot.masterUsername,
      dbName: snapshot.dbName,
      createdAt: new Date().toISOString(),
      ...instanceOptions({ ...input, allocatedStorage: input.allocatedStorage ?? snapshot.allocatedStorage }, snapshot.major),
    };
    this.state.instances[id] = record;
    this.save();
    this.background(record, async () => {
      if (record.port === 0) record.port = await freePort();
      const to = this.store.instanceDir(id);
      fs.mkdirSync(to, { recursive: true });
      fs.cpSync(path.join(this.store.snapshotDir(snapshot.id), 'data'), this.dataDir(id), { recursive: true });
      giveToServerUser(to, true);
      // Starting the copy replays WAL and logs "redo done at"; an upgraded snapshot then
      // moves to its new version, logging into the same file after that line.
      const logFile = currentLogFile(this.logDir(id));
      if (snapshot.dataMajor !== record.major) {
        await upgradeRestoredData({
          dataDir: this.dataDir(id),
          fromMajor: snapshot.dataMajor,
          toMajor: record.major,
          port: record.port,
          logFile,
          adminPassword: this.state.adminPassword,
          tls: this.tls,
        });
      } else {
        await startCluster({ binDir: binDirFor(record.major), dataDir: this.dataDir(id), port: record.port, logFile });
      }
      await this.step(record, 'backing-up');
      await this.step(record, 'available');
    });
    return record;
  }

  // Snapshots

  createSnapshot(instanceId: string, snapshotId: string): SnapshotRecord {
    const id = checkIdentifier('DBSnapshotIdentifier', snapshotId);
    const instance = this.instance(instanceId);
    if (this.state.snapshots[id]) throw new RdsApiError('DBSnapshotAlreadyExists', `Cannot create the snapshot because a snapshot with the identifier ${id} already exists.`);
    if (instance.status !== 'available') throw invalidState(instance, 'a snapshot can be taken once it is available');
    const record: SnapshotRecord = {
      id,
      instanceId: instance.id,
      status: 'creating',
      engineVersion: instance.engineVersion,
      major: instance.major,
      dataMajor: instance.major,
      port: instance.port,
      masterUsername: instance.masterUsername,
      dbName: instance.dbName,
      allocatedStorage: instance.allocatedStorage,
      createdAt: new Date().toISOString(),
    };
    this.state.snapshots[id] = record;
    instance.status = 'backing-up';
    this.save();
    this.background(record, async () => {
      try {
        await physicalCopy(
          { port: instance.port, adminPassword: this.state.adminPassword, dataDir: this.dataDir(instance.id) },
          path.join(this.store.snapshotDir(id), 'data'),
        );
        await this.pause();
      } finally {
        if (this.state.instances[instance.id]?.status === 'backing-up') instance.status = 'available';
      }
      await this.step(record, 'available');
    });
    return record;
  }

  describeSnapshots(filter: { snapshotId?: string; instanceId?: string }): SnapshotRecord[] {
    if (filter.snapshotId !== undefined) {
      const snapshot = this.snapshot(filter.snapshotId);
      return filter.instanceId === undefined || snapshot.instanceId === filter.instanceId.toLowerCase() ? [snapshot] : [];
    }
    return Object.values(this.state.snapshots)
      .filter((s) => filter.instanceId === undefined || s.instanceId === filter.instanceId.toLowerCase())
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  modifySnapshot(snapshotId: string, engineVersion: string | undefined): SnapshotRecord {
    const record = this.snapshot(snapshotId);
    if (engineVersion === undefined) throw invalidValue('EngineVersion is required: the local RDS modifies a snapshot only to upgrade its engine version.');
    const target = resolveEngineVersion(engineVersion);
    const current = resolveEngineVersion(record.engineVersion);
    if (target.major <= current.major) {
      throw invalidCombination(
        `Cannot upgrade snapshot ${record.id} from ${current.version} to ${target.version}: the target must be a newer major version (${upgradeTargets(current).map((v) => v.version).join(', ') || 'none installed'}).`,
      );
    }
    if (record.status !== 'available') throw new RdsApiError('InvalidDBSnapshotState', `Snapshot ${record.id} is ${record.status}; it can be modified once it is available.`);
    if (record.dataMajor !== dumpClientMajor()) {
      throw invalidCombination(
        `The local RDS upgrades snapshots of PostgreSQL ${dumpClientMajor()} data only (its only pg_dumpall is version ${dumpClientMajor()}); snapshot ${record.id} holds PostgreSQL ${record.dataMajor} data.`,
      );
    }
    record.status = 'upgrading';
    this.save();
    this.background(record, async () => {
      await this.pause();
      record.engineVersion = target.version;
      record.major = target.major;
      await this.step(record, 'available');
    });
    return record;
  }

  deleteSnapshot(snapshotId: string): SnapshotRecord {
    const record = this.snapshot(snapshotId);
    if (record.status !== 'available' && record.status !== 'failed') {
      throw new RdsApiError('InvalidDBSnapshotState', `Snapshot ${record.id} is ${record.status}; it can be deleted once it is available or failed.`);
    }
    record.status = 'deleting';
    this.save();
    this.background(record, async () => {
      await this.pause();
      fs.rmSync(this.store.snapshotDir(record.id), { recursive: true, force: true });
      delete this.state.snapshots[record.id];
      this.save();
    });
    return record;
  }

  // What the API layer reads

  instance(id: string): InstanceRecord {
    const record = this.state.instances[id.toLowerCase()];
    if (!record) throw notFoundInstance(id);
    return record;
  }

  snapshot(id: string): SnapshotRecord {
    const record = this.state.snapshots[id.toLowerCase()];
    if (!record) throw notFoundSnapshot(id);
    return record;
  }

  logDir(instanceId: string): string {
    return path.join(this.store.instanceDir(instanceId), 'logs');
  }

  secrets(): Record<string, SecretRecord> {
    return (this.state.secrets ??= {});
  }

  saveSecrets(): void {
    this.save();
  }

  parameterGroupExists(name: string): boolean {
    return (
      engineVersions().some((v) => name === `default.postgres${v.major}`) ||
      Object.values(this.state.instances).some((i) => i.dbParameterGroupName === name)
    );
  }

  // Internals

  private dataDir(id: string): string {
    return path.join(this.store.instanceDir(id), 'data');
  }

  private save(): void {
    this.store.save(this.state);
  }

  // In small steps, so that a change of paceMs applies to pauses under way.
  private async pause(): Promise<void> {
    const start = Date.now();
    while (Date.now() - start < this.paceMs) await new Promise((resolve) => setTimeout(resolve, Math.min(50, this.paceMs)));
  }

  private async step(record: { status: string }, status: string): Promise<void> {
    await this.pause();
    record.status = status;
    this.save();
  }

  /** Waits until a snapshot leaves its transitional status. */
  private async settle(snapshotId: string | undefined): Promise<void> {
    while (snapshotId && ['creating', 'upgrading'].includes(this.state.snapshots[snapshotId]?.status ?? '')) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Runs the real work of an operation after the API has answered; a failure leaves status failed. */
  private background(record: { id: string; status: string }, work: () => Promise<void>): void {
    const task = (async () => {
      try {
        await work();
      } catch (err) {
        console.error(`local-rds: ${record.id} failed: ${(err as Error).message}`);
        record.status = 'failed';
        if (!this.closed || fs.existsSync(this.store.dir)) this.save();
      }
    })();
    this.pending.add(task);
    void task.finally(() => this.pending.delete(task));
  }

  // RDS's roles, and the master user. On RDS rds_superuser can create subscriptions and
  // slots through RDS's own patches; plain PostgreSQL grants that to superusers only, so
  // here the master user is a superuser as well as a member of rds_superuser.
  private async createRdsRoles(record: InstanceRecord, masterPassword: string): Promise<void> {
    const client = new Client({ host: '127.0.0.1', port: record.port, user: BOOTSTRAP_USER, password: this.state.adminPassword, database: 'postgres' });
    await client.connect();
    try {
      const master = client.escapeIdentifier(record.masterUsername);
      await client.query('create role rds_superuser nologin');
      await client.query('create role rds_replication nologin');
      await client.query('grant rds_replication to rds_superuser with admin option');
      await client.query(`create role ${master} login superuser createrole createdb password ${client.escapeLiteral(masterPassword)}`);
      await client.query(`grant rds_superuser to ${master} with admin option`);
      if (record.dbName !== 'postgres') await client.query(`create database ${client.escapeIdentifier(record.dbName)} owner ${master}`);
    } finally {
      await client.end();
    }
  }

  /** After a restart: running instances start again; work that was cut off is failed. */
  private async recover(): Promise<void> {
    for (const record of Object.values(this.state.instances)) {
      if (record.status === 'deleting') {
        fs.rmSync(this.store.instanceDir(record.id), { recursive: true, force: true });
        delete this.state.instances[record.id];
      } else if (record.status === 'creating' || record.status === 'failed') {
        record.status = 'failed';
      } else {
        await startCluster({ binDir: binDirFor(record.major), dataDir: this.dataDir(record.id), port: record.port, logFile: currentLogFile(this.logDir(record.id)) });
        record.status = 'available';
      }
    }
    for (const record of Object.values(this.state.snapshots)) {
      if (record.status === 'deleting') {
        fs.rmSync(this.store.snapshotDir(record.id), { recursive: true, force: true });
        delete this.state.snapshots[record.id];
      } else if (record.status !== 'available') {
        record.status = 'failed';
      }
    }
    this.save();
  }
}

function instanceOptions(input: Partial<InstanceOptions>, major: number): InstanceOptions {
  const allocatedStorage = input.allocatedStorage ?? 20;
  if (!Number.isInteger(allocatedStorage) || allocatedStorage < 20 || allocatedStorage > 65536) {
    throw invalidValue(`AllocatedStorage must be an integer from 20 to 65536 (GiB), not ${allocatedStorage}.`);
  }
  for (const logType of input.enabledCloudwatchLogsExports ?? []) {
    if (logType !== 'postgresql' && logType !== 'upgrade') {
      throw invalidValue(`You cannot use the log types '${logType}' with engine postgres: use postgresql or upgrade.`);
    }
  }
  return {
    dbInstanceClass: input.dbInstanceClass ?? 'db.t3.micro',
    dbParameterGroupName: input.dbParameterGroupName ?? `default.postgres${major}`,
    dbSubnetGroupName: input.dbSubnetGroupName,
    vpcSecurityGroupIds: input.vpcSecurityGroupIds ?? [],
    multiAZ: input.multiAZ ?? false,
    iamDatabaseAuthenticationEnabled: input.iamDatabaseAuthenticationEnabled ?? false,
    publiclyAccessible: input.publiclyAccessible ?? false,
    allocatedStorage,
    enabledCloudwatchLogsExports: input.enabledCloudwatchLogsExports ?? [],
  };
}

function checkIdentifier(field: string, value: string | undefined): string {
  if (value === undefined || value === '') throw invalidValue(`${field} is required.`);
  const id = value.toLowerCase();
  if (!IDENTIFIER.test(id) || id.length > 63) {
    throw invalidValue(
      `${field} ${JSON.stringify(value)} is not valid: use 1 to 63 letters, digits or hyphens, starting with a letter, without two hyphens in a row or a hyphen at the end.`,
    );
  }
  return id;
}

function checkMasterUser(name: string | undefined, password: string | undefined): void {
  if (!name || !SQL_NAME.test(name) || RESERVED_USERS.has(name.toLowerCase())) {
    throw invalidValue(`MasterUsername ${JSON.stringify(name ?? '')} is not valid: use 1 to 63 letters, digits or underscores, starting with a letter, and not a reserved name (${[...RESERVED_USERS].join(', ')}).`);
  }
  if (!password || password.length < 8 || password.length > 128 || /[/"@\s]/.test(password) || /[^\x21-\x7e]/.test(password)) {
    throw invalidValue('MasterUserPassword must be 8 to 128 printable ASCII characters other than /, ", @ and spaces.');
  }
}

function invalidState(record: InstanceRecord, what: string): RdsApiError {
  return new RdsApiError('InvalidDBInstanceState', `DB instance ${record.id} is ${record.status}: ${what}.`);
}
