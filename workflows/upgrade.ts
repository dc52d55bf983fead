// blueGreenUpgrade: the seed's self-managed blue/green upgrade of RDS for PostgreSQL, as a
// durable workflow. It reads like the seed's table of contents; each step is an activity.
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  ContinueAsNew,
  log,
  patched,
  setCurrentDetails,
  sleep,
  workflowInfo,
  allHandlersFinished,
  isCancellation,
} from '@temporalio/workflow';
import { startLsnAfterRedo } from '../common/lsn';
import { msUntilWindow } from '../common/maintenance-window';
import { act, describe, LONG_WAIT, QUICK } from './act';
import { cutover, cutoverBeforeTightening, rollback, type CutoverTools } from './cutover';
import { registerHandlers } from './handlers';
import { InputErrors, validateInput, type UpgradeInput } from './input';
import type { Phase, UpgradeStatus } from './messages';
import { newState, type Compensation, type UpgradeState } from './state';
import { checkTraffic, type Side } from './traffic';

export interface UpgradeResult {
  outcome: NonNullable<UpgradeStatus['outcome']>;
  startLsn?: string;
  phases: UpgradeStatus['phases'];
}

export async function blueGreenUpgrade(rawInput: unknown, carried?: UpgradeState): Promise<UpgradeResult> {
  const state = carried ?? newState();
  let main: CancellationScope | undefined;
  // The WAL guard's watch, from BLUE's slot to cutover.
  let guard: CancellationScope | undefined;
  // Handlers come before the first await, so no message is lost.
  registerHandlers(state, () => {
    if (!state.cutoverStarted) main?.cancel();
  });

  let input: UpgradeInput;
  try {
    input = validateInput(rawInput);
  } catch (err) {
    if (err instanceof InputErrors) throw ApplicationFailure.nonRetryable(err.message, 'InvalidInput', err.problems);
    throw err;
  }

  const status = state.status;
  const blueDb = () => ({ host: state.blue!.host, port: state.blue!.port, database: input.blue.database, user: input.blue.adminUser, password: input.blue.adminPassword });
  // GREEN is restored from BLUE's snapshot: the same roles and passwords.
  const greenDb = () => ({ ...blueDb(), host: state.green!.host, port: state.green!.port });
  const replicationFrom = (side: 'blue' | 'green') => ({
    host: state[side]!.host,
    port: state[side]!.port,
    database: input.blue.database,
    user: input.replication.user,
    password: input.replication.password,
  });
  const { slot, publication, subscription } = input.replication;
  const tools: CutoverTools = {
    input,
    state,
    blueDb,
    greenDb,
    replicationFrom,
    step: (text) => step(text),
    readLag: (side) => readLag(side),
    endpoint: (side: Side) => ({ side, instanceId: input[side].instanceId, host: state[side]?.host ?? '', port: state[side]?.port ?? 0, database: input.blue.database }),
  };

  function step(text: string): void {
    status.step = text;
    setCurrentDetails(`**${status.phase}**: ${text}${status.lagBytes !== undefined ? `\n\nlag: ${status.lagBytes} bytes` : ''}`);
  }

  async function phase(name: Phase, body: () => Promise<void>): Promise<void> {
    if (state.completed.includes(name)) return;
    if (!state.phases.some((p) => p.phase === name && !p.endedAt)) state.phases.push({ phase: name, startedAt: now() });
    status.phase = name;
    status.phases = state.phases;
    step('starting');
    await body();
    state.phases.find((p) => p.phase === name && !p.endedAt)!.endedAt = now();
    state.completed.push(name);
    status.waitingFor = undefined;
  }

  /** Registers what undoes a step before the step runs: if it dies midway, the undo still runs. */
  function undoLater(c: Compensation): void {
    if (!state.compensations.some((x) => x.kind === c.kind)) state.compensations.push(c);
  }

  /** In a wait that may last days: start a fresh history when this one grows long. */
  async function continueAsNewIfLong(): Promise<void> {
    const info = workflowInfo();
    if (!info.continueAsNewSuggested && info.historyLength < input.historyLimit) return;
    await condition(allHandlersFinished);
    await continueAsNew<typeof blueGreenUpgrade>(rawInput, state);
  }

  async function readLag(side: 'blue' | 'green'): Promise<number> {
    const db = side === 'blue' ? blueDb() : greenDb();
    const lag = await act(QUICK, `lag of slot ${slot} on ${side.toUpperCase()}`).replicationLag({ db, slot });
    status.lagBytes = Number(lag.lagBytes);
    status.retainedWalBytes = Number(lag.retainedWalBytes);
    if (side === 'blue' && !state.cutoverStarted) guardWal(lag.usedBytes);
    return status.lagBytes;
  }

  /**
   * The WAL guard: the slot keeps BLUE's WAL until GREEN confirms it, and a GREEN that falls
   * behind (or a subscription that stopped) would fill BLUE's disk. Warns, then aborts: the
   * compensation drops the slot, which frees the WAL.
   */
  function guardWal(usedBytes: number | undefined): void {
    const g = input.walGuard;
    const retained = status.retainedWalBytes ?? 0;
    const allocated = state.blue?.allocatedBytes;
    const free = allocated && usedBytes !== undefined ? Math.max(0, Math.round((100 * (allocated - usedBytes)) / allocated)) : undefined;
    status.freeStoragePercent = free;
    const mib = (b: number) => `${Math.round(b / 1024 ** 2)} MiB`;
    const said = `slot ${slot} retains ${mib(retained)} of WAL on BLUE${free !== undefined ? `, BLUE's free storage is about ${free}%` : ''}`;
    if ((g.abortRetainedBytes !== undefined && retained >= g.abortRetainedBytes) || (free !== undefined && free <= g.abortFreeStoragePercent)) {
      if (state.abort) return;
      state.abort = { reason: `WAL guard: ${said} (abort at ${g.abortRetainedBytes !== undefined ? `${mib(g.abortRetainedBytes)} retained or ` : ''}${g.abortFreeStoragePercent}% free): stopped before BLUE's disk fills` };
      main?.cancel();
      return;
    }
    const others = (status.warnings ?? []).filter((w) => !w.startsWith('WAL guard:'));
    const warn = (g.warnRetainedBytes !== undefined && retained >= g.warnRetainedBytes) || (free !== undefined && free <= g.warnFreeStoragePercent);
    status.warnings = warn ? [...others, `WAL guard: ${said}; the upgrade aborts at ${g.abortRetainedBytes !== undefined ? `${mib(g.abortRetainedBytes)} retained or ` : ''}${g.abortFreeStoragePercent}% free`] : others;
  }

  /** Reads the lag while nothing else does (the AWS waits, GREEN's preparation), for the WAL guard. */
  async function watchWal(): Promise<void> {
    for (;;) {
      await sleep(input.pollMinutes * 60_000);
      if (state.cutoverStarted) return;
      if (status.phase === 'catchUp' || status.phase === 'awaitApproval') continue;
      try {
        await readLag('blue');
      } catch (err) {
        if (isCancellation(err)) throw err;
        log.warn('WAL guard: could not read the slot', { error: describe(err) });
      }
    }
  }

  /** Apply errors on GREEN: shown in the status, since they usually mean DDL ran on BLUE only. */
  async function readApplyErrors(): Promise<void> {
    if (!patched('replication-guards')) return;
    const { applyErrors } = await act(QUICK, 'apply errors on GREEN').subscriptionErrors({ db: greenDb(), subscription });
    if (applyErrors > (status.applyErrors ?? 0)) {
      status.lastError = `GREEN's subscription failed to apply changes ${applyErrors} times: see GREEN's log (often DDL that ran on BLUE only; run it on GREEN too)`;
    }
    status.applyErrors = applyErrors;
  }

  // The seed's steps, in its order.

  async function preflight(): Promise<void> {
    step('BLUE reachable and the target a valid upgrade');
    const blue = await act(QUICK, 'describe BLUE').describeInstance({ instanceId: input.blue.instanceId });
    if (blue.status !== 'available' || !blue.host || !blue.port) {
      throw ApplicationFailure.nonRetryable(`BLUE ${input.blue.instanceId} is ${blue.status}: it must be available`, 'BlueNotAvailable');
    }
    state.blue = { host: blue.host, port: blue.port, engineVersion: blue.engineVersion, allocatedBytes: blue.allocatedStorageGiB ? blue.allocatedStorageGiB * 1024 ** 3 : undefined };
    const targets = await act(QUICK, 'valid upgrade targets of BLUE').validUpgradeTargets({ engineVersion: blue.engineVersion });
    const first = input.green.upgradePath[0];
    if (!targets.some((t: string) => t === first || t.split('.')[0] === first)) {
      throw ApplicationFailure.nonRetryable(
        `green.upgradePath: ${first} is not a valid upgrade target of BLUE's ${blue.engineVersion} (valid: ${targets.join(', ') || 'none'})`,
        'InvalidUpgradeTarget',
      );
    }
    // Added after the first stored histories: upgrades started before it replay without it.
    if (patched('preflight-findings')) {
      step('BLUE ready for logical replication, names free');
      const findings = await act(QUICK, 'preflight on BLUE').preflightBlue({
        db: blueDb(),
        slot: input.replication.slot,
        publication: input.replication.publication,
        appUsers: input.appUsers,
      });
      const taken = await act(QUICK, 'GREEN and snapshot names free').namesFree({ greenInstanceId: input.green.instanceId, snapshotId: input.green.snapshotId });
      const traffic = await checkTraffic(tools);
      status.warnings = findings.warnings;
      const errors = [...findings.errors, ...taken, ...traffic];
      if (errors.length > 0) {
        throw ApplicationFailure.nonRetryable(`Preflight found ${errors.length} problem${errors.length === 1 ? '' : 's'}; nothing was changed:\n- ${errors.join('\n- ')}`, 'PreflightFailed', errors);
      }
    }
  }

  async function prepareBlue(): Promise<void> {
    step('1.1 replication role on BLUE');
    undoLater({ kind: 'dropReplicationRole' });
    await act(QUICK, 'seed 1.1: replication role on BLUE').createReplicationRole({ db: blueDb(), role: input.replication.user, password: input.replication.password });
    step('1.2 publication FOR ALL TABLES on BLUE');
    undoLater({ kind: 'dropPublication' });
    await act(QUICK, 'seed 1.2: publication on BLUE').createPublication({ db: blueDb(), publication });
    step('1.3 logical replication slot on BLUE');
    undoLater({ kind: 'dropReplicationSlot' });
    await act(QUICK, 'seed 1.3: logical slot on BLUE').createReplicationSlot({ db: blueDb(), slot });
  }

  async function snapshot(): Promise<void> {
    step('2 snapshot of BLUE');
    status.waitingFor = { what: `snapshot ${input.green.snapshotId}`, from: 'AWS' };
    if (input.onAbort.deleteSnapshot) undoLater({ kind: 'deleteSnapshot' });
    await act(LONG_WAIT, 'seed 2: snapshot BLUE').snapshotBlue({ blueInstanceId: input.blue.instanceId, snapshotId: input.green.snapshotId });
  }

  async function upgradeSnapshot(): Promise<void> {
    step(`3 snapshot to ${input.green.upgradePath.join(' then ')}`);
    status.waitingFor = { what: 'the snapshot engine upgrade', from: 'AWS' };
    await act(LONG_WAIT, 'seed 3: upgrade the snapshot').upgradeSnapshot({ snapshotId: input.green.snapshotId, upgradePath: input.green.upgradePath });
  }

  async function restoreGreen(): Promise<void> {
    step('4 restore GREEN from the snapshot');
    status.waitingFor = { what: `GREEN ${input.green.instanceId} to become available`, from: 'AWS' };
    if (input.onAbort.deleteGreen) undoLater({ kind: 'deleteGreen' });
    const g = input.green;
    const green = await act(LONG_WAIT, 'seed 4: restore GREEN').restoreGreen({
      greenInstanceId: g.instanceId,
      snapshotId: g.snapshotId,
      options: {
        dbInstanceClass: g.instanceClass,
        dbParameterGroupName: g.parameterGroup,
        dbSubnetGroupName: g.subnetGroup,
        vpcSecurityGroupIds: g.securityGroupIds,
        multiAZ: g.multiAZ,
        enableIAMDatabaseAuthentication: g.iamAuth,
        publiclyAccessible: g.publiclyAccessible,
        enableCloudwatchLogsExports: g.exportLogs ? ['postgresql'] : undefined,
      },
    });
    state.green = { host: green.host!, port: green.port!, engineVersion: green.engineVersion, restoreStartedAt: green.restoreStartedAt };
  }

  async function prepareGreen(): Promise<void> {
    step('5 application users NOLOGIN on GREEN');
    if (!input.onAbort.deleteGreen) undoLater({ kind: 'unlockGreenLogins' });
    await act(QUICK, 'seed 5: lock logins on GREEN').lockLogins({ db: greenDb(), roles: input.appUsers });
    step('5.1 subscription on GREEN, disabled');
    undoLater({ kind: 'dropGreenSubscription' });
    await act(QUICK, 'seed 5.1: subscription on GREEN').createSubscription({
      db: greenDb(),
      subscription,
      publication,
      slot,
      source: replicationFrom('blue'),
      enabled: false,
    });
  }

  async function checks(): Promise<void> {
    step('6 role, publication, wal_level and subscription');
    await act(QUICK, 'seed 6: checks').runChecks({ publisher: blueDb(), subscriber: greenDb(), role: input.replication.user, publication, subscription });
    step('7 schema objects of BLUE and GREEN');
    const diff = await act(QUICK, 'seed 7: compare schemas').compareSchemas({ blue: blueDb(), green: greenDb() });
    if (diff.length > 0) {
      throw ApplicationFailure.nonRetryable(`BLUE and GREEN schemas differ (DDL ran on BLUE since the snapshot?):\n${diff.slice(0, 50).join('\n')}`, 'SchemaDiffers', diff);
    }
  }

  async function findStartLsn(): Promise<void> {
    const given = state.redoDoneLsn ?? input.redoDoneLsn;
    if (given) {
      state.startLsn = startLsnAfterRedo(given);
      return;
    }
    step('the first "redo done at" in GREEN\'s log');
    try {
      const found = await act(QUICK, 'find the start LSN in GREEN\'s log').findStartLsn({
        greenInstanceId: input.green.instanceId,
        restoreStartedAt: state.green!.restoreStartedAt,
        logsExported: input.green.exportLogs,
      });
      state.startLsn = found.startLsn;
    } catch (err) {
      // The log cannot tell: an operator reads it and sends the LSN (setStartLsn).
      const cause = (err as { cause?: unknown }).cause;
      if (!(cause instanceof ApplicationFailure) || !['RedoLineNotFound', 'RedoNotRequired', 'UnparsableRedoLine'].includes(cause.type ?? '')) throw err;
      status.lastError = cause.message;
      status.waitingFor = { what: 'the redo LSN from GREEN\'s log (setStartLsn)', from: 'operator' };
      step('waiting for an operator to send the LSN');
      await condition(() => state.redoDoneLsn !== undefined);
      state.startLsn = startLsnAfterRedo(state.redoDoneLsn!);
      status.held = status.held.filter((h) => h !== 'setStartLsn');
    }
  }

  async function startReplication(): Promise<void> {
    status.startLsn = state.startLsn;
    step(`8 origin advanced to ${state.startLsn}`);
    await act(QUICK, 'seed 8: advance the origin').advanceOrigin({ db: greenDb(), subscription, lsn: state.startLsn! });
    step('8 subscription enabled');
    await act(QUICK, 'seed 8: enable the subscription').enableSubscription({ db: greenDb(), subscription });
    await act(QUICK, 'seed 8: subscription streams without errors').checkSubscriptionStreaming({ db: greenDb(), subscription });
  }

  async function maintainGreen(): Promise<void> {
    step(`9 ANALYZE${input.maintenance.vacuum === 'none' ? '' : `, VACUUM ${input.maintenance.vacuum}`} on GREEN`);
    await act(LONG_WAIT, 'seed 9: maintain GREEN').maintainGreen({ db: greenDb(), analyze: input.maintenance.analyze, vacuum: input.maintenance.vacuum });
  }

  async function catchUp(): Promise<void> {
    status.waitingFor = { what: `replication lag under ${input.catchUpLagBytes} bytes`, from: 'replication' };
    for (;;) {
      const lag = await readLag('blue');
      await readApplyErrors();
      step(`9.1 replication lag ${lag} bytes`);
      if (lag <= input.catchUpLagBytes) return;
      await sleep(input.pollMinutes * 60_000);
      await continueAsNewIfLong();
    }
  }

  async function awaitApproval(): Promise<void> {
    const window = input.maintenanceWindow;
    const poll = input.pollMinutes * 60_000;
    for (;;) {
      const windowWait = window ? msUntilWindow(window, Date.now()) : 0;
      // 10.1's lag gate: cutover begins only while GREEN is caught up.
      const caughtUp = status.lagBytes !== undefined && status.lagBytes <= input.catchUpLagBytes;
      if (state.approvals.cutover && windowWait === 0 && caughtUp && (await schemasMatch())) break;
      if (status.schemaDifferences) {
        status.waitingFor = { what: "BLUE's and GREEN's schemas to match (DDL ran on BLUE since the snapshot: run it on GREEN too)", from: 'operator' };
        step(`cutover refused while the schemas differ: ${status.schemaDifferences.slice(0, 3).join('; ')}`);
        await sleep(poll);
      } else if (!state.approvals.cutover) {
        status.waitingFor = { what: 'approveCutover', from: 'operator' };
        step('waiting for approveCutover');
        await condition(() => state.approvals.cutover, poll);
      } else if (windowWait > 0) {
        status.waitingFor = { what: `the maintenance window (${window!.days.join(',')} ${window!.start}-${window!.end} ${window!.timeZone})`, from: 'maintenance window' };
        step(`approved; cutover waits for the maintenance window, ${Math.round(windowWait / 60_000)} minutes from now`);
        await sleep(Math.min(windowWait, poll));
      } else {
        status.waitingFor = { what: `replication lag under ${input.catchUpLagBytes} bytes`, from: 'replication' };
        step('approved; waiting for GREEN to catch up');
        await sleep(poll);
      }
      await readLag('blue');
      await readApplyErrors();
      await continueAsNewIfLong();
    }
    status.held = status.held.filter((h) => h !== 'approveCutover');
  }

  /** Seed 7 again, just before cutover: DDL on BLUE since the snapshot would break GREEN. */
  async function schemasMatch(): Promise<boolean> {
    if (!patched('replication-guards')) return true;
    const diff = await act(QUICK, 'schemas of BLUE and GREEN still equal').compareSchemas({ blue: blueDb(), green: greenDb() });
    status.schemaDifferences = diff.length > 0 ? diff.slice(0, 50) : undefined;
    return diff.length === 0;
  }

  try {
    main = new CancellationScope();
    await main.run(async () => {
      if (state.abort) throw ApplicationFailure.nonRetryable(state.abort.reason, 'Aborted');
      await phase('preflight', preflight);
      await phase('prepareBlue', prepareBlue);
      // Added after the first stored histories: upgrades started before it replay without it.
      guard = new CancellationScope();
      const guarding = patched('wal-guard')
        ? guard.run(watchWal).catch((err: unknown) => {
            if (!isCancellation(err)) throw err;
          })
        : undefined;
      await phase('snapshot', snapshot);
      await phase('upgradeSnapshot', upgradeSnapshot);
      await phase('restoreGreen', restoreGreen);
      await phase('prepareGreen', prepareGreen);
      await phase('checks', checks);
      await phase('findStartLsn', findStartLsn);
      await phase('startReplication', startReplication);
      await phase('maintainGreen', maintainGreen);
      await phase('catchUp', catchUp);
      await phase('awaitApproval', awaitApproval);
      guard.cancel();
      await guarding;
    });
  } catch (err) {
    guard?.cancel();
    if (err instanceof ContinueAsNew) throw err;
    status.lastError = state.abort ? `aborted: ${state.abort.reason}` : describe(err);
    await compensate(state, input, blueDb, greenDb);
    status.outcome = state.abort ? 'aborted' : 'failed';
    status.phase = 'done';
    setCurrentDetails(`**${status.outcome}**: ${status.lastError}`);
    // An abort is an outcome the operator asked for, not a failure.
    if (state.abort) return { outcome: 'aborted', phases: state.phases };
    throw err;
  }

  // Seeds 10 to 12, then the rollback window, then rollback or finalize.
  state.cutoverStarted = true;
  let result: UpgradeResult;
  try {
    // Added after the first stored histories: upgrades started before it replay the old cutover.
    await phase('cutover', () => (patched('tight-cutover') ? cutover(tools) : cutoverBeforeTightening(tools)));
    await phase('rollbackWindow', rollbackWindow);
    if (state.approvals.rollback) {
      await phase('rollback', () => rollback(tools));
      result = { outcome: 'rolledBack', startLsn: state.startLsn, phases: state.phases };
    } else {
      await phase('finalize', finalize);
      result = { outcome: 'finalized', startLsn: state.startLsn, phases: state.phases };
    }
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    status.lastError ??= describe(err);
    status.outcome = 'failed';
    status.phase = 'done';
    setCurrentDetails(`**failed** with ${status.serving.toUpperCase()} serving: ${status.lastError}`);
    throw err;
  }
  status.outcome = result.outcome;
  status.phase = 'done';
  status.waitingFor = undefined;
  setCurrentDetails(`**${result.outcome}**: ${status.serving.toUpperCase()} serves`);
  return result;

  async function rollbackWindow(): Promise<void> {
    // Kept in the state, so that continue-as-new does not restart the window.
    const deadline = (state.rollbackDeadline ??= Date.now() + input.rollbackWindow.hours * 3600_000);
    const poll = input.pollMinutes * 60_000;
    for (;;) {
      if (state.approvals.rollback || state.approvals.finalize) break;
      const left = deadline - Date.now();
      if (left <= 0 && input.rollbackWindow.atEnd === 'finalize') {
        state.approvals.finalize = true;
        break;
      }
      status.waitingFor = { what: 'approveRollback or finalize', from: 'operator' };
      step(left > 0 ? `rollback window open until ${new Date(deadline).toISOString()}` : 'rollback window over; waiting for finalize or approveRollback');
      await condition(() => state.approvals.rollback || state.approvals.finalize, left > 0 ? Math.min(left, poll) : poll);
      if (!state.approvals.rollback && !state.approvals.finalize) await readLag('green');
      await continueAsNewIfLong();
    }
    status.held = [];
  }

  async function finalize(): Promise<void> {
    step('drop the reverse subscription on BLUE and the slot on GREEN');
    await act(QUICK, 'finalize: drop the reverse subscription on BLUE').dropSubscription({ db: blueDb(), subscription });
    await act(QUICK, 'finalize: drop the slot on GREEN').dropReplicationSlot({ db: greenDb(), slot });
  }
}

