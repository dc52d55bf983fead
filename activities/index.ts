// Every activity the worker registers, built over clients that the worker makes once:
// tests hand in clients pointed at the local RDS, the worker clients of the AWS chain.
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createSecretResolver, type SecretDeps } from './credentials';
import { createHookActivities } from './hook';
import { createLogsActivities } from './logs';
import { createPostgresActivities } from './pg';
import type { PgTls } from './pg/tls';
import { createPgbouncerActivities } from './pgbouncer';
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
  /** Where the `command` traffic switch finds the hooks it may run (BLUEGREEN_HOOKS_DIR). */
  hooksDir?: string;
  /** TLS to BLUE and GREEN (BLUEGREEN_PG_SSLMODE, BLUEGREEN_PG_SSLROOTCERT); none when absent. */
  pgTls?: PgTls;
}

export function createActivities(deps: ActivityDeps) {
  const resolveSecret = createSecretResolver(deps);
  return {
    ...createWorkerInfoActivities(deps.packageVersion),
    ...createRdsActivities(deps),
    ...createLogsActivities(deps),
    ...createPostgresActivities(resolveSecret, deps.pgTls),
    ...createPgbouncerActivities({ resolveSecret }),
    ...createHookActivities({ hooksDir: deps.hooksDir }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
