// Clients and workers on the jest run's dev server (started by test/global-setup.ts).
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
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
