// Operator messages. Each comes as a signal and as an update of the same name, and one rule
// decides both: a message that can apply later is held, one that never can is refused.
// A refused update fails in its validator, so the sender sees the reason; a refused signal
// is recorded in the status, where `bluegreen status` and the UI show it.
import { setHandler } from '@temporalio/workflow';
import { isLsn } from '../common/lsn';
import {
  abortSignal,
  abortUpdate,
  approveCutoverSignal,
  approveCutoverUpdate,
  approveRollbackSignal,
  approveRollbackUpdate,
  finalizeSignal,
  finalizeUpdate,
  setStartLsnSignal,
  setStartLsnUpdate,
  statusQuery,
  trafficSwitchedSignal,
  trafficSwitchedUpdate,
} from './messages';
import type { UpgradeState } from './state';

interface Message {
  /** Why it can never apply, or undefined when it can. */
  refusal(state: UpgradeState, arg?: string): string | undefined;
  /** Applies it; held when it waits for its moment. */
  apply(state: UpgradeState, arg?: string): { message: string; held: boolean };
}

const finished = (state: UpgradeState) => state.status.outcome !== undefined;

const MESSAGES: Record<'approveCutover' | 'approveRollback' | 'finalize' | 'abort' | 'setStartLsn' | 'trafficSwitched', Message> = {
  approveCutover: {
    refusal: (s) =>
      finished(s) ? `the upgrade has ended (${s.status.outcome})`
      : s.abort ? 'the upgrade is being aborted'
      : s.cutoverStarted ? 'cutover has already begun'
      : undefined,
    apply: (s) => {
      s.approvals.cutover = true;
      const held = s.status.phase !== 'awaitApproval';
      return { held, message: held ? `cutover approved; held until GREEN has caught up (now: ${s.status.phase})` : 'cutover approved' };
    },
  },
  approveRollback: {
    refusal: (s) =>
      !s.cutoverStarted ? 'there is nothing to roll back before cutover: send abort to stop the upgrade'
      : finished(s) ? `the upgrade has ended (${s.status.outcome})`
      : s.approvals.finalize ? 'finalize was approved already'
      : undefined,
    apply: (s) => {
      s.approvals.rollback = true;
      const held = s.status.phase !== 'rollbackWindow';
      return { held, message: held ? 'rollback approved; held until the cutover has finished' : 'rollback approved' };
    },
  },
  finalize: {
    refusal: (s) =>
      !s.cutoverStarted ? 'finalize comes after cutover: approve the cutover first, or abort'
      : finished(s) ? `the upgrade has ended (${s.status.outcome})`
      : s.approvals.rollback ? 'a rollback was approved already'
      : undefined,
    apply: (s) => {
      s.approvals.finalize = true;
      const held = s.status.phase !== 'rollbackWindow';
      return { held, message: held ? 'finalize approved; held until the cutover has finished' : 'finalize approved' };
    },
  },
  abort: {
    refusal: (s) =>
      finished(s) ? `the upgrade has ended (${s.status.outcome})`
      : s.cutoverStarted ? 'abort is refused once cutover has begun: roll back with approveRollback instead'
      : undefined,
    apply: (s, reason) => {
      s.abort ??= { reason: reason || 'aborted by an operator' };
      return { held: false, message: 'aborting: what the upgrade made is being undone' };
    },
  },
  setStartLsn: {
    refusal: (s, lsn) =>
      typeof lsn !== 'string' || !isLsn(lsn) ? `${JSON.stringify(lsn)} is not an LSN: send the X/Y of GREEN's first "redo done at X/Y" log line`
      : s.startLsn && (s.completed.includes('startReplication') || s.status.phase === 'startReplication') ? `replication already started from ${s.startLsn}`
      : finished(s) || s.abort ? 'the upgrade is ending'
      : undefined,
    apply: (s, lsn) => {
      s.redoDoneLsn = lsn!.toUpperCase();
      const held = s.status.phase !== 'findStartLsn';
      return { held, message: `redo LSN ${s.redoDoneLsn} taken; replication will start one byte after it` };
    },
  },
  // Said by an operator once the application connects to the side that just opened; only
  // asked for with traffic.strategy manual, and only while the upgrade waits for it.
  trafficSwitched: {
    refusal: (s) =>
      finished(s) ? `the upgrade has ended (${s.status.outcome})`
      : !s.trafficAwaited ? 'the upgrade is not waiting for a traffic switch (it asks for one only with traffic.strategy "manual", once a side has opened)'
      : undefined,
    apply: (s) => {
      s.trafficSwitchedTo = s.trafficAwaited;
      return { held: false, message: `traffic on ${s.trafficAwaited!.toUpperCase()} noted` };
    },
  },
};

export function registerHandlers(state: UpgradeState, onAbort: () => void): void {
  setHandler(statusQuery, () => state.status);

  const handle = (name: keyof typeof MESSAGES, arg?: string): string => {
    const { message, held } = MESSAGES[name].apply(state, arg);
    if (held && !state.status.held.includes(name)) state.status.held.push(name);
    if (name === 'abort') onAbort();
    return message;
  };
  const refuseSignal = (name: string, reason: string) => {
    state.status.refused.push({ message: name, reason, at: new Date(Date.now()).toISOString() });
  };
  const validator = (name: keyof typeof MESSAGES) => (arg?: string) => {
    const reason = MESSAGES[name].refusal(state, arg);
    if (reason) throw new Error(`${name} refused: ${reason}`);
  };
  const signal = (name: keyof typeof MESSAGES) => (arg?: string) => {
    const reason = MESSAGES[name].refusal(state, arg);
    if (reason) refuseSignal(name, reason);
    else handle(name, arg);
  };

  setHandler(approveCutoverSignal, signal('approveCutover'));
  setHandler(approveRollbackSignal, signal('approveRollback'));
  setHandler(finalizeSignal, signal('finalize'));
  setHandler(abortSignal, signal('abort'));
  setHandler(setStartLsnSignal, signal('setStartLsn'));
  setHandler(trafficSwitchedSignal, signal('trafficSwitched'));

  setHandler(approveCutoverUpdate, () => handle('approveCutover'), { validator: validator('approveCutover') });
  setHandler(approveRollbackUpdate, () => handle('approveRollback'), { validator: validator('approveRollback') });
  setHandler(finalizeUpdate, () => handle('finalize'), { validator: validator('finalize') });
  setHandler(abortUpdate, (reason?: string) => handle('abort', reason), { validator: validator('abort') });
  setHandler(setStartLsnUpdate, (lsn: string) => handle('setStartLsn', lsn), { validator: validator('setStartLsn') });
  setHandler(trafficSwitchedUpdate, () => handle('trafficSwitched'), { validator: validator('trafficSwitched') });
}
