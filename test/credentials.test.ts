// Credential references resolved as the activities resolve them: from the worker's
// environment, from Secrets Manager (the local RDS serves it), and IAM auth tokens.
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ApplicationFailure } from '@temporalio/common';
import { createSecretResolver } from '../activities/credentials';
import { startTestRds, TEST_CREDENTIALS, type TestRds } from './helpers/local-rds';

let t: TestRds;
let secretsManager: SecretsManagerClient;
const target = { host: 'green.example.us-east-1.rds.amazonaws.com', port: 5432, user: 'pgrepuser' };

beforeAll(async () => {
  t = await startTestRds();
  secretsManager = new SecretsManagerClient({ endpoint: t.server.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS });
});

afterAll(async () => {
  secretsManager?.destroy();
  await t?.close();
});

describe('credential references', () => {
  it('reads an environment variable of the worker, and names it when it is missing', async () => {
    const resolve = createSecretResolver({ secretsManager, region: 'us-east-1' });
    process.env.BLUEGREEN_TEST_PW = 'from-env';
    expect(await resolve({ env: 'BLUEGREEN_TEST_PW' }, target)).toBe('from-env');
    const err = await resolve({ env: 'BLUEGREEN_NO_SUCH_VAR' }, target).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as ApplicationFailure).message).toMatch(/BLUEGREEN_NO_SUCH_VAR/);
  });

  it('reads Secrets Manager secrets: plain, RDS-managed JSON, and a chosen key', async () => {
    const resolve = createSecretResolver({ secretsManager, region: 'us-east-1' });
    const plain = await secretsManager.send(new CreateSecretCommand({ Name: 'plain', SecretString: 's3cret' }));
    const managed = await secretsManager.send(new CreateSecretCommand({ Name: 'rds-managed', SecretString: JSON.stringify({ username: 'u', password: 'from-json' }) }));
    const custom = await secretsManager.send(new CreateSecretCommand({ Name: 'custom', SecretString: JSON.stringify({ repl: 'from-key' }) }));
    expect(await resolve({ secretArn: plain.ARN! }, target)).toBe('s3cret');
    expect(await resolve({ secretArn: managed.ARN! }, target)).toBe('from-json');
    expect(await resolve({ secretArn: custom.ARN!, jsonKey: 'repl' }, target)).toBe('from-key');
    const missing = await resolve({ secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:nope' }, target).catch((e: unknown) => e);
    expect((missing as ApplicationFailure).type).toBe('SecretNotFound');
    const noKey = await resolve({ secretArn: custom.ARN!, jsonKey: 'password' }, target).catch((e: unknown) => e);
    expect((noKey as ApplicationFailure).message).toMatch(/no string under the key password/);
  });

  it('signs an IAM auth token for the host, port and user with the worker credentials', async () => {
    // PostgreSQL here cannot check the token; what is checked is what RDS checks it against.
    const resolve = createSecretResolver({ secretsManager, region: 'eu-west-1', credentials: async () => TEST_CREDENTIALS });
    const token = await resolve({ iamAuth: true }, target);
    const url = new URL(`https://${token}`);
    expect(url.host).toBe(`${target.host}:${target.port}`);
    expect(url.searchParams.get('Action')).toBe('connect');
    expect(url.searchParams.get('DBUser')).toBe('pgrepuser');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^local\/\d{8}\/eu-west-1\/rds-db\/aws4_request$/);
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });
});
