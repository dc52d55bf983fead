// Every activity the worker registers, built over clients made once by the worker.
import { createWorkerInfoActivities } from './worker-info';

export interface ActivityDeps {
  packageVersion: string;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createWorkerInfoActivities(deps.packageVersion),
  };
}

export type Activities = ReturnType<typeof createActivities>;
