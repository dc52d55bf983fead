// blueGreenUpgrade's orchestration on the real dev server with a real worker; only the
// activities are stand-ins (test/helpers/fake-activities.ts), since these tests are about
// order, waits, approvals and compensation. The real activities have their own tests.
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { NativeConnection, Worker } from '@temporalio/worker';
import { statusQuery } from '../workflows/messages';
import { blueGreenUpgrade } from '../workflows';
import { callNames, failAt, fakeActivities, holdAt, scriptFor } from './helpers/fake-activities';
import { connectClient, uniqueTaskQueue, waitForStatus, workflowsPath } from './helpers/temporal';

const HISTORIES = path.join(__dirname, 'fixtures', 'histories');
// RECORD_HISTORIES=<label> stores this run's histories as <label>-finalize.json and
// <label>-rollback.json, to be replayed by every later version of the workflow.
const recordAs = (name: string) => path.join(HISTORIES, `${process.env.RECORD_HISTORIES}-${name}.json`);

let client: Client;
let closeClient: () => Promise<void>;
let connection: NativeConnection;
let worker: Worker;
let running: Promise<void>;
const taskQueue = uniqueTaskQueue('upgrade');
let counter = 0;

beforeAll(async () => {
  ({ client, close: closeClient } = await connectClient());
  connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  worker = await Worker.create({ connection, taskQueue, workflowsPath, activities: fakeActivities() });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await connection?.close();
  await closeClient?.();
});

function input(overrides: Record<string, unknown> = {}) {
  return {
    blue: { instanceId: 'blue', database: 'app', adminUser: 'master', adminPassword: { env: 'BLUE_PASSWORD' } },
    green: { instanceId: 'green', upgradePath: ['17.10'] },
    replication: { password: { env: 'REPLICATION_PASSWORD' } },
    appUsers: ['app_rw', 'App Reader'],
    pollMinutes: 0.01,
    ...overrides,
  };
}

async function start(overrides: Record<string, unknown> = {}, prepare?: (id: string) => void): Promise<WorkflowHandle<typeof blueGreenUpgrade>> {
  const workflowId = `upgrade-${Date.now()}-${(counter += 1)}`;
  prepare?.(workflowId);
  return client.workflow.start(blueGreenUpgrade, { taskQueue, workflowId, args: [input(overrides)] });
}

/** The reason a refused update gives its sender. */
async function refusal(update: Promise<unknown>): Promise<string> {
  const err = await update.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return (err as WorkflowUpdateFailedError).cause?.message ?? '';
}

const SEED_ORDER = [
  'describeInstance', 'validUpgradeTargets', 'preflightBlue', 'namesFree',
  'createReplicationRole', 'createPublication', 'createReplicationSlot',
  'snapshotBlue', 'upgradeSnapshot', 'restoreGreen',
  'lockLogins', 'createSubscription',
  'runChecks', 'compareSchemas',
  'findStartLsn',
  'advanceOrigin', 'enableSubscription', 'checkSubscriptionStreaming',
  'maintainGreen',
  'replicationLag',
];
// Inside the write freeze only lockLogins to unlockLogins, the sequences copied while
// replication drains; the rest before or after.
const CUTOVER_ORDER = [
  ['createReplicationRole'], ['createPublication'], ['setSubscriptionFlush'],
  ['lockLogins'], ['waitForLag', 'dropSubscription', 'createReplicationSlot', 'syncSequences'], ['unlockLogins'],
  ['dropReplicationSlot'], ['createSubscription'], ['runChecks'],
];

/** Calls in groups: each group's calls in any order (they run at once), the groups in order. */
function grouped(calls: string[], groups: string[][]): string[][] {
  let at = 0;
  return groups.map((g) => {
    const slice = calls.slice(at, at + g.length);
    at += g.length;
    return [...slice].sort();
  });
}
const sortedGroups = (groups: string[][]) => groups.map((g) => [...g].sort());

