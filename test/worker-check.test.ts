// The foundation's proof: a workflow calls an activity through a real worker on the dev server.
import os from 'node:os';
import { createWorkerInfoActivities } from '../activities/worker-info';
import { workerCheck } from '../workflows';
import { connectClient, uniqueTaskQueue, withWorker, workflowsPath } from './helpers/temporal';

describe('workerCheck', () => {
  it('runs its activity on a real worker and returns what that worker reports', async () => {
    const taskQueue = uniqueTaskQueue('worker-check');
    const { client, close } = await connectClient();
    try {
      const info = await withWorker(
        { taskQueue, workflowsPath, activities: createWorkerInfoActivities('9.9.9-test') },
        () => client.workflow.execute(workerCheck, { taskQueue, workflowId: taskQueue }),
      );
      expect(info).toEqual({
        hostname: os.hostname(),
        pid: process.pid,
        taskQueue,
        nodeVersion: process.version,
        packageVersion: '9.9.9-test',
      });
      const history = await client.workflow.getHandle(taskQueue).fetchHistory();
      const types = history.events?.map((e) => e.eventType);
      expect(types).toContain(10); // EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: the activity really ran as a task
    } finally {
      await close();
    }
  });
});
