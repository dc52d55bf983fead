// The worker's IAM policy (iam/worker-policy.json) against the AWS calls the activities
// make, read from their code: every call allowed, nothing allowed that is not called.
import fs from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..');

/** Each AWS action the activities' source can reach, named as IAM names it. */
function actionsInCode(): Set<string> {
  const services: Record<string, string> = { '@aws-sdk/client-rds': 'rds', '@aws-sdk/client-cloudwatch-logs': 'logs', '@aws-sdk/client-secrets-manager': 'secretsmanager' };
  // Waiters and paginators call these actions.
  const helpers: Record<string, string> = {
    waitUntilDBInstanceAvailable: 'rds:DescribeDBInstances',
    waitUntilDBInstanceDeleted: 'rds:DescribeDBInstances',
    waitUntilDBSnapshotAvailable: 'rds:DescribeDBSnapshots',
    waitUntilDBSnapshotDeleted: 'rds:DescribeDBSnapshots',
    paginateDescribeDBLogFiles: 'rds:DescribeDBLogFiles',
    paginateFilterLogEvents: 'logs:FilterLogEvents',
  };
  const actions = new Set<string>();
  const files = ['activities', 'activities/pg'].flatMap((dir) => fs.readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.ts')).map((f) => path.join(root, dir, f)));
  for (const file of files) {
    const source = fs.readFileSync(file, 'utf8');
    for (const [, names, module] of source.matchAll(/import \{([^}]*)\} from '(@aws-sdk\/[a-z-]+)'/g)) {
      for (const raw of names.split(',')) {
        const name = raw.replace(/^\s*type\s+/, '').trim();
        if (!name || !new RegExp(`\\b${name}\\(`).test(source.replace(/import \{[^}]*\}/g, ''))) continue;
        if (name.endsWith('Command') && services[module]) actions.add(`${services[module]}:${name.replace(/Command$/, '')}`);
        else if (helpers[name]) actions.add(helpers[name]);
        else if (name === 'Signer') actions.add('rds-db:connect');
      }
    }
  }
  return actions;
}

describe('iam/worker-policy.json', () => {
  it('allows exactly the AWS calls the activities make', () => {
    const policy = JSON.parse(fs.readFileSync(path.join(root, 'iam', 'worker-policy.json'), 'utf8'));
    const allowed = new Set<string>(policy.Statement.flatMap((s: { Effect: string; Action: string[] }) => (s.Effect === 'Allow' ? s.Action : [])));
    const called = actionsInCode();
    expect(called.size).toBeGreaterThan(10);
    expect([...called].sort()).toEqual([...allowed].sort());
  });
});
