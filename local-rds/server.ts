// The local RDS's HTTP endpoint on loopback: the RDS query API and the JSON APIs of
// CloudWatch Logs and Secrets Manager on one port, so that every SDK client takes the same endpoint.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleLogsJson } from './logs-api';
import { handleRdsQuery } from './rds-api';
import { handleSecretsJson } from './secrets-api';
import { LocalRds, type LocalRdsOptions } from './service';

const MAX_BODY = 1024 * 1024;

export interface LocalRdsServer {
  endpoint: string;
  rds: LocalRds;
  close(): Promise<void>;
}

export async function startLocalRds(options: LocalRdsOptions & { port?: number }): Promise<LocalRdsServer> {
  const rds = await LocalRds.open(options);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // An oversized body is read to its end and refused, so the client gets an answer.
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const target = req.headers['x-amz-target'];
      if (size > MAX_BODY) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(`RequestEntityTooLarge: the request body exceeds ${MAX_BODY} bytes`);
      } else if (typeof target === 'string') {
        const out = target.startsWith('secretsmanager.') ? handleSecretsJson(rds, target, body) : handleLogsJson(rds, target, body);
        res.writeHead(out.status, { 'content-type': 'application/x-amz-json-1.1' }).end(out.body);
      } else if (req.method === 'POST') {
        const out = handleRdsQuery(rds, body);
        res.writeHead(out.status, { 'content-type': 'text/xml' }).end(out.body);
      } else {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('The local RDS takes POST requests of the AWS query protocol (RDS) or the JSON protocol (CloudWatch Logs).');
      }
    });
    req.on('error', () => res.destroy());
  });
  // A client that sends half a request must not hold the service.
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    rds,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rds.close();
    },
  };
}
