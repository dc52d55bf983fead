// Stand-in activities for tests about orchestration only: the order of steps, waits,
// approvals and compensation. They record each call per workflow, answer as the real ones
// would, and can be told to fail or to hold at a step. Real activities are tested against
// real servers elsewhere.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';

export interface Call {
  name: string;
  input: Record<string, unknown>;
}

interface Script {
  calls: Call[];
  failAt?: { name: string; nth: number; failure: Error };
  holdAt?: { name: string; reached: () => void; release: Promise<void> };
  lagBytes: number;
  startLsnFailure?: string;
  preflightErrors?: string[];
  trafficProblems?: string[];
  /** What BLUE's databases and WAL take, for the WAL guard (BLUE has 20 GiB). */
  usedBytes?: number;
}

const scripts = new Map<string, Script>();

/** Per workflow id: what the fakes do, and what they were asked. */
export function scriptFor(workflowId: string): Script {
  const s = scripts.get(workflowId) ?? { calls: [], lagBytes: 0 };
  scripts.set(workflowId, s);
  return s;
}

function script(): Script {
  return scriptFor(Context.current().info.workflowExecution!.workflowId);
}

/** Makes the nth call (1 = first) of an activity fail for good. */
export function failAt(workflowId: string, name: string, nth = 1): void {
  scriptFor(workflowId).failAt = { name, nth, failure: ApplicationFailure.nonRetryable(`${name} failed on purpose`, 'InjectedFailure') };
}

/** Holds the first call of an activity until released; resolves `reached` when it is called. */
export function holdAt(workflowId: string, name: string): { reached: Promise<void>; release: () => void } {
  let reached!: () => void;
  let release!: () => void;
  const reachedPromise = new Promise<void>((r) => (reached = r));
  const releasePromise = new Promise<void>((r) => (release = r));
  scriptFor(workflowId).holdAt = { name, reached, release: releasePromise };
  return { reached: reachedPromise, release };
}

export function callNames(workflowId: string): string[] {
  return scriptFor(workflowId).calls.map((c) => c.name);
}

const ANSWERS: Record<string, (input: Record<string, unknown>, s: Script) => unknown> = {
  describeInstance: (i) => ({ instanceId: i.instanceId, status: 'available', engineVersion: '15.20', host: '127.0.0.1', port: 6001, enabledCloudwatchLogsExports: [], allocatedStorageGiB: 20 }),
  validUpgradeTargets: () => ['16.14', '17.10', '18.4'],
  preflightBlue: (_i, s) => ({ errors: s.preflightErrors ?? [], warnings: ['event trigger "audit" fires on ddl_command_end: DDL it runs on BLUE breaks replication to GREEN'] }),
  namesFree: () => [],
  snapshotBlue: (i) => ({ snapshotId: i.snapshotId, blueInstanceId: i.blueInstanceId, engineVersion: '15.20', status: 'available' }),
  upgradeSnapshot: (i) => ({ snapshotId: i.snapshotId, blueInstanceId: 'blue', engineVersion: (i.upgradePath as string[]).at(-1), status: 'available' }),
  restoreGreen: (i) => ({
    instanceId: i.greenInstanceId,
    status: 'available',
    engineVersion: '17.10',
    host: '127.0.0.1',
    port: 6002,
    enabledCloudwatchLogsExports: ['postgresql'],
    restoreStartedAt: new Date().toISOString(),
  }),
  findStartLsn: (_i, s) => {
    if (s.startLsnFailure) throw ApplicationFailure.nonRetryable(`no redo line (${s.startLsnFailure})`, s.startLsnFailure);
    return { startLsn: '0/200DC61', redoDoneAt: '0/200DC60', line: 'LOG:  redo done at 0/200DC60', source: 'logfiles' };
  },
  compareSchemas: () => [],
  runChecks: () => [],
  replicationLag: (_i, s) => ({ lagBytes: s.lagBytes, retainedWalBytes: s.lagBytes + 1000, usedBytes: s.usedBytes }),
  subscriptionErrors: () => ({ applyErrors: 0 }),
  waitForLag: () => ({ lagBytes: 0 }),
  syncSequences: () => ({ sequences: 3 }),
  lockLogins: (i) => ({ roles: i.roles }),
  unlockLogins: (i) => ({ roles: i.roles }),
  checkPgbouncer: (_i, s) => ({ problems: s.trafficProblems ?? [], conffile: '/etc/pgbouncer/pgbouncer.ini' }),
  pausePgbouncer: () => ({ paused: ['app'] }),
  repointPgbouncer: () => ({ files: ['/etc/pgbouncer/pgbouncer.ini'] }),
  resumePgbouncer: () => ({ resumed: ['app'] }),
  checkTrafficHook: (i) => ({ path: `/hooks/${String(i.hook)}` }),
  runTrafficHook: () => ({ output: '' }),
};

const NAMES = [
  'describeInstance', 'validUpgradeTargets', 'preflightBlue', 'namesFree', 'snapshotBlue', 'upgradeSnapshot', 'restoreGreen', 'deleteGreen', 'deleteSnapshot',
  'findStartLsn', 'createReplicationRole', 'dropReplicationRole', 'createPublication', 'dropPublication', 'createReplicationSlot',
  'dropReplicationSlot', 'createSubscription', 'advanceOrigin', 'enableSubscription', 'checkSubscriptionStreaming', 'dropSubscription',
  'runChecks', 'compareSchemas', 'replicationLag', 'waitForLag', 'maintainGreen', 'lockLogins', 'unlockLogins', 'syncSequences',
  'setSubscriptionFlush', 'subscriptionErrors', 'checkPgbouncer', 'pausePgbouncer', 'repointPgbouncer', 'resumePgbouncer', 'checkTrafficHook', 'runTrafficHook',
];

export function fakeActivities(): Record<string, (input: Record<string, unknown>) => Promise<unknown>> {
  const fakes: Record<string, (input: Record<string, unknown>) => Promise<unknown>> = {};
  for (const name of NAMES) {
    fakes[name] = async (input) => {
      const s = script();
      s.calls.push({ name, input });
      if (s.holdAt?.name === name) {
        const hold = s.holdAt;
        s.holdAt = undefined;
        hold.reached();
        await hold.release;
      }
      if (s.failAt?.name === name && s.calls.filter((c) => c.name === name).length === s.failAt.nth) throw s.failAt.failure;
      return ANSWERS[name] ? ANSWERS[name](input, s) : {};
    };
  }
  return fakes;
}
