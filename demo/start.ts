// npm start: the whole local stack for hands-on use, until Ctrl-C. A Temporal dev server
// with its UI, the local RDS with a BLUE PostgreSQL 15 under a light write load, and a
// worker; it prints the UI link, an input file for BLUE, and the commands to type next.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../lib/ports';
import { startDevServer, stopDevServer } from '../lib/temporal-dev-server';
import { startStack } from './stack';
import { Writer, type WriterTarget } from './writer';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';

/** The usual port when it is free (7233 for Temporal, 8233 for its UI), else any free one. */
async function preferredPort(port: number): Promise<number> {
  const free = await new Promise<boolean>((resolve) => {
    const server = net.createServer().once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
  return free ? port : freePort();
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rds-bluegreen-start-'));
  fs.chmodSync(dir, 0o755);
  const log = (line: string) => console.log(line);
  // TEMPORAL_ADDRESS names a server to use (docker-compose's); else a dev server starts here.
  const given = process.env.TEMPORAL_ADDRESS;
  const server = given
    ? undefined
    : await startDevServer({
        dbFile: path.join(dir, 'temporal.db'),
        logFile: path.join(dir, 'temporal.log'),
        port: await preferredPort(7233),
        uiPort: await preferredPort(8233),
      });
  const address = given ?? server!.address;
  const uiUrl = process.env.TEMPORAL_UI_URL ?? server?.uiUrl ?? 'http://127.0.0.1:8233';
  const stack = await startStack({ dir, temporalAddress: address, rows: 10_000, log });
  // The application writes where its login is open: BLUE, or GREEN once it exists and serves.
  let green: WriterTarget | undefined;
  const findGreen = setInterval(() => {
    stack.aws.rds
      .send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'demo-green' }))
      .then((out) => {
        const endpoint = out.DBInstances?.[0]?.Endpoint;
        green = endpoint?.Port ? { ...stack.blue.app, host: endpoint.Address!, port: endpoint.Port } : undefined;
      })
      .catch(() => (green = undefined));
  }, 2000);
  const writer = new Writer(() => (green ? [stack.blue.app, green] : [stack.blue.app]), 200);
  writer.start();
  const inputFile = path.join(dir, 'upgrade.json');
  fs.writeFileSync(inputFile, `${JSON.stringify(stack.upgradeInput({ pollMinutes: 0.1 }), null, 2)}\n`);

  const env = `TEMPORAL_ADDRESS=${address} TEMPORAL_UI_URL=${uiUrl}`;
  console.log(`
The local stack is up.
  Temporal UI:  ${uiUrl}
  local RDS:    ${stack.rdsServer.endpoint} (BLUE is demo-blue, PostgreSQL 15, at ${stack.blue.host}:${stack.blue.port})
  worker:       polling task queue ${stack.taskQueue}, with the passwords of BLUE in its environment
  application:  writing about five times a second to whichever side lets it log in

Start an upgrade to ${stack.target17} from the UI (workflow type blueGreenUpgrade, task queue ${stack.taskQueue},
input: the contents of ${inputFile}) or from a second terminal:
  ${env} npx bluegreen start ${inputFile} --id try-it
  ${env} npx bluegreen status try-it --watch
  ${env} npx bluegreen approve try-it
  ${env} npx bluegreen rollback try-it      (or finalize)

Ctrl-C stops everything.`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping...');
    clearInterval(findGreen);
    await writer.stop();
    await stack.close();
    if (server) await stopDevServer(server);
    fs.rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
