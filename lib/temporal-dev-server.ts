// Starts and stops the Temporal CLI's dev server (server, SQLite persistence, web UI)
// from the binary that scripts/setup.cjs found or built.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { freePort, waitForPort } from './ports';
import { toolchain } from './toolchain';

export interface DevServer {
  /** host:port of the frontend gRPC service */
  address: string;
  uiUrl: string;
  namespace: string;
  process: ChildProcess;
  logFile: string;
}

export interface DevServerOptions {
  /** SQLite file; the server keeps its state there across restarts. */
  dbFile: string;
  logFile: string;
  port?: number;
  uiPort?: number;
  headless?: boolean;
  /** A codec server the UI sends payloads to for decoding (see lib/codec-server.ts). */
  uiCodecEndpoint?: string;
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const port = options.port ?? (await freePort());
  const uiPort = options.uiPort ?? (await freePort());
  // Every port is chosen, so that two servers on one machine never collide.
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--ui-port', String(uiPort),
    '--http-port', String(await freePort()),
    '--metrics-port', String(await freePort()),
    '--db-filename', options.dbFile,
    '--log-level', 'warn',
  ];
  if (options.headless) args.push('--headless');
  if (options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = fs.openSync(options.logFile, 'a');
  const cli = toolchain().temporalCli;
  if (!cli) throw new Error('no Temporal CLI: run the setup without skipping temporal-cli, or point TEMPORAL_ADDRESS at a server');
  const child = spawn(cli, args, { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code) => reject(new Error(`the Temporal dev server exited with ${code}; see ${options.logFile}`)));
  });
  exited.catch(() => undefined);
  const address = `127.0.0.1:${port}`;
  try {
    await Promise.race([exited, waitUntilServing(address, port)]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return { address, uiUrl: `http://127.0.0.1:${uiPort}`, namespace: 'default', process: child, logFile: options.logFile };
}

async function waitUntilServing(address: string, port: number): Promise<void> {
  await waitForPort(port, 60_000);
  // The port opens before the default namespace is registered: wait for that too.
  const connection = await Connection.connect({ address });
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    await connection.close();
  }
}

export async function stopDevServer(server: DevServer, timeoutMs = 10_000): Promise<void> {
  const child = server.process;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}
