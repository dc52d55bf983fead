// What operators and tools exchange with a running upgrade: the phases, the status query,
// and the approvals, each both a signal (for `temporal workflow signal` and the UI) and an
// update of the same name (for the CLI, which sees a refusal and its reason).
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export const PHASES = [
  'preflight',
  'prepareBlue',
  'snapshot',
  'upgradeSnapshot',
  'restoreGreen',
  'prepareGreen',
  'checks',
  'findStartLsn',
  'startReplication',
  'maintainGreen',
  'catchUp',
  'awaitApproval',
  'cutover',
  'rollbackWindow',
  'rollback',
  'finalize',
] as const;

export type Phase = (typeof PHASES)[number] | 'compensating' | 'done';

export interface PhaseTiming {
  phase: Phase;
  startedAt: string;
  endedAt?: string;
}

export interface UpgradeStatus {
  phase: Phase;
  /** The step inside the phase, in the seed's words. */
  step: string;
  phases: PhaseTiming[];
  /** What the upgrade waits for, and from whom, when it waits. */
  waitingFor?: { what: string; from: 'operator' | 'maintenance window' | 'replication' | 'AWS' };
  lagBytes?: number;
  /** WAL the slot keeps on the publisher, and (before cutover) BLUE's estimated free storage. */
  retainedWalBytes?: number;
  freeStoragePercent?: number;
  /** Changes GREEN's subscription failed to apply since it started (each retried by PostgreSQL). */
  applyErrors?: number;
  /** Where BLUE's and GREEN's schemas differ when cutover would begin: cutover waits until they match. */
  schemaDifferences?: string[];
  startLsn?: string;
  /** Which side takes the application's logins: blue until cutover, green after it. */
  serving: 'blue' | 'green';
  lastError?: string;
  /** Messages that came at a time they could not apply, with the reason. */
  refused: Array<{ message: string; reason: string; at: string }>;
  /** Approvals received and held until their moment comes. */
  held: string[];
  /** What preflight found worth knowing that does not stop the upgrade. */
  warnings?: string[];
  outcome?: 'finalized' | 'rolledBack' | 'aborted' | 'failed';
}

export const statusQuery = defineQuery<UpgradeStatus>('status');

export const approveCutoverSignal = defineSignal('approveCutover');
export const approveRollbackSignal = defineSignal('approveRollback');
export const finalizeSignal = defineSignal('finalize');
export const abortSignal = defineSignal<[reason?: string]>('abort');
export const setStartLsnSignal = defineSignal<[lsn: string]>('setStartLsn');
export const trafficSwitchedSignal = defineSignal('trafficSwitched');

export const approveCutoverUpdate = defineUpdate<string>('approveCutover');
export const approveRollbackUpdate = defineUpdate<string>('approveRollback');
export const finalizeUpdate = defineUpdate<string>('finalize');
export const abortUpdate = defineUpdate<string, [reason?: string]>('abort');
export const setStartLsnUpdate = defineUpdate<string, [lsn: string]>('setStartLsn');
export const trafficSwitchedUpdate = defineUpdate<string>('trafficSwitched');
