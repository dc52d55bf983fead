// npm run local-rds -- --port P --dir D: the local RDS in the foreground until Ctrl-C,
// which stops every PostgreSQL server it started.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalRds } from './server';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4566' },
      dir: { type: 'string', default: '.local-rds' },
      pace: { type: 'string', default: '1000' },
      region: { type: 'string', default: 'us-east-1' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(`usage: npm run local-rds -- [--port 4566] [--dir .local-rds] [--pace 1000] [--region us-east-1]

Serves the RDS and CloudWatch Logs APIs on 127.0.0.1:PORT over real PostgreSQL servers
whose data and logs live in DIR. Each intermediate status (creating, backing-up, ...)
lasts at least PACE milliseconds.

example: npm run local-rds -- --port 4566 --dir /tmp/local-rds
then:    AWS_ENDPOINT_URL=http://127.0.0.1:4566 aws rds describe-db-instances`);
    return;
  }
  const port = Number(values.port);
  const paceMs = Number(values.pace);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a TCP port number, not ${values.port}`);
  if (!Number.isInteger(paceMs) || paceMs < 0) throw new Error(`--pace must be a number of milliseconds, not ${values.pace}`);
  const server = await startLocalRds({ port, dir: path.resolve(values.dir), paceMs, region: values.region });
  console.log(`local RDS: ${server.endpoint} (state in ${server.rds.dir})`);
  console.log(`local RDS: its instances serve TLS; their CA bundle is ${server.rds.caFile} (BLUEGREEN_PG_SSLROOTCERT for a worker)`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`local RDS: ${signal}, stopping its PostgreSQL servers`);
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