type DbRef = () => { host: string; port: number; database: string; user: string; password: UpgradeInput['blue']['adminPassword'] };

/** Undoes, newest first, what the upgrade made before cutover; keeps going past a failing undo. */
async function compensate(state: UpgradeState, input: UpgradeInput, blueDb: DbRef, greenDb: DbRef): Promise<void> {
  state.status.phase = 'compensating';
  const { slot, publication, subscription } = input.replication;
  await CancellationScope.nonCancellable(async () => {
    for (const c of [...state.compensations].reverse()) {
      state.status.step = `undo: ${c.kind}`;
      try {
        switch (c.kind) {
          case 'dropGreenSubscription':
            if (state.green) await act(QUICK, 'undo: drop the subscription on GREEN').dropSubscription({ db: greenDb(), subscription });
            break;
          case 'unlockGreenLogins':
            if (state.green) await act(QUICK, 'undo: GREEN users LOGIN').unlockLogins({ db: greenDb(), roles: input.appUsers });
            break;
          case 'deleteGreen':
            await act(LONG_WAIT, 'undo: delete GREEN').deleteGreen({ greenInstanceId: input.green.instanceId, blueInstanceId: input.blue.instanceId });
            break;
          case 'deleteSnapshot':
            await act(LONG_WAIT, 'undo: delete the snapshot').deleteSnapshot({ snapshotId: input.green.snapshotId });
            break;
          case 'dropReplicationSlot':
            await act(QUICK, 'undo: drop the slot on BLUE').dropReplicationSlot({ db: blueDb(), slot });
            break;
          case 'dropPublication':
            await act(QUICK, 'undo: drop the publication on BLUE').dropPublication({ db: blueDb(), publication });
            break;
          case 'dropReplicationRole':
            await act(QUICK, 'undo: drop the replication role on BLUE').dropReplicationRole({ db: blueDb(), role: input.replication.user });
            break;
        }
        state.compensations = state.compensations.filter((x) => x.kind !== c.kind);
      } catch (err) {
        log.error('compensation step failed; going on', { step: c.kind, error: describe(err) });
        state.status.lastError = `undo ${c.kind} failed: ${describe(err)}`;
      }
    }
  });
}

function now(): string {
  return new Date(Date.now()).toISOString();
}
