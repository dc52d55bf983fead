// Every activity the worker registers, built over clients that the worker makes once:
// tests hand in clients pointed at the local RDS, the worker clients of the AWS chain.
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createSecretResolver, type SecretDeps } from './credentials';
import { createLogsActivities } from './logs';
import { createPostgresActivities } from './pg';
import { createRdsActivities, type RdsDeps } from './rds';
import { createWorkerInfoActivities } from './worker-info';

export interface ActivityDeps {
  packageVersion: string;
  rds: RDSClient;
  logs: CloudWatchLogsClient;
  secretsManager: SecretsManagerClient;
  region: string;
  credentials?: SecretDeps['credentials'];
  waiterDelay?: RdsDeps['waiterDelay'];
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createWorkerInfoActivities(deps.packageVersion),
    ...createRdsActivities(deps),
    ...createLogsActivities(deps),
    ...createPostgresActivities(createSecretResolver(deps)),
  };
}

export type Activities = ReturnType<typeof createActivities>;
