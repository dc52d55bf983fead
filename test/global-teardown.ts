// Stops the dev server that global-setup.ts started, whether the tests passed or not.
import fs from 'node:fs';
import { stopDevServer } from '../lib/temporal-dev-server';

export default async function globalTeardown(): Promise<void> {
  if (globalThis.temporalDevServer) await stopDevServer(globalThis.temporalDevServer);
  if (globalThis.testRunDir) fs.rmSync(globalThis.testRunDir, { recursive: true, force: true });
}
