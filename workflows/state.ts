// The upgrade's durable state: what is done, what to undo, what operators asked for. It is
// all plain data, so that continue-as-new can carry it into a fresh history.
import type { Phase, PhaseTiming, UpgradeStatus } from './messages';

/** What compensation undoes, newest first; plain data so it survives continue-as-new. */
export type Compensation =
  | { kind: 'dropReplicationRole' }
  | { kind: 'dropPublication' }
  | { kind: 'dropReplicationSlot' }
  | { kind: 'deleteSnapshot' }
  | { kind: 'deleteGreen' }
  | { kind: 'dropGreenSubscription' }
  | { kind: 'unlockGreenLogins' };

export interface Endpoint {
  host: string;
  port: number;
}

export interface UpgradeState {
  completed: Phase[];
  phases: PhaseTiming[];
  compensations: Compensation[];
  blue?: Endpoint & { engineVersion: string; allocatedBytes?: number };
  green?: Endpoint & { engineVersion: string; restoreStartedAt: string };
  /** The redo LSN an operator sent, when GREEN's log could not tell. */
  redoDoneLsn?: string;
  startLsn?: string;
  approvals: { cutover: boolean; rollback: boolean; finalize: boolean };
  abort?: { reason: string };
  cutoverStarted: boolean;
  /** With traffic.strategy manual: the side whose trafficSwitched the upgrade waits for, and the last one sent. */
  trafficAwaited?: 'blue' | 'green';
  trafficSwitchedTo?: 'blue' | 'green';
  /** When the rollback window closes (ms since the epoch), once cutover is done. */
  rollbackDeadline?: number;
  status: UpgradeStatus;
}

export function newState(): UpgradeState {
  return {
    completed: [],
    phases: [],
    compensations: [],
    approvals: { cutover: false, rollback: false, finalize: false },
    cutoverStarted: false,
    status: { phase: 'preflight', step: 'starting', phases: [], serving: 'blue', refused: [], held: [] },
  };
}
