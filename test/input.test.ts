// The upgrade input: defaults filled in, and malformed or hostile input refused with every
// bad field named, before anything starts.
import { InputErrors, validateInput } from '../workflows/input';

const valid = () => ({
  blue: { instanceId: 'orders', database: 'app', adminUser: 'master', adminPassword: { env: 'BLUE_PASSWORD' } },
  green: { instanceId: 'orders-green', upgradePath: ['17.4'] },
  replication: { password: { secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:repl-AbCdEf' } },
  appUsers: ['app_rw', 'Reporting User', 'x"; DROP TABLE t; --'],
});

function problems(mutate: (input: Record<string, any>) => void): string[] {
  const input: Record<string, any> = valid();
  mutate(input);
  try {
    validateInput(input);
  } catch (err) {
    if (err instanceof InputErrors) return err.problems;
    throw err;
  }
  return [];
}

describe('validateInput', () => {
  it('completes a minimal input with the defaults', () => {
    const input = validateInput(valid());
    expect(input.green).toMatchObject({ snapshotId: 'orders-green-snapshot', exportLogs: true });
    expect(input.replication).toMatchObject({ user: 'pgrepuser', publication: 'bluegreen_publication', slot: 'bluegreen_slot', subscription: 'bluegreen_subscription' });
    expect(input.rollbackWindow).toEqual({ hours: 72, atEnd: 'keepWaiting' });
    expect(input.onAbort).toEqual({ deleteGreen: true, deleteSnapshot: true });
    // Role names of any spelling are data, quoted where they are used; they pass as they are.
    expect(input.appUsers).toEqual(['app_rw', 'Reporting User', 'x"; DROP TABLE t; --']);
  });

  const cases: Array<[string, (i: Record<string, any>) => void, RegExp]> = [
    ['not an object', (i) => Object.keys(i).forEach((k) => delete i[k]), /blue: must be an object/],
    ['WAL guard warning above its abort', (i) => (i.walGuard = { warnRetainedBytes: 2 * 1024 ** 3, abortRetainedBytes: 1024 ** 3 }), /walGuard.warnRetainedBytes: must not be above abortRetainedBytes/],
    ['WAL guard percent out of range', (i) => (i.walGuard = { abortFreeStoragePercent: -5 }), /walGuard.abortFreeStoragePercent: must be a number from 0 to 100/],
    ['WAL guard bytes as text', (i) => (i.walGuard = { abortRetainedBytes: '10GB' }), /walGuard.abortRetainedBytes: must be a number/],
    ['unknown traffic strategy', (i) => (i.traffic = { strategy: 'dns' }), /traffic.strategy: "dns" must be "none", "manual", "command" or "pgbouncer"/],
    ['traffic hook as a path out of the hooks directory', (i) => (i.traffic = { strategy: 'command', hook: '../../bin/sh' }), /traffic.hook: "..\/..\/bin\/sh" must be the file name of a hook/],
    ['traffic hook as a shell command', (i) => (i.traffic = { strategy: 'command', hook: 'switch; rm -rf /' }), /traffic.hook/],
    ['PgBouncer admin password in clear', (i) => (i.traffic = { strategy: 'pgbouncer', host: 'pgbouncer', adminPassword: 'hunter2' }), /traffic.adminPassword: must be a reference, not a password/],
    ['PgBouncer database with an admin command', (i) => (i.traffic = { strategy: 'pgbouncer', host: 'pgbouncer', adminPassword: { env: 'P' }, databases: ['app; SHUTDOWN'] }), /traffic.databases\[0\]: .* must be a PgBouncer database name/],
    ['PgBouncer port out of range', (i) => (i.traffic = { strategy: 'pgbouncer', host: 'pgbouncer', port: 70000, adminPassword: { env: 'P' } }), /traffic.port: must be a number from 1 to 65535/],
    ['unknown top-level field', (i) => (i.cutoverNow = true), /input.cutoverNow: is not a known field/],
    ['unknown nested field', (i) => (i.blue.password = 'x'), /blue.password: is not a known field/],
    ['instance id with a quote', (i) => (i.blue.instanceId = "orders'--"), /blue.instanceId: .* must be 1 to 63 letters/],
    ['instance id with a space', (i) => (i.green.instanceId = 'orders green'), /green.instanceId/],
    ['instance id with two hyphens', (i) => (i.green.instanceId = 'orders--green'), /green.instanceId/],
    ['instance id ending in a hyphen', (i) => (i.green.instanceId = 'orders-'), /green.instanceId/],
    ['instance id too long', (i) => (i.green.instanceId = `a${'b'.repeat(63)}`), /green.instanceId/],
    ['instance id not a string', (i) => (i.blue.instanceId = 42), /blue.instanceId: must be a non-empty string/],
    ['same id for BLUE and GREEN', (i) => (i.green.instanceId = 'ORDERS'), /green.instanceId: must differ from blue.instanceId/],
    ['snapshot id with a slash', (i) => (i.green.snapshotId = 'snap/1'), /green.snapshotId/],
    ['a plain password', (i) => (i.blue.adminPassword = 'hunter2'), /blue.adminPassword: must be a reference, not a password/],
    ['an unknown reference kind', (i) => (i.replication.password = { vault: 'x' }), /replication.password: must be/],
    ['an env reference that is no variable name', (i) => (i.blue.adminPassword = { env: 'A-B C' }), /blue.adminPassword.env/],
    ['a secret that is no Secrets Manager ARN', (i) => (i.replication.password = { secretArn: 'arn:aws:s3:::bucket' }), /replication.password.secretArn/],
    ['iamAuth not true', (i) => (i.blue.adminPassword = { iamAuth: 'yes' }), /blue.adminPassword: must be/],
    ['an empty upgrade path', (i) => (i.green.upgradePath = []), /green.upgradePath: must name at least the target/],
    ['an upgrade path that is a string', (i) => (i.green.upgradePath = '17'), /green.upgradePath: must be a list/],
    ['an unknown version', (i) => (i.green.upgradePath = ['seventeen']), /green.upgradePath\[0\]: "seventeen" is not an engine version/],
    ['a downgrade inside the path', (i) => (i.green.upgradePath = ['17.4', '16.8']), /green.upgradePath: versions must not go down/],
    ['an injected slot name', (i) => (i.replication.slot = "s'); drop table x; --"), /replication.slot: .* lower-case letters, digits and underscores/],
    ['an upper-case slot name', (i) => (i.replication.slot = 'Slot'), /replication.slot/],
    ['a system role among the users', (i) => (i.appUsers = ['rds_superuser']), /appUsers\[0\]: "rds_superuser" is a system role/],
    ['a pg_ role among the users', (i) => (i.appUsers = ['pg_monitor']), /appUsers\[0\]: "pg_monitor" is a system role/],
    ['the admin user among the users', (i) => (i.appUsers = ['master']), /appUsers\[0\]: "master" is the admin user/],
    ['the replication user among the users', (i) => (i.appUsers = ['pgrepuser']), /appUsers\[0\]: "pgrepuser" is the replication user/],
    ['a user listed twice', (i) => (i.appUsers = ['a', 'a']), /appUsers: lists a role twice/],
    ['a user that is not a string', (i) => (i.appUsers = [{ name: 'a' }]), /appUsers\[0\]: must be a non-empty string/],
    ['a role name with a NUL byte', (i) => (i.appUsers = ['a\u0000b']), /appUsers\[0\]/],
    ['vacuum of an unknown kind', (i) => (i.maintenance = { vacuum: 'analyze; drop' }), /maintenance.vacuum: must be "none", "vacuum" or "full"/],
    ['a negative lag threshold', (i) => (i.catchUpLagBytes = -1), /catchUpLagBytes: must be a number from 0/],
    ['a lag threshold as a string', (i) => (i.catchUpLagBytes = '10MB'), /catchUpLagBytes: must be a number/],
    ['a redo LSN that is no LSN', (i) => (i.redoDoneLsn = '0/XYZ'), /redoDoneLsn: "0\/XYZ" is not an LSN/],
    ['an unknown time zone', (i) => (i.maintenanceWindow = { timeZone: 'Mars/Olympus', days: ['sat'], start: '02:00', end: '04:00' }), /maintenanceWindow.timeZone/],
    ['an unknown day', (i) => (i.maintenanceWindow = { timeZone: 'UTC', days: ['someday'], start: '02:00', end: '04:00' }), /maintenanceWindow.days\[0\]/],
    ['a window time that is no time', (i) => (i.maintenanceWindow = { timeZone: 'UTC', days: ['sat'], start: '25:00', end: '04:00' }), /maintenanceWindow.start: "25:00" must be HH:MM/],
    ['an empty window', (i) => (i.maintenanceWindow = { timeZone: 'UTC', days: ['sat'], start: '02:00', end: '02:00' }), /maintenanceWindow.end: must differ from start/],
    ['a rollback window end of an unknown kind', (i) => (i.rollbackWindow = { hours: 1, atEnd: 'rollback' }), /rollbackWindow.atEnd/],
    ['a boolean that is a string', (i) => (i.green.multiAZ = 'true'), /green.multiAZ: must be true or false/],
    ['a security group that is no id', (i) => (i.green.securityGroupIds = ['default']), /green.securityGroupIds\[0\]/],
    ['an instance class that is no class', (i) => (i.green.instanceClass = 'large'), /green.instanceClass/],
  ];

  it.each(cases)('refuses %s, naming the field', (_name, mutate, expected) => {
    const found = problems(mutate);
    expect(found.join('\n')).toMatch(expected);
  });

  it('lists every problem at once', () => {
    const found = problems((i) => {
      i.blue.instanceId = 'bad id';
      i.green.upgradePath = [];
      i.replication.slot = 'BAD';
      i.appUsers = ['rdsadmin'];
    });
    expect(found).toHaveLength(4);
  });
});
