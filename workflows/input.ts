// The one JSON input of blueGreenUpgrade, as pasted into the Temporal UI's start form or
// given to `bluegreen start`: checked field by field, every problem listed at once, and
// completed with defaults. Pure code: the workflow and the CLI both run it.
import type { SecretRef } from '../activities/credentials';
import { isLsn } from '../common/lsn';
import { DAYS, validTimeZone, type MaintenanceWindow } from '../common/maintenance-window';

export interface UpgradeInput {
  blue: {
    instanceId: string;
    database: string;
    /** The master (admin) user the activities connect as on BLUE, and on GREEN, which inherits it. */
    adminUser: string;
    adminPassword: SecretRef;
  };
  green: {
    instanceId: string;
    snapshotId: string;
    /** Engine versions the snapshot is upgraded to in turn; the last is GREEN's. */
    upgradePath: string[];
    instanceClass?: string;
    parameterGroup?: string;
    subnetGroup?: string;
    securityGroupIds?: string[];
    multiAZ?: boolean;
    iamAuth?: boolean;
    publiclyAccessible?: boolean;
    /** Export GREEN's postgresql log to CloudWatch Logs; the start LSN is read there if so. */
    exportLogs: boolean;
  };
  replication: {
    user: string;
    password: SecretRef;
    publication: string;
    slot: string;
    subscription: string;
  };
  /** The application's login roles (the seed's cluster_user_list), locked during cutover. */
  appUsers: string[];
  maintenance: { analyze: boolean; vacuum: 'none' | 'vacuum' | 'full' };
  /** Replication lag (bytes) under which GREEN counts as caught up, and under which cutover may begin. */
  catchUpLagBytes: number;
  /** GREEN's first "redo done at X/Y", when the operator already knows it; replication starts one byte after it. */
  redoDoneLsn?: string;
  maintenanceWindow?: MaintenanceWindow;
  rollbackWindow: { hours: number; atEnd: 'finalize' | 'keepWaiting' };
  /** What compensation does with what it made on AWS when the upgrade stops before cutover. */
  onAbort: { deleteGreen: boolean; deleteSnapshot: boolean };
  /** Minutes between lag readings while waiting for catch-up and approval. */
  pollMinutes: number;
  /** History length after which a long wait continues as new with its state. */
  historyLimit: number;
  /** How the application's connections move between BLUE and GREEN at cutover and rollback. */
  traffic: TrafficSwitch;
  /**
   * While the slot holds WAL on BLUE before cutover: warn, then abort with compensation (which
   * drops the slot and frees the WAL) before BLUE's disk fills. Bytes retained by the slot,
   * and BLUE's free storage estimated from its allocated storage less its databases and WAL.
   */
  walGuard: { warnRetainedBytes?: number; abortRetainedBytes?: number; warnFreeStoragePercent: number; abortFreeStoragePercent: number };
}

/**
 * none: the application finds the serving side by itself (status.serving says which);
 * manual: the upgrade waits for the trafficSwitched signal after each switch;
 * command: a hook in the worker's BLUEGREEN_HOOKS_DIR moves traffic;
 * pgbouncer: PgBouncer's pools pause during the switch and resume on the new side.
 */
export type TrafficSwitch =
  | { strategy: 'none' }
  | { strategy: 'manual' }
  | { strategy: 'command'; hook: string; timeoutSeconds: number }
  | { strategy: 'pgbouncer'; pgbouncer: { host: string; port: number; user: string; password: SecretRef; databases: string[] } };

export class InputErrors extends Error {
  constructor(readonly problems: string[]) {
    super(`The upgrade input has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n- ${problems.join('\n- ')}`);
    this.name = 'InputErrors';
  }
}

const RDS_ID = /^(?=.{1,63}$)[a-zA-Z][a-zA-Z0-9]*(-[a-zA-Z0-9]+)*$/;
const SLOT = /^[a-z0-9_]{1,63}$/;
const VERSION = /^\d+(\.\d+)*$/;
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

