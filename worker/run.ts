// The worker: the workflows and activities on the task queue until SIGINT or SIGTERM, when
// it finishes the tasks in hand and returns. Interceptors are for tests that need them.
import { NativeConnection, Worker, type WorkerInterceptors } from '@temporalio/worker';
import { createActivities } from '../activities';
import { describePgTls, pgTlsFromEnv } from '../activities/pg/tls';
import { version } from '../package.json';
import { awsClients } from './clients';
import { temporalSettings } from './config';

export async function runWorker(options: { interceptors?: WorkerInterceptors } = {}): Promise<void> {
  const settings = temporalSettings();
  // TLS to BLUE and GREEN; a bad setting stops the worker here, naming the variable.
  const pgTls = pgTlsFromEnv();
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
        hooksDir: process.env.BLUEGREEN_HOOKS_DIR || undefined,
        pgTls,
      }),
      interceptors: options.interceptors,
      dataConverter: settings.dataConverter,
    });
    console.log(`worker: TLS to the databases: ${describePgTls(pgTls)}`);
    console.log(`worker: polling task queue ${settings.taskQueue} on ${settings.connectionOptions.address} (namespace ${settings.namespace})${settings.dataConverter ? ', payloads encrypted' : ''}`);
    // The SDK shuts the worker down gracefully on SIGINT and SIGTERM.
    await worker.run();
  } finally {
    await connection.close();
    aws.rds.destroy();
    aws.logs.destroy();
    aws.secretsManager.destroy();
  }
}