describe('blueGreenUpgrade', () => {
  it('runs the seed in order, waits for approval, cuts over and finalizes', async () => {
    const handle = await start();
    const waiting = await waitForStatus(handle, (s) => s.waitingFor?.what === 'approveCutover', 'the approval wait');
    expect(waiting.phase).toBe('awaitApproval');
    expect(waiting.waitingFor?.from).toBe('operator');
    expect(waiting.startLsn).toBe('0/200DC61');
    expect(waiting.warnings).toEqual([expect.stringMatching(/event trigger "audit"/)]);
    expect(await handle.executeUpdate('approveCutover')).toBe('cutover approved');
    await waitForStatus(handle, (s) => s.phase === 'rollbackWindow', 'the rollback window');
    expect(await handle.executeUpdate('finalize')).toBe('finalize approved');
    const result = await handle.result();
    expect(result.outcome).toBe('finalized');
    const calls = callNames(handle.workflowId);
    // The approval wait reads the lag once more after the approval.
    expect(calls.slice(0, SEED_ORDER.length)).toEqual(SEED_ORDER);
    const cutoverAt = calls.indexOf('setSubscriptionFlush') - 2;
    expect(grouped(calls.slice(cutoverAt), CUTOVER_ORDER)).toEqual(sortedGroups(CUTOVER_ORDER));
    // Replication drains in the seed's order, in parallel with the sequences.
    const drain = ['waitForLag', 'dropSubscription', 'createReplicationSlot'].map((n) => calls.indexOf(n, cutoverAt));
    expect([...drain].sort((a, b) => a - b)).toEqual(drain);
    expect(calls.slice(-2)).toEqual(['dropSubscription', 'dropReplicationSlot']);
    const status = await handle.query(statusQuery);
    expect(status.serving).toBe('green');
    expect(status.phases.map((p) => p.phase)).toEqual([
      'preflight', 'prepareBlue', 'snapshot', 'upgradeSnapshot', 'restoreGreen', 'prepareGreen', 'checks', 'findStartLsn',
      'startReplication', 'maintainGreen', 'catchUp', 'awaitApproval', 'cutover', 'rollbackWindow', 'finalize',
    ]);
    expect(status.phases.every((p) => p.endedAt && p.endedAt >= p.startedAt)).toBe(true);
    // The cutover locks BLUE's users and opens GREEN's, by the names given.
    const script = scriptFor(handle.workflowId);
    const locks = script.calls.filter((c) => c.name === 'lockLogins' || c.name === 'unlockLogins');
    expect(locks.map((c) => [c.name, (c.input.db as { port: number }).port])).toEqual([
      ['lockLogins', 6002],
      ['lockLogins', 6001],
      ['unlockLogins', 6002],
    ]);
    expect(locks[0].input.roles).toEqual(['app_rw', 'App Reader']);
    // No password travels in any activity input: only references.
    expect(JSON.stringify(script.calls)).not.toMatch(/"password":"[^{]/);
    const history = await handle.fetchHistory();
    console.log(`a complete run (approve, finalize) has ${history.events!.length} events`);
    if (process.env.RECORD_HISTORIES) {
      fs.mkdirSync(HISTORIES, { recursive: true });
      fs.writeFileSync(recordAs('finalize'), historyToJSON(history));
    }
  });

  it('holds an early cutover approval, refuses what can never apply, and rolls back', async () => {
    const handle = await start({}, (id) => (scriptFor(id).lagBytes = 500_000_000));
    await waitForStatus(handle, (s) => s.phase === 'catchUp' && s.lagBytes === 500_000_000, 'catch-up');
    expect(await refusal(handle.executeUpdate('approveRollback'))).toMatch(/nothing to roll back before cutover/);
    expect(await refusal(handle.executeUpdate('finalize'))).toMatch(/finalize comes after cutover/);
    await handle.signal('finalize');
    expect(await refusal(handle.executeUpdate('setStartLsn', { args: ['not-an-lsn'] }))).toMatch(/is not an LSN/);
    expect(await handle.executeUpdate('approveCutover')).toMatch(/held until GREEN has caught up/);
    const held = await waitForStatus(handle, (s) => s.refused.length > 0, 'the refused signal');
    expect(held.held).toEqual(['approveCutover']);
    expect(held.refused[0]).toMatchObject({ message: 'finalize', reason: expect.stringMatching(/after cutover/) });
    // GREEN catches up: the held approval applies without being sent again.
    scriptFor(handle.workflowId).lagBytes = 0;
    await waitForStatus(handle, (s) => s.phase === 'rollbackWindow', 'the rollback window');
    expect(await refusal(handle.executeUpdate('abort'))).toMatch(/roll back with approveRollback/);
    expect(await refusal(handle.executeUpdate('setStartLsn', { args: ['0/1'] }))).toMatch(/replication already started/);
    expect(await handle.executeUpdate('approveRollback')).toBe('rollback approved');
    expect((await handle.result()).outcome).toBe('rolledBack');
    const calls = callNames(handle.workflowId);
    const rollbackAt = calls.lastIndexOf('setSubscriptionFlush');
    const order = [['setSubscriptionFlush'], ['lockLogins'], ['waitForLag', 'dropSubscription', 'syncSequences'], ['unlockLogins'], ['dropReplicationSlot']];
    expect(grouped(calls.slice(rollbackAt), order)).toEqual(sortedGroups(order));
    expect(calls.slice(rollbackAt)).toHaveLength(7);
    expect(calls.indexOf('waitForLag', rollbackAt)).toBeLessThan(calls.indexOf('dropSubscription', rollbackAt));
    const status = await handle.query(statusQuery);
    expect(status.serving).toBe('blue');
    expect(status.outcome).toBe('rolledBack');
    if (process.env.RECORD_HISTORIES) fs.writeFileSync(recordAs('rollback'), historyToJSON(await handle.fetchHistory()));
  });

  it('finalizes by itself at the end of the rollback window when told to', async () => {
    const handle = await start({ rollbackWindow: { hours: 0.0005, atEnd: 'finalize' } });
    await waitForStatus(handle, (s) => s.waitingFor?.what === 'approveCutover', 'the approval wait');
    await handle.signal('approveCutover');
    expect((await handle.result()).outcome).toBe('finalized');
  });

  it('takes the redo LSN from an operator when GREEN\'s log cannot tell', async () => {
    const handle = await start({}, (id) => (scriptFor(id).startLsnFailure = 'RedoNotRequired'));
    const waiting = await waitForStatus(handle, (s) => s.waitingFor?.from === 'operator' && s.phase === 'findStartLsn', 'the LSN wait');
    expect(waiting.lastError).toMatch(/RedoNotRequired|no redo line/);
    expect(await refusal(handle.executeUpdate('setStartLsn', { args: ['0/XYZ'] }))).toMatch(/is not an LSN/);
    expect(await handle.executeUpdate('setStartLsn', { args: ['1/ffffffff'] })).toMatch(/one byte after it/);
    await waitForStatus(handle, (s) => s.phase === 'awaitApproval', 'the approval wait');
    const advance = scriptFor(handle.workflowId).calls.find((c) => c.name === 'advanceOrigin')!;
    expect(advance.input.lsn).toBe('2/0');
    await handle.executeUpdate('abort', { args: ['test over'] });
    expect((await handle.result()).outcome).toBe('aborted');
  });

  it('stops at preflight, before any change, listing every problem found', async () => {
    const handle = await start({}, (id) => (scriptFor(id).preflightErrors = ['table public.t has no primary key', 'the login role "x" does not exist']));
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause!.message).toMatch(/Preflight found 2 problems; nothing was changed:\n- table public.t has no primary key\n- the login role "x" does not exist/);
    expect(callNames(handle.workflowId)).toEqual(['describeInstance', 'validUpgradeTargets', 'preflightBlue', 'namesFree']);
  });

  it('refuses invalid input before doing anything, naming every bad field', async () => {
    const handle = await start({ green: { instanceId: 'blue', upgradePath: [] }, appUsers: ['rdsadmin'], replication: { password: 'plain' } });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const message = (err as WorkflowFailedError).cause!.message;
    expect(message).toMatch(/green.instanceId: must differ from blue.instanceId/);
    expect(message).toMatch(/green.upgradePath: must name at least the target/);
    expect(message).toMatch(/appUsers\[0\]: "rdsadmin" is a system role/);
    expect(message).toMatch(/replication.password: must be a reference, not a password/);
    expect(callNames(handle.workflowId)).toEqual([]);
  });
});

