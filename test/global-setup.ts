// Starts the one Temporal dev server of this jest run; global-teardown.ts stops it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevServer, type DevServer } from '../lib/temporal-dev-server';

declare global {
  var temporalDevServer: DevServer | undefined;
  var testRunDir: string | undefined;
}

export default async function globalSetup(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rds-bluegreen-test-'));
  // PostgreSQL servers run as an unprivileged user, which must be able to enter it.
  fs.chmodSync(dir, 0o755);
  const server = await startDevServer({
    dbFile: path.join(dir, 'temporal.db'),
    logFile: path.join(dir, 'temporal.log'),
  });
  globalThis.temporalDevServer = server;
  globalThis.testRunDir = dir;
  // If jest dies without running the teardown, the server must not outlive it.
  process.once('exit', () => server.process.kill('SIGKILL'));
  process.env.TEMPORAL_ADDRESS = server.address;
  process.env.TEMPORAL_NAMESPACE = server.namespace;
  process.env.TEMPORAL_UI_URL = server.uiUrl;
  process.env.RDS_BLUEGREEN_TEST_DIR = dir;
  // The SDK's versions are pinned; its notice about Node 22 for later releases is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  console.log(`\nTemporal dev server: ${server.address}, UI ${server.uiUrl}`);
}
