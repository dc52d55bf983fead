// A local RDS for one test file, with SDK clients pointed at it as users point them at AWS.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { RDSClient } from '@aws-sdk/client-rds';
import { startLocalRds, type LocalRdsServer } from '../../local-rds/server';
import { awsClients } from '../../worker/clients';

export interface TestRds {
  server: LocalRdsServer;
  dir: string;
  rds: RDSClient;
  logs: CloudWatchLogsClient;
  close(): Promise<void>;
}

export const TEST_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export async function startTestRds(options: { dir?: string; paceMs?: number } = {}): Promise<TestRds> {
  const base = process.env.RDS_BLUEGREEN_TEST_DIR || os.tmpdir();
  const dir = options.dir ?? fs.mkdtempSync(path.join(base, 'local-rds-'));
  const server = await startLocalRds({ dir, paceMs: options.paceMs ?? 300 });
  // The same clients the worker makes when pointed at a local RDS.
  const { rds, logs, secretsManager } = awsClients({ BLUEGREEN_LOCAL_RDS: server.endpoint, AWS_REGION: 'us-east-1' });
  secretsManager.destroy();
  return {
    server,
    dir,
    rds,
    logs,
    async close() {
      rds.destroy();
      logs.destroy();
      await server.close();
    },
  };
}

/** The SDK waiters poll every few seconds against AWS; against the local RDS, every second. */
export const FAST_WAIT = { minDelay: 1, maxDelay: 1, maxWaitTime: 300 };