// Each phase before cutover, with the activity that runs in it.
const PHASE_STEPS: Array<[string, string, number]> = [
  ['preflight', 'describeInstance', 1],
  ['prepareBlue', 'createReplicationSlot', 1],
  ['snapshot', 'snapshotBlue', 1],
  ['upgradeSnapshot', 'upgradeSnapshot', 1],
  ['restoreGreen', 'restoreGreen', 1],
  ['prepareGreen', 'createSubscription', 1],
  ['checks', 'compareSchemas', 1],
  ['findStartLsn', 'findStartLsn', 1],
  ['startReplication', 'enableSubscription', 1],
  ['maintainGreen', 'maintainGreen', 1],
  // Only catchUp and awaitApproval read apply errors (the WAL guard reads the lag elsewhere too).
  ['catchUp', 'subscriptionErrors', 1],
  ['awaitApproval', 'subscriptionErrors', 2],
];

/** What compensation must undo, newest first, once a phase has begun. */
function expectedUndo(phase: string): string[] {
  const reached = (p: string) => PHASE_STEPS.findIndex(([name]) => name === phase) >= PHASE_STEPS.findIndex(([name]) => name === p);
  const undo: string[] = [];
  if (reached('prepareGreen')) undo.push('dropSubscription');
  if (reached('restoreGreen')) undo.push('deleteGreen');
  if (reached('snapshot')) undo.push('deleteSnapshot');
  if (reached('prepareBlue')) undo.push('dropReplicationSlot', 'dropPublication', 'dropReplicationRole');
  return undo;
}

