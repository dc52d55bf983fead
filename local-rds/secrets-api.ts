// Secrets Manager's JSON protocol, the little of it that credential references need:
// create, read and delete a secret string. Secrets stay in the state file (mode 0600).
import crypto from 'node:crypto';
import { handleJson, JsonApiError, type JsonActions, type JsonParams as Params } from './json-api';
import type { LocalRds } from './service';

const NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

function text(p: Params, name: string): string {
  const value = p[name];
  if (typeof value !== 'string' || value === '') throw new JsonApiError('InvalidParameterException', `${name} is required and must be a string.`);
  return value;
}

const ACTIONS: JsonActions = {
  CreateSecret: (rds, p) => {
    const name = text(p, 'Name');
    if (!NAME.test(name)) throw new JsonApiError('InvalidParameterException', `Name ${JSON.stringify(name)} may contain only letters, digits and /_+=.@-`);
    const secrets = rds.secrets();
    if (secrets[name]) throw new JsonApiError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
    const arn = `arn:aws:secretsmanager:${rds.region}:000000000000:secret:${name}-${crypto.randomBytes(3).toString('hex')}`;
    secrets[name] = { arn, value: text(p, 'SecretString'), createdAt: Date.now() };
    rds.saveSecrets();
    return { ARN: arn, Name: name, VersionId: crypto.randomUUID() };
  },
  GetSecretValue: (rds, p) => {
    const [name, secret] = find(rds, text(p, 'SecretId'));
    return { ARN: secret.arn, Name: name, SecretString: secret.value, VersionId: 'current', VersionStages: ['AWSCURRENT'], CreatedDate: secret.createdAt / 1000 };
  },
  DeleteSecret: (rds, p) => {
    const [name, secret] = find(rds, text(p, 'SecretId'));
    delete rds.secrets()[name];
    rds.saveSecrets();
    return { ARN: secret.arn, Name: name, DeletionDate: Date.now() / 1000 };
  },
};

function find(rds: LocalRds, id: string) {
  const entry = Object.entries(rds.secrets()).find(([name, s]) => name === id || s.arn === id);
  if (!entry) throw new JsonApiError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
  return entry;
}

export function handleSecretsJson(rds: LocalRds, target: string, body: string): { status: number; body: string } {
  return handleJson({ name: 'Secrets Manager', targetPrefix: 'secretsmanager.', internalError: 'InternalServiceError', actions: ACTIONS }, rds, target, body);
}
