// Running an activity as the worker would (with an activity context: heartbeats,
// cancellation, retry information), once or twice in a row as a retry after a crash would.
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';

export type ActivityInfo = ConstructorParameters<typeof MockActivityEnvironment>[0];

export async function run<A, R>(fn: (input: A) => Promise<R>, input: A, info: ActivityInfo = {}): Promise<R> {
  return (await new MockActivityEnvironment(info).run(fn, input)) as R;
}

/** Runs an activity twice in a row and returns both results. */
export async function twice<A, R>(fn: (input: A) => Promise<R>, input: A): Promise<[R, R]> {
  const first = await run(fn, input);
  const second = await run(fn, input);
  return [first, second];
}

/** The ApplicationFailure a promise rejects with; fails the test if it resolves or rejects otherwise. */
export async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}