describe('blueGreenUpgrade before cutover', () => {
  it.each(PHASE_STEPS)('an abort in %s undoes what was made on BLUE and AWS', async (phase, activity, nth) => {
    let hold: ReturnType<typeof holdAt> | undefined;
    const handle = await start({}, (id) => {
      if (nth === 1) hold = holdAt(id, activity);
    });
    try {
      if (hold) await hold.reached;
      else await waitForStatus(handle, (s) => s.waitingFor?.what === 'approveCutover', 'the approval wait');
      expect((await handle.query(statusQuery)).phase).toBe(phase);
      const before = callNames(handle.workflowId).length;
      expect(await handle.executeUpdate('abort', { args: ['operator said so'] })).toMatch(/aborting/);
      const result = await handle.result();
      expect(result.outcome).toBe('aborted');
      expect(callNames(handle.workflowId).slice(before)).toEqual(expectedUndo(phase));
      const status = await handle.query(statusQuery);
      expect(status).toMatchObject({ outcome: 'aborted', serving: 'blue', lastError: 'aborted: operator said so' });
    } finally {
      hold?.release();
    }
  });

  it.each(PHASE_STEPS)('a failing activity in %s fails the upgrade after undoing it', async (phase, activity, nth) => {
    const handle = await start({}, (id) => failAt(id, activity, nth));
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const calls = callNames(handle.workflowId);
    const failedAt = calls.lastIndexOf(activity);
    expect(calls.slice(failedAt + 1)).toEqual(expectedUndo(phase));
    const status = await handle.query(statusQuery);
    expect(status.outcome).toBe('failed');
    expect(status.lastError).toMatch(new RegExp(`${activity} failed on purpose`));
  });

  it('a failure inside the cutover reopens BLUE and leaves GREEN locked', async () => {
    const handle = await start({}, (id) => failAt(id, 'syncSequences'));
    await waitForStatus(handle, (s) => s.waitingFor?.what === 'approveCutover', 'the approval wait');
    await handle.executeUpdate('approveCutover');
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const calls = scriptFor(handle.workflowId).calls.filter((c) => c.name === 'lockLogins' || c.name === 'unlockLogins');
    expect(calls.map((c) => [c.name, (c.input.db as { port: number }).port])).toEqual([
      ['lockLogins', 6002],
      ['lockLogins', 6001],
      ['unlockLogins', 6001],
    ]);
    const status = await handle.query(statusQuery);
    expect(status).toMatchObject({ outcome: 'failed', serving: 'blue' });
    expect(status.lastError).toMatch(/cutover failed, BLUE reopened/);
  });
});

