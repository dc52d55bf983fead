// Credentials by reference: workflow inputs and activity inputs name where a password is
// (an environment variable of the worker, a Secrets Manager secret, or IAM auth), and the
// activity that connects resolves it. No password travels through Temporal's history.
import { GetSecretValueCommand, ResourceNotFoundException, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Signer } from '@aws-sdk/rds-signer';
import { ApplicationFailure } from '@temporalio/common';

export type SecretRef = { env: string } | { secretArn: string; jsonKey?: string } | { iamAuth: true; region?: string };

export interface SecretDeps {
  secretsManager: SecretsManagerClient;
  /** The worker's AWS region and credentials, for IAM auth tokens. */
  region: string;
  credentials?: ConstructorParameters<typeof Signer>[0]['credentials'];
}

export interface ConnectTarget {
  host: string;
  port: number;
  user: string;
}

export type ResolveSecret = (ref: SecretRef, target: ConnectTarget) => Promise<string>;

export function describeSecretRef(ref: SecretRef): string {
  if ('env' in ref) return `environment variable ${ref.env}`;
  if ('secretArn' in ref) return `secret ${ref.secretArn}${ref.jsonKey ? ` (key ${ref.jsonKey})` : ''}`;
  return 'IAM database authentication';
}

export function createSecretResolver(deps: SecretDeps): ResolveSecret {
  return async (ref, target) => {
    if ('env' in ref) {
      const value = process.env[ref.env];
      if (value === undefined || value === '') {
        throw ApplicationFailure.nonRetryable(`The worker has no environment variable ${ref.env}: set it where the worker runs, then retry.`, 'SecretNotFound');
      }
      return value;
    }
    if ('secretArn' in ref) {
      let secret: string | undefined;
      try {
        secret = (await deps.secretsManager.send(new GetSecretValueCommand({ SecretId: ref.secretArn }))).SecretString;
      } catch (err) {
        if (err instanceof ResourceNotFoundException) {
          throw ApplicationFailure.nonRetryable(`Secrets Manager has no secret ${ref.secretArn}: check the ARN and the worker's region.`, 'SecretNotFound');
        }
        throw err;
      }
      if (secret === undefined) throw ApplicationFailure.nonRetryable(`Secret ${ref.secretArn} holds no string.`, 'SecretNotFound');
      return pickFromSecret(secret, ref.secretArn, ref.jsonKey);
    }
    // IAM auth: a token signed with the worker's AWS credentials, good for 15 minutes.
    const signer = new Signer({ hostname: target.host, port: target.port, username: target.user, region: ref.region ?? deps.region, credentials: deps.credentials });
    return signer.getAuthToken();
  };
}

/** RDS-managed secrets are JSON ({"username": ..., "password": ...}); others a bare string. */
function pickFromSecret(secret: string, arn: string, jsonKey: string | undefined): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    parsed = undefined;
  }
  const key = jsonKey ?? (typeof parsed === 'object' && parsed !== null && 'password' in parsed ? 'password' : undefined);
  if (key === undefined) return secret;
  const value = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)[key] : undefined;
  if (typeof value !== 'string') throw ApplicationFailure.nonRetryable(`Secret ${arn} has no string under the key ${key}.`, 'SecretNotFound');
  return value;
}
