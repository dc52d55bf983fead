// Clients and workers on the jest run's dev server (started by test/global-setup.ts).
import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { statusQuery, type UpgradeStatus } from '../../workflows/messages';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';

// Worker lifecycle lines at INFO drown the test output; warnings and errors still show.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // Another test file in this jest worker process installed it already.
}

function address(): string {
  const value = process.env.TEMPORAL_ADDRESS;
  if (!value) throw new Error('TEMPORAL_ADDRESS is not set: run the tests through jest, whose global setup starts the dev server');
  return value;
}

export const workflowsPath = require.resolve('../../workflows');

export async function connectClient(): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address: address() });
  return { client: new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE }), close: () => connection.close() };
}

/** Polls an upgrade's status until predicate holds; fails naming what it waited for, with the last status. */
export async function waitForStatus(handle: WorkflowHandle, predicate: (s: UpgradeStatus) => boolean, what: string, timeoutMs = 120_000): Promise<UpgradeStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: UpgradeStatus | undefined;
  while (Date.now() < deadline) {
    last = await handle.query(statusQuery);
    if (predicate(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; last status ${JSON.stringify(last)}`);
}

/** A task queue no other test uses, so tests in parallel never take each other's tasks. */
export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

/** Runs fn while a real worker polls taskQueue, then shuts the worker down. */
export async function withWorker<T>(
  options: Omit<WorkerOptions, 'connection'>,
  fn: () => Promise<T>,
): Promise<T> {
  const connection = await NativeConnection.connect({ address: address() });
  try {
    const worker = await Worker.create({ connection, namespace: process.env.TEMPORAL_NAMESPACE, ...options });
    return await worker.runUntil(fn);
  } finally {
    await connection.close();
  }
}
