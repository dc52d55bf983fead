// The RDS API steps of the seed (2, 3, 4) and their compensation, each safe to run again:
// they look before they act, and a wait resumes where the last attempt left off.
import {
  CreateDBSnapshotCommand,
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  DBSnapshotAlreadyExistsFault,
  DBSnapshotNotFoundFault,
  DeleteDBInstanceCommand,
  DeleteDBSnapshotCommand,
  DescribeDBEngineVersionsCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  waitUntilDBInstanceAvailable,
  waitUntilDBInstanceDeleted,
  waitUntilDBSnapshotAvailable,
  waitUntilDBSnapshotDeleted,
  type DBInstance,
  type DBSnapshot,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { ApplicationFailure } from '@temporalio/common';
import { previousDetails, runWaiter, whileHeartbeating } from './heartbeat';

export interface RdsDeps {
  rds: RDSClient;
  /** Seconds between the waiters' polls; AWS's defaults suit AWS, a local RDS wants 1. */
  waiterDelay?: { minDelay: number; maxDelay: number };
  /** Longest wait in seconds for one resource, after which Temporal retries the activity. */
  maxWaitSeconds?: number;
}

/** The instance options of the seed's restore (step 4). */
export interface GreenInstanceOptions {
  dbInstanceClass?: string;
  dbParameterGroupName?: string;
  dbSubnetGroupName?: string;
  vpcSecurityGroupIds?: string[];
  multiAZ?: boolean;
  enableIAMDatabaseAuthentication?: boolean;
  publiclyAccessible?: boolean;
  enableCloudwatchLogsExports?: string[];
}

export interface InstanceInfo {
  instanceId: string;
  status: string;
  engineVersion: string;
  host?: string;
  port?: number;
  createdAt?: string;
  enabledCloudwatchLogsExports: string[];
  /** GiB; the WAL guard estimates free storage from it. */
  allocatedStorageGiB?: number;
}

export interface SnapshotInfo {
  snapshotId: string;
  blueInstanceId: string;
  engineVersion: string;
  status: string;
}

export interface RestoredGreen extends InstanceInfo {
  /** When the restore began: GREEN's log is searched for the start LSN from then on. */
  restoreStartedAt: string;
}

function instanceInfo(i: DBInstance): InstanceInfo {
  return {
    instanceId: i.DBInstanceIdentifier!,
    status: i.DBInstanceStatus!,
    engineVersion: i.EngineVersion!,
    host: i.Endpoint?.Address,
    port: i.Endpoint?.Port,
    createdAt: i.InstanceCreateTime?.toISOString(),
    enabledCloudwatchLogsExports: i.EnabledCloudwatchLogsExports ?? [],
    allocatedStorageGiB: i.AllocatedStorage,
  };
}

function snapshotInfo(s: DBSnapshot): SnapshotInfo {
  return { snapshotId: s.DBSnapshotIdentifier!, blueInstanceId: s.DBInstanceIdentifier!, engineVersion: s.EngineVersion!, status: s.Status! };
}

const major = (version: string) => Number(version.split('.')[0]);

export function createRdsActivities(deps: RdsDeps) {
  const { rds } = deps;
  const waitConfig = (abortSignal: AbortSignal) => ({
    client: rds,
    maxWaitTime: deps.maxWaitSeconds ?? 6 * 3600,
    minDelay: deps.waiterDelay?.minDelay ?? 15,
    maxDelay: deps.waiterDelay?.maxDelay ?? 60,
    abortSignal,
  });

  async function findSnapshot(snapshotId: string): Promise<DBSnapshot | undefined> {
    try {
      return (await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snapshotId }))).DBSnapshots?.[0];
    } catch (err) {
      if (err instanceof DBSnapshotNotFoundFault) return undefined;
      throw err;
    }
  }

  async function findInstance(instanceId: string): Promise<DBInstance | undefined> {
    try {
      return (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceId }))).DBInstances?.[0];
    } catch (err) {
      if (err instanceof DBInstanceNotFoundFault) return undefined;
      throw err;
    }
  }

  async function waitSnapshotAvailable(snapshotId: string, details: unknown): Promise<DBSnapshot> {
    await whileHeartbeating(details, (abortSignal) =>
      runWaiter(`Snapshot ${snapshotId}`, () => waitUntilDBSnapshotAvailable(waitConfig(abortSignal), { DBSnapshotIdentifier: snapshotId })),
    );
    return (await findSnapshot(snapshotId))!;
  }

  return {
    /** Seed step 2: snapshot BLUE (after its slot exists) and wait until it is available. */
    async snapshotBlue(input: { blueInstanceId: string; snapshotId: string }): Promise<SnapshotInfo> {
      const existing = await findSnapshot(input.snapshotId);
      if (existing && existing.DBInstanceIdentifier !== input.blueInstanceId.toLowerCase()) {
        throw ApplicationFailure.nonRetryable(
          `Snapshot ${input.snapshotId} already exists and belongs to ${existing.DBInstanceIdentifier}, not to BLUE ${input.blueInstanceId}: choose another snapshot name.`,
          'SnapshotNameTaken',
        );
      }
      if (!existing) {
        try {
          await rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: input.blueInstanceId, DBSnapshotIdentifier: input.snapshotId }));
        } catch (err) {
          // An earlier attempt created it and died before it could tell.
          if (!(err instanceof DBSnapshotAlreadyExistsFault)) throw err;
        }
      }
      return snapshotInfo(await waitSnapshotAvailable(input.snapshotId, { step: 'snapshot' }));
    },

    /** Seed step 3: ModifyDBSnapshot to each version of the path in turn, waiting after each. */
    async upgradeSnapshot(input: { snapshotId: string; upgradePath: string[] }): Promise<SnapshotInfo> {
      if (input.upgradePath.length === 0) {
        throw ApplicationFailure.nonRetryable('The upgrade path is empty: name at least the target engine version.', 'InvalidUpgradePath');
      }
      const resumeAt = previousDetails<{ hop: number }>()?.hop ?? 0;
      for (let hop = resumeAt; hop < input.upgradePath.length; hop += 1) {
        const version = input.upgradePath[hop];
        const current = await findSnapshot(input.snapshotId);
        if (!current) throw ApplicationFailure.nonRetryable(`Snapshot ${input.snapshotId} does not exist: it must be taken before it is upgraded.`, 'SnapshotMissing');
        // A hop that an earlier attempt already made (or started) is not asked for again.
        const done = current.EngineVersion === version || major(current.EngineVersion!) > major(version);
        if (!done && current.Status === 'available') {
          await rds.send(new ModifyDBSnapshotCommand({ DBSnapshotIdentifier: input.snapshotId, EngineVersion: version }));
        }
        await waitSnapshotAvailable(input.snapshotId, { hop });
      }
      return snapshotInfo((await findSnapshot(input.snapshotId))!);
    },

    /** Seed step 4: restore GREEN from the upgraded snapshot with the input's options, and wait. */
    async restoreGreen(input: { greenInstanceId: string; snapshotId: string; options: GreenInstanceOptions }): Promise<RestoredGreen> {
      const startedAt = previousDetails<{ restoreStartedAt: string }>()?.restoreStartedAt ?? new Date().toISOString();
      const existing = await findInstance(input.greenInstanceId);
      if (!existing) {
        const o = input.options;
        try {
          await rds.send(
            new RestoreDBInstanceFromDBSnapshotCommand({
              DBInstanceIdentifier: input.greenInstanceId,
              DBSnapshotIdentifier: input.snapshotId,
              DBInstanceClass: o.dbInstanceClass,
              DBParameterGroupName: o.dbParameterGroupName,
              DBSubnetGroupName: o.dbSubnetGroupName,
              VpcSecurityGroupIds: o.vpcSecurityGroupIds,
              MultiAZ: o.multiAZ,
              EnableIAMDatabaseAuthentication: o.enableIAMDatabaseAuthentication,
              PubliclyAccessible: o.publiclyAccessible,
              EnableCloudwatchLogsExports: o.enableCloudwatchLogsExports,
            }),
          );
        } catch (err) {
          if (!(err instanceof DBInstanceAlreadyExistsFault)) throw err;
        }
      }
      await whileHeartbeating({ restoreStartedAt: startedAt }, (abortSignal) =>
        runWaiter(`GREEN instance ${input.greenInstanceId}`, () =>
          waitUntilDBInstanceAvailable(waitConfig(abortSignal), { DBInstanceIdentifier: input.greenInstanceId }),
        ),
      );
      const green = instanceInfo((await findInstance(input.greenInstanceId))!);
      const snapshot = await findSnapshot(input.snapshotId);
      if (snapshot && green.engineVersion !== snapshot.EngineVersion) {
        throw ApplicationFailure.nonRetryable(
          `Instance ${input.greenInstanceId} exists with engine ${green.engineVersion}, but snapshot ${input.snapshotId} is ${snapshot.EngineVersion}: it is not the GREEN restored from it. Choose another GREEN identifier.`,
          'GreenIdentifierTaken',
        );
      }
      // RDS's own creation time of the instance is the restore's start on RDS's clock, even
      // when the attempt that began it died; the worker's clock is the fallback.
      const restoreStartedAt = green.createdAt && green.createdAt < startedAt ? green.createdAt : startedAt;
      return { ...green, restoreStartedAt };
    },

    async describeInstance(input: { instanceId: string }): Promise<InstanceInfo> {
      const instance = await findInstance(input.instanceId);
      if (!instance) throw ApplicationFailure.nonRetryable(`DB instance ${input.instanceId} does not exist: check the identifier and the region.`, 'InstanceNotFound');
      return instanceInfo(instance);
    },

    /** Preflight: GREEN's identifier and the snapshot's name must be free; what is taken, said. */
    async namesFree(input: { greenInstanceId: string; snapshotId: string }): Promise<string[]> {
      const problems: string[] = [];
      if (await findInstance(input.greenInstanceId)) problems.push(`an instance ${input.greenInstanceId} exists already: choose another green.instanceId`);
      if (await findSnapshot(input.snapshotId)) problems.push(`a snapshot ${input.snapshotId} exists already: choose another green.snapshotId, or delete it`);
      return problems;
    },

    /** The versions the given one can be upgraded to, from DescribeDBEngineVersions. */
    async validUpgradeTargets(input: { engineVersion: string }): Promise<string[]> {
      const out = await rds.send(new DescribeDBEngineVersionsCommand({ Engine: 'postgres', EngineVersion: input.engineVersion }));
      return (out.DBEngineVersions?.[0]?.ValidUpgradeTarget ?? []).map((t) => t.EngineVersion!);
    },

    /** Compensation: delete GREEN (never BLUE) and wait until it is gone. */
    async deleteGreen(input: { greenInstanceId: string; blueInstanceId: string }): Promise<{ deleted: boolean }> {
      if (input.greenInstanceId.toLowerCase() === input.blueInstanceId.toLowerCase()) {
        throw ApplicationFailure.nonRetryable(`Refusing to delete ${input.greenInstanceId}: it is BLUE.`, 'RefusedToDeleteBlue');
      }
      const existing = await findInstance(input.greenInstanceId);
      if (!existing) return { deleted: false };
      if (existing.DBInstanceStatus !== 'deleting') {
        // A failed restore can be deleted as it is; one under way is waited for first.
        if (existing.DBInstanceStatus !== 'available' && existing.DBInstanceStatus !== 'failed') {
          await whileHeartbeating({ step: 'wait-deletable' }, (abortSignal) =>
            runWaiter(`GREEN instance ${input.greenInstanceId}`, () =>
              waitUntilDBInstanceAvailable(waitConfig(abortSignal), { DBInstanceIdentifier: input.greenInstanceId }),
            ),
          );
        }
        try {
          await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: input.greenInstanceId, SkipFinalSnapshot: true }));
        } catch (err) {
          if (!(err instanceof DBInstanceNotFoundFault)) throw err;
        }
      }
      await whileHeartbeating({ step: 'delete' }, (abortSignal) =>
        runWaiter(`Deleting ${input.greenInstanceId}`, () => waitUntilDBInstanceDeleted(waitConfig(abortSignal), { DBInstanceIdentifier: input.greenInstanceId })),
      );
      return { deleted: true };
    },

    /** Compensation: delete the snapshot and wait until it is gone. */
    async deleteSnapshot(input: { snapshotId: string }): Promise<{ deleted: boolean }> {
      const existing = await findSnapshot(input.snapshotId);
      if (!existing) return { deleted: false };
      if (existing.Status !== 'deleting') {
        if (existing.Status !== 'available' && existing.Status !== 'failed') await waitSnapshotAvailable(input.snapshotId, { step: 'wait-deletable' });
        try {
          await rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: input.snapshotId }));
        } catch (err) {
          if (!(err instanceof DBSnapshotNotFoundFault)) throw err;
        }
      }
      await whileHeartbeating({ step: 'delete' }, (abortSignal) =>
        runWaiter(`Deleting snapshot ${input.snapshotId}`, () => waitUntilDBSnapshotDeleted(waitConfig(abortSignal), { DBSnapshotIdentifier: input.snapshotId })),
      );
      return { deleted: true };
    },
  };
}
