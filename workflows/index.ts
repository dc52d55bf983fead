// The workflow types the worker registers.
export { blueGreenUpgrade } from './upgrade';
export { workerCheck } from './worker-check';
