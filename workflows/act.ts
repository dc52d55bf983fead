// How the workflow calls activities: the retry and heartbeat profiles, and a summary for
// each call that the Temporal UI shows in the event list.
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';

// Quick SQL and API calls, and long waits. All of them heartbeat, so that a worker lost
// mid-step is noticed within the heartbeat timeout and the step retried.
export const QUICK: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
};
export const LONG_WAIT: ActivityOptions = {
  startToCloseTimeout: '24 hours',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 20 },
};
// Inside the cutover the application is locked out: retry fast, give up soon, and let the
// fail-safe reopen BLUE rather than keep everyone waiting.
export const CUTOVER: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '5 seconds', maximumAttempts: 5 },
};

export const act = (profile: ActivityOptions, summary: string) => proxyActivities<Activities>({ ...profile, summary });

export function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string } };
  return e.cause?.message ? `${e.message}: ${e.cause.message}` : (e.message ?? String(err));
}