describe('traffic switch', () => {
  const pgbouncer = { strategy: 'pgbouncer', host: '127.0.0.1', port: 6432, adminPassword: { env: 'PGBOUNCER_PASSWORD' }, databases: ['app'] };
  /** The calls that open, close or move something, with the port they act on. */
  const switchCalls = (id: string) =>
    scriptFor(id)
      .calls.filter((c) => ['lockLogins', 'unlockLogins', 'pausePgbouncer', 'repointPgbouncer', 'resumePgbouncer', 'runTrafficHook', 'syncSequences'].includes(c.name))
      .map((c) => {
        const port = (c.input.db as { port?: number } | undefined)?.port ?? (c.input.to as { port?: number } | undefined)?.port;
        return port ? `${c.name} ${port}` : c.name;
      });

  it('pgbouncer: pauses before BLUE locks, repoints before GREEN opens, resumes after; the same back on rollback', async () => {
    const handle = await start({ traffic: pgbouncer });
    await waitForStatus(handle, (s) => s.waitingFor?.what === 'approveCutover', 'the approval wait');
    expect(callNames(handle.workflowId)).toContain('checkPgbouncer');
    await handle.executeUpdate('approveCutover');
    await waitForStatus(handle, (s) => s.phase === 'rollbackWindow', 'the rollback window');
    await handle.executeUpdate('approveRollback');
    expect((await handle.result()).outcome).toBe('rolledBack');
    const expected = [
      ['lockLogins 6002'],
      ['pausePgbouncer'], ['lockLogins 6001', 'syncSequences', 'repointPgbouncer 6002'], ['unlockLogins 6002'], ['resumePgbouncer'],
      ['pausePgbouncer'], ['lockLogins 6002', 'syncSequences', 'repointPgbouncer 6001'], ['unlockLogins 6001'], ['resumePgbouncer'],
    ];
    expect(grouped(switchCalls(handle.workflowId), expected)).toEqual(sortedGroups(expected));
    expect(switchCalls(handle.workflowId)).toHaveLength(13);
  });

  it('pgbouncer: a failure inside the freeze reopens BLUE, points PgBouncer back and resumes it', async () => {
    const handle = await start({ traffic: pgbouncer }, (id) => failAt(id, 'repointPgbouncer'));
    await waitForStatus(handle, (s) => s.waitingFor?.what === 'approveCutover', 'the approval wait');
    await handle.executeUpdate('approveCutover');
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const expected = [
      ['lockLogins 6002'],
      ['pausePgbouncer'], ['lockLogins 6001', 'syncSequences', 'repointPgbouncer 6002'],
      ['unlockLogins 6001'], ['repointPgbouncer 6001'], ['resumePgbouncer'],
    ];
    expect(grouped(switchCalls(handle.workflowId), expected)).toEqual(sortedGroups(expected));
    expect(switchCalls(handle.workflowId)).toHaveLength(8);
    const status = await handle.query(statusQuery);
    expect(status).toMatchObject({ outcome: 'failed', serving: 'blue' });
    expect(status.lastError).toMatch(/cutover failed, BLUE reopened: .*repointPgbouncer failed on purpose/);
  });

  it('pgbouncer: problems found in preflight stop the upgrade before anything changes', async () => {
    const handle = await start({ traffic: pgbouncer }, (id) => {
      scriptFor(id).trafficProblems = ['traffic.databases: entry app pools per session; set pool_mode=transaction'];
    });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(String((err as WorkflowFailedError).cause?.message)).toMatch(/Preflight found 1 problem.*\n- traffic.databases: entry app pools per session/s);
    expect(callNames(handle.workflowId)).not.toContain('createReplicationRole');
  });

  it("command: the hook runs with GREEN's endpoint before GREEN opens", async () => {
    const handle = await start({ traffic: { strategy: 'command', hook: 'switch-dns' }, rollbackWindow: { hours: 0, atEnd: 'finalize' } });
    await waitForStatus(handle, (s) => s.waitingFor?.what === 'approveCutover', 'the approval wait');
    await handle.executeUpdate('approveCutover');
    expect((await handle.result()).outcome).toBe('finalized');
    const expected = [['lockLogins 6002'], ['lockLogins 6001', 'syncSequences', 'runTrafficHook 6002'], ['unlockLogins 6002']];
    expect(grouped(switchCalls(handle.workflowId), expected)).toEqual(sortedGroups(expected));
    expect(switchCalls(handle.workflowId)).toHaveLength(5);
    const hook = scriptFor(handle.workflowId).calls.find((c) => c.name === 'runTrafficHook')!;
    expect(hook.input).toMatchObject({ hook: 'switch-dns', to: { side: 'green', instanceId: 'green', host: '127.0.0.1', port: 6002, database: 'app' } });
  });

  it('manual: waits for trafficSwitched after GREEN opens, and refuses it at any other time', async () => {
    const handle = await start({ traffic: { strategy: 'manual' }, rollbackWindow: { hours: 0, atEnd: 'finalize' } });
    await waitForStatus(handle, (s) => s.waitingFor?.what === 'approveCutover', 'the approval wait');
    expect(await refusal(handle.executeUpdate('trafficSwitched'))).toMatch(/not waiting for a traffic switch/);
    await handle.executeUpdate('approveCutover');
    const waiting = await waitForStatus(handle, (s) => s.waitingFor?.what.startsWith('trafficSwitched') ?? false, 'the traffic wait');
    expect(waiting).toMatchObject({ phase: 'cutover', serving: 'green' });
    expect(waiting.waitingFor?.what).toMatch(/GREEN \(127.0.0.1:6002\)/);
    expect(await handle.executeUpdate('trafficSwitched')).toBe('traffic on GREEN noted');
    expect((await handle.result()).outcome).toBe('finalized');
  });
});

