// The worker process: runs the workflows and activities on the task queue until
// SIGINT or SIGTERM, then finishes the tasks in hand and exits.
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { temporalSettings } from './config';
import { version } from '../package.json';

async function main(): Promise<void> {
  const settings = temporalSettings();
  const connection = await NativeConnection.connect(settings.connectionOptions);
  try {
    const worker = await Worker.create({
      connection,
      namespace: settings.namespace,
      taskQueue: settings.taskQueue,
      workflowsPath: require.resolve('../workflows'),
      activities: createActivities({ packageVersion: version }),
    });
    console.log(`worker: polling task queue ${settings.taskQueue} on ${settings.connectionOptions.address} (namespace ${settings.namespace})`);
    // The SDK shuts the worker down gracefully on SIGINT and SIGTERM.
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
