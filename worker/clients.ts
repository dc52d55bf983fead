// The AWS clients the activities use, made once per worker from the standard AWS chain
// (region, credentials). AWS_ENDPOINT_URL, or BLUEGREEN_LOCAL_RDS for the local RDS,
// points every client at another endpoint.
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface AwsClients {
  rds: RDSClient;
  logs: CloudWatchLogsClient;
  secretsManager: SecretsManagerClient;
  region: string;
  /** True against the local RDS, whose waiters need not wait as long as AWS's. */
  local: boolean;
}

export function awsClients(env: NodeJS.ProcessEnv = process.env): AwsClients {
  const localRds = env.BLUEGREEN_LOCAL_RDS;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  const config = localRds
    ? { region, endpoint: localRds, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
    : { region };
  return {
    rds: new RDSClient(config),
    logs: new CloudWatchLogsClient(config),
    secretsManager: new SecretsManagerClient(config),
    region,
    local: Boolean(localRds),
  };
}
