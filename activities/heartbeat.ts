// Long waits inside activities: heartbeat while waiting, so that a lost worker is noticed
// and a cancellation reaches the activity, which then stops at once.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';

const HEARTBEAT_EVERY_MS = 5_000;

/** Runs work while heartbeating details; work receives the activity's cancellation signal. */
export async function whileHeartbeating<T>(details: unknown, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  // Called outside an activity (a script, a test), there is no one to heartbeat to.
  if (!inActivity()) return work(new AbortController().signal);
  const context = Context.current();
  context.heartbeat(details);
  const timer = setInterval(() => context.heartbeat(details), HEARTBEAT_EVERY_MS);
  try {
    return await Promise.race([work(context.cancellationSignal), context.cancelled]);
  } finally {
    clearInterval(timer);
  }
}

function inActivity(): boolean {
  try {
    Context.current();
    return true;
  } catch {
    return false;
  }
}

/** The heartbeat details of the previous attempt, when this attempt is a retry. */
export function previousDetails<T>(): T | undefined {
  return Context.current().info.heartbeatDetails as T | undefined;
}

/**
 * Runs an SDK waiter. The waiters throw a TimeoutError when time runs out (left to
 * Temporal's retry) and a plain Error when the resource reached a state it cannot leave,
 * such as failed: that is permanent, and says which resource and state.
 */
export async function runWaiter(what: string, waiter: () => Promise<unknown>): Promise<void> {
  try {
    await waiter();
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') throw err;
    throw ApplicationFailure.create({
      message: `${what} reached a state it cannot leave: ${(err as Error).message.slice(0, 1000)}`,
      type: 'RdsResourceFailed',
      nonRetryable: true,
      cause: err as Error,
    });
  }
}