type Raw = Record<string, unknown>;

/** Checks raw input; returns the completed input or throws InputErrors naming every bad field. */
export function validateInput(raw: unknown): UpgradeInput {
  const problems: string[] = [];
  const obj = (value: unknown, field: string, optional = false): Raw => {
    if (value === undefined && optional) return {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push(`${field}: must be an object`);
      return {};
    }
    return value as Raw;
  };
  const unknownKeys = (value: Raw, field: string, known: string[]) => {
    for (const key of Object.keys(value)) if (!known.includes(key)) problems.push(`${field}.${key}: is not a known field (known: ${known.join(', ')})`);
  };
  const str = (value: unknown, field: string, pattern?: RegExp, hint?: string): string => {
    if (typeof value !== 'string' || value.trim() === '') {
      problems.push(`${field}: must be a non-empty string`);
      return '';
    }
    if (pattern && !pattern.test(value)) problems.push(`${field}: ${JSON.stringify(value)} ${hint ?? 'is not valid'}`);
    return value;
  };
  const optStr = (value: unknown, field: string, pattern?: RegExp, hint?: string) => (value === undefined ? undefined : str(value, field, pattern, hint));
  const bool = (value: unknown, field: string, fallback: boolean): boolean => {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') problems.push(`${field}: must be true or false`);
    return value === true;
  };
  const optBool = (value: unknown, field: string) => (value === undefined ? undefined : bool(value, field, false));
  const num = (value: unknown, field: string, fallback: number, min: number, max: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      problems.push(`${field}: must be a number from ${min} to ${max}`);
      return fallback;
    }
    return value;
  };
  const strList = (value: unknown, field: string, pattern?: RegExp, hint?: string): string[] => {
    if (!Array.isArray(value)) {
      problems.push(`${field}: must be a list of strings`);
      return [];
    }
    return value.map((v, i) => str(v, `${field}[${i}]`, pattern, hint));
  };
  const secret = (value: unknown, field: string): SecretRef => {
    if (typeof value === 'string') {
      problems.push(`${field}: must be a reference, not a password: {"env": "VARIABLE"}, {"secretArn": "arn:..."} or {"iamAuth": true}`);
      return { env: '' };
    }
    const ref = obj(value, field);
    const keys = Object.keys(ref);
    if (keys.length === 1 && keys[0] === 'env') return { env: str(ref.env, `${field}.env`, /^[A-Za-z_][A-Za-z0-9_]*$/, 'is not an environment variable name') };
    if (keys.includes('secretArn') && keys.every((k) => k === 'secretArn' || k === 'jsonKey')) {
      return { secretArn: str(ref.secretArn, `${field}.secretArn`, /^arn:aws[a-z-]*:secretsmanager:/, 'is not a Secrets Manager ARN'), jsonKey: optStr(ref.jsonKey, `${field}.jsonKey`) };
    }
    if (ref.iamAuth === true && keys.every((k) => k === 'iamAuth' || k === 'region')) return { iamAuth: true, region: optStr(ref.region, `${field}.region`) };
    if (keys.length > 0 || typeof value === 'object') problems.push(`${field}: must be {"env": "VARIABLE"}, {"secretArn": "arn:...", "jsonKey"?: "key"} or {"iamAuth": true}`);
    return { env: '' };
  };
  const roleName = /^[^\0]{1,63}$/;

  function trafficSwitch(t: Raw, database: string): TrafficSwitch {
    const strategy = (t.strategy ?? 'none') as string;
    switch (strategy) {
      case 'none':
      case 'manual':
        unknownKeys(t, 'traffic', ['strategy']);
        return { strategy: strategy as 'none' | 'manual' };
      case 'command':
        unknownKeys(t, 'traffic', ['strategy', 'hook', 'timeoutSeconds']);
        return {
          strategy: 'command',
          hook: str(t.hook, 'traffic.hook', /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/, "must be the file name of a hook in the worker's BLUEGREEN_HOOKS_DIR (letters, digits, . _ -)"),
          timeoutSeconds: num(t.timeoutSeconds, 'traffic.timeoutSeconds', 30, 1, 600),
        };
      case 'pgbouncer':
        unknownKeys(t, 'traffic', ['strategy', 'host', 'port', 'adminUser', 'adminPassword', 'databases']);
        return {
          strategy: 'pgbouncer',
          pgbouncer: {
            host: str(t.host, 'traffic.host', /^[A-Za-z0-9.:_-]{1,253}$/, 'is not a host name or address'),
            port: num(t.port, 'traffic.port', 6432, 1, 65535),
            user: str(t.adminUser ?? 'pgbouncer', 'traffic.adminUser', roleName, 'is too long'),
            password: secret(t.adminPassword, 'traffic.adminPassword'),
            databases: strList(t.databases ?? [database], 'traffic.databases', /^[A-Za-z0-9_.-]{1,63}$/, 'must be a PgBouncer database name of letters, digits, _ . or -'),
          },
        };
      default:
        problems.push(`traffic.strategy: ${JSON.stringify(strategy)} must be "none", "manual", "command" or "pgbouncer"`);
        return { strategy: 'none' };
    }
  }

  const root = obj(raw, 'input');
  unknownKeys(root, 'input', ['blue', 'green', 'replication', 'appUsers', 'maintenance', 'catchUpLagBytes', 'redoDoneLsn', 'maintenanceWindow', 'rollbackWindow', 'onAbort', 'pollMinutes', 'historyLimit', 'traffic', 'walGuard']);

  const b = obj(root.blue, 'blue');
  unknownKeys(b, 'blue', ['instanceId', 'database', 'adminUser', 'adminPassword']);
  const rdsIdHint = 'must be 1 to 63 letters, digits or hyphens, start with a letter, and have no two hyphens in a row or one at the end';
  const blue = {
    instanceId: str(b.instanceId, 'blue.instanceId', RDS_ID, rdsIdHint).toLowerCase(),
    database: str(b.database ?? 'postgres', 'blue.database', roleName, 'is too long'),
    adminUser: str(b.adminUser, 'blue.adminUser', roleName, 'is too long'),
    adminPassword: secret(b.adminPassword, 'blue.adminPassword'),
  };

  const g = obj(root.green, 'green');
  unknownKeys(g, 'green', ['instanceId', 'snapshotId', 'upgradePath', 'instanceClass', 'parameterGroup', 'subnetGroup', 'securityGroupIds', 'multiAZ', 'iamAuth', 'publiclyAccessible', 'exportLogs']);
  const greenId = str(g.instanceId, 'green.instanceId', RDS_ID, rdsIdHint).toLowerCase();
  const green = {
    instanceId: greenId,
    snapshotId: greenId || g.snapshotId !== undefined ? str(g.snapshotId ?? `${greenId}-snapshot`, 'green.snapshotId', RDS_ID, rdsIdHint).toLowerCase() : '',
    upgradePath: strList(g.upgradePath, 'green.upgradePath', VERSION, 'is not an engine version like 17 or 17.4'),
    instanceClass: optStr(g.instanceClass, 'green.instanceClass', /^db\.[a-z0-9]+\.[a-z0-9]+$/, 'is not an instance class like db.r6g.large'),
    parameterGroup: optStr(g.parameterGroup, 'green.parameterGroup', /^[a-zA-Z][a-zA-Z0-9.-]{0,254}$/, 'is not a parameter group name'),
    subnetGroup: optStr(g.subnetGroup, 'green.subnetGroup'),
    securityGroupIds: g.securityGroupIds === undefined ? undefined : strList(g.securityGroupIds, 'green.securityGroupIds', /^sg-[0-9a-zA-Z]+$/, 'is not a security group id like sg-0abc'),
    multiAZ: optBool(g.multiAZ, 'green.multiAZ'),
    iamAuth: optBool(g.iamAuth, 'green.iamAuth'),
    publiclyAccessible: optBool(g.publiclyAccessible, 'green.publiclyAccessible'),
    exportLogs: bool(g.exportLogs, 'green.exportLogs', true),
  };
  if (Array.isArray(g.upgradePath) && green.upgradePath.length === 0) problems.push('green.upgradePath: must name at least the target engine version');
  const majors = green.upgradePath.map((v) => Number(v.split('.')[0]));
  if (majors.some((m, i) => i > 0 && m < majors[i - 1])) problems.push('green.upgradePath: versions must not go down');
  if (blue.instanceId && blue.instanceId === green.instanceId) problems.push('green.instanceId: must differ from blue.instanceId, or the upgrade would restore over BLUE');

  const r = obj(root.replication, 'replication', true);
  unknownKeys(r, 'replication', ['user', 'password', 'publication', 'slot', 'subscription']);
  const replication = {
    user: str(r.user ?? 'pgrepuser', 'replication.user', roleName, 'is too long'),
    password: secret(r.password, 'replication.password'),
    publication: str(r.publication ?? 'bluegreen_publication', 'replication.publication', roleName, 'is too long'),
    slot: str(r.slot ?? 'bluegreen_slot', 'replication.slot', SLOT, 'may contain only lower-case letters, digits and underscores (at most 63), as PostgreSQL requires of slot names'),
    subscription: str(r.subscription ?? 'bluegreen_subscription', 'replication.subscription', roleName, 'is too long'),
  };

  const appUsers = strList(root.appUsers ?? [], 'appUsers', roleName, 'is not a role name');
  appUsers.forEach((user, i) => {
    if (/^(rds|pg_)/i.test(user)) problems.push(`appUsers[${i}]: ${JSON.stringify(user)} is a system role; list the application's own login roles`);
    if (user === blue.adminUser) problems.push(`appUsers[${i}]: ${JSON.stringify(user)} is the admin user the upgrade connects as; it cannot be locked`);
    if (user === replication.user) problems.push(`appUsers[${i}]: ${JSON.stringify(user)} is the replication user; it cannot be locked`);
  });
  if (new Set(appUsers).size !== appUsers.length) problems.push('appUsers: lists a role twice');

  const m = obj(root.maintenance, 'maintenance', true);
  unknownKeys(m, 'maintenance', ['analyze', 'vacuum']);
  const vacuum = m.vacuum ?? 'none';
  if (vacuum !== 'none' && vacuum !== 'vacuum' && vacuum !== 'full') problems.push('maintenance.vacuum: must be "none", "vacuum" or "full"');

  let maintenanceWindow: MaintenanceWindow | undefined;
  if (root.maintenanceWindow !== undefined) {
    const w = obj(root.maintenanceWindow, 'maintenanceWindow');
    unknownKeys(w, 'maintenanceWindow', ['timeZone', 'days', 'start', 'end']);
    maintenanceWindow = {
      timeZone: str(w.timeZone, 'maintenanceWindow.timeZone'),
      days: strList(w.days, 'maintenanceWindow.days').map((d) => d.toLowerCase()),
      start: str(w.start, 'maintenanceWindow.start', HHMM, 'must be HH:MM'),
      end: str(w.end, 'maintenanceWindow.end', HHMM, 'must be HH:MM'),
    };
    maintenanceWindow.days.forEach((d, i) => {
      if (!DAYS.includes(d)) problems.push(`maintenanceWindow.days[${i}]: ${JSON.stringify(d)} is not one of ${DAYS.join(', ')}`);
    });
    if (maintenanceWindow.timeZone && !validTimeZone(maintenanceWindow.timeZone)) problems.push(`maintenanceWindow.timeZone: ${JSON.stringify(maintenanceWindow.timeZone)} is not an IANA time zone like Europe/Berlin`);
    if (maintenanceWindow.start && maintenanceWindow.start === maintenanceWindow.end) problems.push('maintenanceWindow.end: must differ from start');
  }

  const rw = obj(root.rollbackWindow, 'rollbackWindow', true);
  unknownKeys(rw, 'rollbackWindow', ['hours', 'atEnd']);
  const atEnd = rw.atEnd ?? 'keepWaiting';
  if (atEnd !== 'finalize' && atEnd !== 'keepWaiting') problems.push('rollbackWindow.atEnd: must be "finalize" or "keepWaiting"');

  const oa = obj(root.onAbort, 'onAbort', true);
  unknownKeys(oa, 'onAbort', ['deleteGreen', 'deleteSnapshot']);

  const redoDoneLsn = optStr(root.redoDoneLsn, 'redoDoneLsn');
  if (redoDoneLsn && !isLsn(redoDoneLsn)) problems.push(`redoDoneLsn: ${JSON.stringify(redoDoneLsn)} is not an LSN like 0/200DC60`);

  const traffic = trafficSwitch(obj(root.traffic, 'traffic', true), blue.database);

  const wg = obj(root.walGuard, 'walGuard', true);
  unknownKeys(wg, 'walGuard', ['warnRetainedBytes', 'abortRetainedBytes', 'warnFreeStoragePercent', 'abortFreeStoragePercent']);
  const optNum = (value: unknown, field: string, min: number, max: number) => (value === undefined ? undefined : num(value, field, 0, min, max));
  const walGuard = {
    warnRetainedBytes: optNum(wg.warnRetainedBytes, 'walGuard.warnRetainedBytes', 1024 * 1024, 1024 ** 5),
    abortRetainedBytes: optNum(wg.abortRetainedBytes, 'walGuard.abortRetainedBytes', 1024 * 1024, 1024 ** 5),
    warnFreeStoragePercent: num(wg.warnFreeStoragePercent, 'walGuard.warnFreeStoragePercent', 20, 0, 100),
    abortFreeStoragePercent: num(wg.abortFreeStoragePercent, 'walGuard.abortFreeStoragePercent', 10, 0, 100),
  };
  if (walGuard.warnRetainedBytes !== undefined && walGuard.abortRetainedBytes !== undefined && walGuard.warnRetainedBytes > walGuard.abortRetainedBytes) {
    problems.push('walGuard.warnRetainedBytes: must not be above abortRetainedBytes (the warning comes first)');
  }
  if (walGuard.abortFreeStoragePercent > walGuard.warnFreeStoragePercent) {
    problems.push('walGuard.abortFreeStoragePercent: must not be above warnFreeStoragePercent (the warning comes first)');
  }

  const input: UpgradeInput = {
    blue,
    green,
    replication,
    appUsers,
    maintenance: { analyze: bool(m.analyze, 'maintenance.analyze', true), vacuum: vacuum as UpgradeInput['maintenance']['vacuum'] },
    catchUpLagBytes: num(root.catchUpLagBytes, 'catchUpLagBytes', 16 * 1024 * 1024, 0, 1024 ** 4),
    redoDoneLsn: redoDoneLsn?.toUpperCase(),
    maintenanceWindow,
    rollbackWindow: { hours: num(rw.hours, 'rollbackWindow.hours', 72, 0, 24 * 90), atEnd: atEnd as UpgradeInput['rollbackWindow']['atEnd'] },
    onAbort: { deleteGreen: bool(oa.deleteGreen, 'onAbort.deleteGreen', true), deleteSnapshot: bool(oa.deleteSnapshot, 'onAbort.deleteSnapshot', true) },
    pollMinutes: num(root.pollMinutes, 'pollMinutes', 5, 0.001, 24 * 60),
    historyLimit: num(root.historyLimit, 'historyLimit', 2_000, 100, 40_000),
    traffic,
    walGuard,
  };
  if (problems.length > 0) throw new InputErrors(problems);
  return input;
}

