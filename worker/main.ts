// The worker process: runs the workflows and activities on the task queue until
// SIGINT or SIGTERM, then finishes the tasks in hand and exits.
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { awsClients } from './clients';
import { temporalSettings } from './config';
import { version } from '../package.json';

async function main(): Promise<void> {
  const settings = temporalSettings();
  const aws = awsClients();
  const connection = await NativeConnection.connect(settings.connectionOptions);
  try {
    const worker = await Worker.create({
      connection,
      namespace: settings.namespace,
      taskQueue: settings.taskQueue,
      workflowsPath: require.resolve('../workflows'),
      activities: createActivities({
        packageVersion: version,
        ...aws,
        // The local RDS changes state in seconds; AWS in minutes.
        waiterDelay: aws.local ? { minDelay: 1, maxDelay: 2 } : undefined,
      }),
    });
    console.log(`worker: polling task queue ${settings.taskQueue} on ${settings.connectionOptions.address} (namespace ${settings.namespace})`);
    // The SDK shuts the worker down gracefully on SIGINT and SIGTERM.
    await worker.run();
  } finally {
    await connection.close();
    aws.rds.destroy();
    aws.logs.destroy();
    aws.secretsManager.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