describe('the WAL guard', () => {
  it("warns as BLUE's free storage runs low, then aborts with compensation", async () => {
    const handle = await start();
    await waitForStatus(handle, (s) => s.waitingFor?.what === 'approveCutover', 'the approval wait');
    scriptFor(handle.workflowId).usedBytes = 17 * 1024 ** 3;
    const warned = await waitForStatus(handle, (s) => (s.warnings ?? []).some((w) => w.startsWith('WAL guard')), 'the warning');
    expect(warned.freeStoragePercent).toBe(15);
    expect(warned.outcome).toBeUndefined();
    scriptFor(handle.workflowId).usedBytes = 19 * 1024 ** 3;
    expect((await handle.result()).outcome).toBe('aborted');
    const status = await handle.query(statusQuery);
    expect(status.lastError).toMatch(/^aborted: WAL guard: .*BLUE's free storage is about 5% \(abort at 10% free\)/);
    const calls = callNames(handle.workflowId);
    expect(calls.slice(-6)).toEqual(expectedUndo('awaitApproval'));
  });
});

describe('maintenance windows', () => {
  it('holds an approved cutover until the window opens', async () => {
    // A window that opens at the start of a coming minute (at least 15 s away), in UTC, every day.
    const opens = Math.ceil((Date.now() + 15_000) / 60_000) * 60_000;
    const hhmm = (t: number) => new Date(t).toISOString().slice(11, 16);
    const window = { timeZone: 'UTC', days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: hhmm(opens), end: hhmm(opens + 30 * 60_000) };
    const handle = await start({ maintenanceWindow: window, rollbackWindow: { hours: 0, atEnd: 'finalize' } });
    await handle.executeUpdate('approveCutover');
    const waiting = await waitForStatus(handle, (s) => s.waitingFor?.from === 'maintenance window', 'the window wait');
    expect(waiting.phase).toBe('awaitApproval');
    expect((await handle.result()).outcome).toBe('finalized');
    const status = await handle.query(statusQuery);
    const cutover = status.phases.find((p) => p.phase === 'cutover')!;
    expect(Date.parse(cutover.startedAt)).toBeGreaterThanOrEqual(opens);
  });
});

describe('long waits', () => {
  it('continue as new with their state, so history stays bounded', async () => {
    const handle = await start({ pollMinutes: 0.001, historyLimit: 200 }, (id) => (scriptFor(id).lagBytes = 10 ** 9));
    const firstRunId = (await handle.describe()).runId;
    const deadline = Date.now() + 90_000;
    while ((await client.workflow.getHandle(handle.workflowId).describe()).runId === firstRunId) {
      if (Date.now() > deadline) throw new Error('the catch-up wait never continued as new');
      await new Promise((r) => setTimeout(r, 500));
    }
    const first = await client.workflow.getHandle(handle.workflowId, firstRunId).fetchHistory();
    console.log(`the first run continued as new after ${first.events!.length} events`);
    expect(first.events!.length).toBeLessThan(250);
    expect(first.events!.at(-1)!.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    const latest = client.workflow.getHandle<typeof blueGreenUpgrade>(handle.workflowId);
    // The new run carries on where the old one was: nothing is done twice.
    const status = await waitForStatus(latest, (s) => s.phase === 'catchUp', 'catch-up in the new run');
    expect(status.phases.map((p) => p.phase).slice(0, 3)).toEqual(['preflight', 'prepareBlue', 'snapshot']);
    scriptFor(handle.workflowId).lagBytes = 0;
    await waitForStatus(latest, (s) => s.waitingFor?.what === 'approveCutover', 'the approval wait');
    await latest.executeUpdate('approveCutover');
    await waitForStatus(latest, (s) => s.phase === 'rollbackWindow', 'the rollback window');
    await latest.executeUpdate('finalize');
    expect((await latest.result()).outcome).toBe('finalized');
    expect(callNames(handle.workflowId).filter((n) => n === 'snapshotBlue')).toHaveLength(1);
  });
});

describe('stored histories', () => {
  it('replay without nondeterminism on the current workflow code', async () => {
    const files = fs.existsSync(HISTORIES) ? fs.readdirSync(HISTORIES).filter((f) => f.endsWith('.json')) : [];
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const history = JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8'));
      await Worker.runReplayHistory({ workflowsPath }, history, file);
    }
  });
});
