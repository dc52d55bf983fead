// The workflow types the worker registers.
export { workerCheck } from './worker-check';
