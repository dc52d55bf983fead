// npm run worker: the worker process.
import { runWorker } from './run';

runWorker().catch((err) => {
  console.error(err);
  process.exit(1);
});
