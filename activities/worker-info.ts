// Tells which worker picked up a task: how an operator checks that a worker polls the
// task queue and runs the expected version before starting an upgrade.
import os from 'node:os';
import { Context } from '@temporalio/activity';

export interface WorkerInfo {
  hostname: string;
  pid: number;
  taskQueue: string;
  nodeVersion: string;
  packageVersion: string;
}

export function createWorkerInfoActivities(packageVersion: string) {
  return {
    async workerInfo(): Promise<WorkerInfo> {
      return {
        hostname: os.hostname(),
        pid: process.pid,
        taskQueue: Context.current().info.taskQueue,
        nodeVersion: process.version,
        packageVersion,
      };
    },
  };
}
