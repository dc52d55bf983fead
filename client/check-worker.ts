// Asks a worker on the task queue to report who it is: run it before starting an upgrade
// to see that a worker is there and runs the version you expect.
import { Client, Connection } from '@temporalio/client';
import { temporalSettings } from '../worker/config';
import { workerCheck } from '../workflows';

async function main(): Promise<void> {
  const settings = temporalSettings();
  const connection = await Connection.connect(settings.connectionOptions);
  try {
    const client = new Client({ connection, namespace: settings.namespace, dataConverter: settings.dataConverter });
    const info = await client.workflow.execute(workerCheck, {
      taskQueue: settings.taskQueue,
      workflowId: `worker-check-${Date.now()}`,
      // No worker means no answer: say so instead of waiting forever.
      workflowExecutionTimeout: '30 seconds',
    });
    console.log(JSON.stringify(info, null, 2));
  } finally {
    await connection.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
