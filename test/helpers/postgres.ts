// Throwaway PostgreSQL clusters of any installed major version, for tests that need a
// plain server rather than a local RDS instance.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { assertServerUserCanUse, BOOTSTRAP_USER, initCluster, startCluster, stopCluster } from '../../local-rds/cluster';
import { freePort } from '../../lib/ports';
import { postgresInstall } from '../../lib/toolchain';

export interface TestCluster {
  major: number;
  host: string;
  port: number;
  /** The bootstrap superuser and its password. */
  user: string;
  password: string;
  dir: string;
  logFile: string;
  connect(database?: string, user?: string, password?: string): Promise<Client>;
  /** Restarts the server, e.g. after ALTER SYSTEM of a setting that needs it. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestCluster(major: number): Promise<TestCluster> {
  const base = process.env.RDS_BLUEGREEN_TEST_DIR || os.tmpdir();
  const dir = fs.mkdtempSync(path.join(base, `pg${major}-`));
  fs.chmodSync(dir, 0o755);
  assertServerUserCanUse(dir);
  const binDir = postgresInstall(major).binDir;
  const password = crypto.randomBytes(12).toString('hex');
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'postgresql.log');
  const port = await freePort();
  await initCluster({ binDir, dataDir, adminPassword: password });
  await startCluster({ binDir, dataDir, port, logFile });
  return {
    major,
    host: '127.0.0.1',
    port,
    user: BOOTSTRAP_USER,
    password,
    dir,
    logFile,
    async connect(database = 'postgres', user = BOOTSTRAP_USER, pw = password) {
      const client = new Client({ host: '127.0.0.1', port, database, user, password: pw });
      await client.connect();
      return client;
    },
    async restart() {
      await stopCluster(binDir, dataDir);
      await startCluster({ binDir, dataDir, port, logFile });
    },
    async stop() {
      await stopCluster(binDir, dataDir);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
