// A one-activity workflow that proves a worker polls the task queue and reports who it is.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { WorkerInfo } from '../activities/worker-info';

const { workerInfo } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3 },
});

export async function workerCheck(): Promise<WorkerInfo> {
  return workerInfo();
}
