// The RDS API's AWS query protocol: form-encoded requests in, XML responses out, errors
// as <ErrorResponse> with the codes the SDK maps to its typed exceptions.
import crypto from 'node:crypto';
import { engineVersions, resolveEngineVersion, upgradeTargets, type EngineVersion } from './engine-versions';
import { invalidValue, RdsApiError } from './errors';
import { downloadPortion, listLogFiles } from './log-files';
import type { LocalRds } from './service';
import type { InstanceRecord, SnapshotRecord } from './state';

type Params = Record<string, unknown>;
type Handler = (rds: LocalRds, params: Params) => Record<string, unknown>;

const XMLNS = 'http://rds.amazonaws.com/doc/2014-10-31/';
const ACCOUNT = '000000000000';

// The element that wraps each item of a list, from the RDS API model; "member" otherwise.
const LIST_MEMBERS: Record<string, string> = {
  DBInstances: 'DBInstance',
  DBSnapshots: 'DBSnapshot',
  DBEngineVersions: 'DBEngineVersion',
  ValidUpgradeTarget: 'UpgradeTarget',
  DescribeDBLogFiles: 'DescribeDBLogFilesDetails',
  VpcSecurityGroups: 'VpcSecurityGroupMembership',
  DBParameterGroups: 'DBParameterGroup',
  Parameters: 'Parameter',
};

const ACTIONS: Record<string, Handler> = {
  CreateDBInstance: (rds, p) => ({
    DBInstance: instanceShape(
      rds,
      rds.createInstance({
        id: required(p, 'DBInstanceIdentifier'),
        engine: required(p, 'Engine'),
        engineVersion: optional(p, 'EngineVersion'),
        masterUsername: required(p, 'MasterUsername'),
        masterUserPassword: required(p, 'MasterUserPassword'),
        dbName: optional(p, 'DBName'),
        port: integer(p, 'Port'),
        allocatedStorage: integer(p, 'AllocatedStorage'),
        ...optionParams(p),
      }),
    ),
  }),
  DescribeDBInstances: (rds, p) => {
    const filterIds = filterValues(p, 'db-instance-id');
    const id = optional(p, 'DBInstanceIdentifier');
    const all = rds.describeInstances(id).filter((i) => !filterIds || filterIds.includes(i.id));
    const page = paginate(all, p);
    return { DBInstances: page.items.map((i) => instanceShape(rds, i)), Marker: page.marker };
  },
  DeleteDBInstance: (rds, p) => ({
    DBInstance: instanceShape(
      rds,
      rds.deleteInstance(required(p, 'DBInstanceIdentifier'), boolean(p, 'SkipFinalSnapshot') ?? false, optional(p, 'FinalDBSnapshotIdentifier')),
    ),
  }),
  CreateDBSnapshot: (rds, p) => ({
    DBSnapshot: snapshotShape(rds, rds.createSnapshot(required(p, 'DBInstanceIdentifier'), required(p, 'DBSnapshotIdentifier'))),
  }),
  DescribeDBSnapshots: (rds, p) => {
    const all = rds.describeSnapshots({ snapshotId: optional(p, 'DBSnapshotIdentifier'), instanceId: optional(p, 'DBInstanceIdentifier') });
    const page = paginate(all, p);
    return { DBSnapshots: page.items.map((s) => snapshotShape(rds, s)), Marker: page.marker };
  },
  ModifyDBSnapshot: (rds, p) => ({
    DBSnapshot: snapshotShape(rds, rds.modifySnapshot(required(p, 'DBSnapshotIdentifier'), optional(p, 'EngineVersion'))),
  }),
  DeleteDBSnapshot: (rds, p) => ({
    DBSnapshot: snapshotShape(rds, rds.deleteSnapshot(required(p, 'DBSnapshotIdentifier'))),
  }),
  RestoreDBInstanceFromDBSnapshot: (rds, p) => ({
    DBInstance: instanceShape(
      rds,
      rds.restoreInstance({
        id: required(p, 'DBInstanceIdentifier'),
        snapshotId: required(p, 'DBSnapshotIdentifier'),
        port: integer(p, 'Port'),
        allocatedStorage: integer(p, 'AllocatedStorage'),
        ...optionParams(p),
      }),
    ),
  }),
  DescribeDBEngineVersions: (_rds, p) => {
    const engine = optional(p, 'Engine');
    const requested = optional(p, 'EngineVersion');
    const family = optional(p, 'DBParameterGroupFamily');
    const versions = engine !== undefined && engine !== 'postgres'
      ? []
      : engineVersions().filter(
          (v) => (requested === undefined || v.version === requested || String(v.major) === requested) && (family === undefined || family === `postgres${v.major}`),
        );
    const page = paginate(versions, p);
    return { DBEngineVersions: page.items.map(engineVersionShape), Marker: page.marker };
  },
  DescribeDBParameters: (rds, p) => {
    const name = required(p, 'DBParameterGroupName');
    if (!rds.parameterGroupExists(name)) {
      throw new RdsApiError('DBParameterGroupNotFound', `DBParameterGroup not found: ${name}`, 404);
    }
    const page = paginate(PARAMETERS, p);
    return { Parameters: page.items, Marker: page.marker };
  },
  DescribeDBLogFiles: (rds, p) => {
    const id = required(p, 'DBInstanceIdentifier');
    rds.instance(id);
    const contains = optional(p, 'FilenameContains');
    const writtenAfter = integer(p, 'FileLastWritten') ?? 0;
    const minSize = integer(p, 'FileSize') ?? 0;
    const files = listLogFiles(rds.logDir(id.toLowerCase())).filter(
      (f) => (contains === undefined || f.name.includes(contains)) && f.lastWritten >= writtenAfter && f.size >= minSize,
    );
    const page = paginate(files, p);
    return {
      DescribeDBLogFiles: page.items.map((f) => ({ LogFileName: f.name, LastWritten: Math.floor(f.lastWritten), Size: f.size })),
      Marker: page.marker,
    };
  },
  DownloadDBLogFilePortion: (rds, p) => {
    const id = required(p, 'DBInstanceIdentifier');
    rds.instance(id);
    const name = required(p, 'LogFileName');
    const portion = downloadPortion(rds.logDir(id.toLowerCase()), name, optional(p, 'Marker'), integer(p, 'NumberOfLines'));
    if (!portion) throw new RdsApiError('DBLogFileNotFoundFault', `DBLog File: ${name}, is not found on the DB instance ${id}.`, 404);
    return { LogFileData: portion.logFileData, Marker: portion.marker, AdditionalDataPending: portion.additionalDataPending };
  },
};

// What a parameter group of this service holds: logical replication is on, as the seed needs.
const PARAMETERS = [
  { ParameterName: 'max_logical_replication_workers', ParameterValue: '8', Source: 'system', ApplyType: 'static', DataType: 'integer', IsModifiable: true },
  { ParameterName: 'max_replication_slots', ParameterValue: '20', Source: 'system', ApplyType: 'static', DataType: 'integer', IsModifiable: true },
  { ParameterName: 'max_wal_senders', ParameterValue: '20', Source: 'system', ApplyType: 'static', DataType: 'integer', IsModifiable: true },
  { ParameterName: 'rds.logical_replication', ParameterValue: '1', Source: 'user', ApplyType: 'static', DataType: 'boolean', IsModifiable: true },
];

export interface QueryResponse {
  status: number;
  body: string;
}

export function handleRdsQuery(rds: LocalRds, body: string): QueryResponse {
  const requestId = crypto.randomUUID();
  try {
    const params = parseQuery(body);
    const action = params.Action;
    if (typeof action !== 'string' || action === '') throw new RdsApiError('MissingAction', 'The request must contain the parameter Action.');
    const handler = ACTIONS[action];
    if (!handler) throw new RdsApiError('InvalidAction', `The action ${action} is not valid for this web service (the local RDS serves ${Object.keys(ACTIONS).join(', ')}).`);
    const result = handler(rds, params);
    return {
      status: 200,
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${XMLNS}"><${action}Result>${toXml(result)}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
    };
  } catch (err) {
    const error = err instanceof RdsApiError ? err : new RdsApiError('InternalFailure', (err as Error).message, 500);
    if (!(err instanceof RdsApiError)) console.error('local-rds: internal error', err);
    return {
      status: error.httpStatus,
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${XMLNS}"><Error><Type>${error.httpStatus >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
    };
  }
}

// Request parsing. "Name.Member.N" is item N of the list Name: the member element's name
// carries no meaning here, so it is dropped.

const SEGMENT = /^(?:[A-Za-z][A-Za-z0-9]*|[1-9][0-9]{0,2})$/;

export function parseQuery(body: string): Params {
  const root: Params = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const parts = key.split('.');
    if (!parts.every((part) => SEGMENT.test(part))) throw new RdsApiError('MalformedQueryString', `The parameter name ${JSON.stringify(key)} is malformed.`);
    let node: Params = root;
    for (let i = 0; i < parts.length; i += 1) {
      const part = parts[i];
      if (/^\d+$/.test(part)) throw new RdsApiError('MalformedQueryString', `The parameter name ${JSON.stringify(key)} is malformed.`);
      const isList = i + 2 < parts.length && /^\d+$/.test(parts[i + 2]);
      if (isList) {
        const list = (Array.isArray(node[part]) ? node[part] : (node[part] = [])) as unknown[];
        const index = Number(parts[i + 2]) - 1;
        if (i + 3 === parts.length) {
          list[index] = value;
          break;
        }
        node = (list[index] ??= {}) as Params;
        i += 2;
      } else if (i === parts.length - 1) {
        node[part] = value;
      } else {
        node = (typeof node[part] === 'object' && node[part] !== null ? node[part] : (node[part] = {})) as Params;
      }
    }
  }
  return root;
}

function optional(p: Params, name: string): string | undefined {
  const value = p[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidValue(`${name} must be a single value.`);
  return value;
}

function required(p: Params, name: string): string {
  const value = optional(p, name);
  if (value === undefined || value === '') throw new RdsApiError('MissingParameter', `The request must contain the parameter ${name}.`);
  return value;
}

function integer(p: Params, name: string): number | undefined {
  const value = optional(p, name);
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw invalidValue(`${name} must be an integer, not ${JSON.stringify(value)}.`);
  return Number(value);
}

function boolean(p: Params, name: string): boolean | undefined {
  const value = optional(p, name);
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw invalidValue(`${name} must be true or false, not ${JSON.stringify(value)}.`);
  return value === 'true';
}

function stringList(p: Params, name: string): string[] | undefined {
  const value = p[name];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw invalidValue(`${name} must be a list of strings.`);
  return value as string[];
}

function filterValues(p: Params, filterName: string): string[] | undefined {
  const filters = p.Filters;
  if (filters === undefined) return undefined;
  if (!Array.isArray(filters)) throw invalidValue('Filters must be a list.');
  const filter = (filters as Params[]).find((f) => f?.Name === filterName);
  for (const f of filters as Params[]) {
    if (f?.Name !== filterName) throw invalidValue(`Unrecognized filter name: ${String(f?.Name)}. The local RDS filters by ${filterName} only.`);
  }
  return filter ? (stringList(filter, 'Values') ?? []).map((v) => v.toLowerCase()) : undefined;
}

// The instance options of the seed's restore and of CreateDBInstance, recorded as given.
function optionParams(p: Params) {
  const group = optional(p, 'DBParameterGroupName');
  if (group !== undefined && !/^[a-zA-Z][a-zA-Z0-9.-]{0,254}$/.test(group)) {
    throw invalidValue(`DBParameterGroupName ${JSON.stringify(group)} is not valid: use letters, digits, hyphens and dots, starting with a letter.`);
  }
  return {
    dbInstanceClass: optional(p, 'DBInstanceClass'),
    dbParameterGroupName: group,
    dbSubnetGroupName: optional(p, 'DBSubnetGroupName'),
    vpcSecurityGroupIds: stringList(p, 'VpcSecurityGroupIds'),
    multiAZ: boolean(p, 'MultiAZ'),
    iamDatabaseAuthenticationEnabled: boolean(p, 'EnableIAMDatabaseAuthentication'),
    publiclyAccessible: boolean(p, 'PubliclyAccessible'),
    enabledCloudwatchLogsExports: stringList(p, 'EnableCloudwatchLogsExports'),
  };
}

// Markers are opaque to callers: here, the index of the next item.
function paginate<T>(items: T[], p: Params): { items: T[]; marker?: string } {
  const max = integer(p, 'MaxRecords') ?? 100;
  if (max < 20 || max > 100) throw invalidValue(`MaxRecords must be from 20 to 100, not ${max}.`);
  const marker = optional(p, 'Marker');
  let start = 0;
  if (marker !== undefined) {
    start = Number(Buffer.from(marker, 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) throw invalidValue(`Marker ${marker} was not returned by this API.`);
  }
  const end = start + max;
  return { items: items.slice(start, end), marker: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined };
}

// Response shapes, named as the RDS API names them.

function instanceShape(rds: LocalRds, i: InstanceRecord) {
  return {
    DBInstanceIdentifier: i.id,
    DBInstanceClass: i.dbInstanceClass,
    Engine: 'postgres',
    EngineVersion: i.engineVersion,
    DBInstanceStatus: i.status,
    MasterUsername: i.masterUsername,
    DBName: i.dbName,
    // RDS reports an endpoint once the instance has an address.
    Endpoint: i.port ? { Address: '127.0.0.1', Port: i.port, HostedZoneId: 'LOCALRDS' } : undefined,
    AllocatedStorage: i.allocatedStorage,
    InstanceCreateTime: i.createdAt,
    BackupRetentionPeriod: 1,
    VpcSecurityGroups: i.vpcSecurityGroupIds.map((id) => ({ VpcSecurityGroupId: id, Status: 'active' })),
    DBParameterGroups: [{ DBParameterGroupName: i.dbParameterGroupName, ParameterApplyStatus: 'in-sync' }],
    DBSubnetGroup: i.dbSubnetGroupName ? { DBSubnetGroupName: i.dbSubnetGroupName, SubnetGroupStatus: 'Complete' } : undefined,
    MultiAZ: i.multiAZ,
    PubliclyAccessible: i.publiclyAccessible,
    StorageType: 'gp3',
    StorageEncrypted: false,
    DbiResourceId: `db-${crypto.createHash('sha256').update(i.id + i.createdAt).digest('hex').slice(0, 26).toUpperCase()}`,
    DBInstanceArn: `arn:aws:rds:${rds.region}:${ACCOUNT}:db:${i.id}`,
    IAMDatabaseAuthenticationEnabled: i.iamDatabaseAuthenticationEnabled,
    EnabledCloudwatchLogsExports: i.enabledCloudwatchLogsExports,
  };
}

function snapshotShape(rds: LocalRds, s: SnapshotRecord) {
  return {
    DBSnapshotIdentifier: s.id,
    DBInstanceIdentifier: s.instanceId,
    SnapshotCreateTime: s.createdAt,
    OriginalSnapshotCreateTime: s.createdAt,
    Engine: 'postgres',
    EngineVersion: s.engineVersion,
    AllocatedStorage: s.allocatedStorage,
    Status: s.status,
    Port: s.port,
    MasterUsername: s.masterUsername,
    SnapshotType: 'manual',
    PercentProgress: s.status === 'available' ? 100 : 0,
    StorageType: 'gp3',
    Encrypted: false,
    DBSnapshotArn: `arn:aws:rds:${rds.region}:${ACCOUNT}:snapshot:${s.id}`,
  };
}

function engineVersionShape(v: EngineVersion) {
  return {
    Engine: 'postgres',
    EngineVersion: v.version,
    DBParameterGroupFamily: `postgres${v.major}`,
    DBEngineDescription: 'PostgreSQL',
    DBEngineVersionDescription: `PostgreSQL ${v.version}`,
    ValidUpgradeTarget: upgradeTargets(resolveEngineVersion(v.version)).map((t) => ({
      Engine: 'postgres',
      EngineVersion: t.version,
      Description: `PostgreSQL ${t.version}`,
      AutoUpgrade: false,
      IsMajorVersionUpgrade: true,
    })),
    ExportableLogTypes: ['postgresql', 'upgrade'],
    SupportsLogExportsToCloudwatchLogs: true,
    SupportsReadReplica: true,
    Status: 'available',
  };
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', "'": 'apos', '"': 'quot' }[c]};`);
}

function toXml(value: Record<string, unknown>): string {
  let out = '';
  for (const [name, child] of Object.entries(value)) {
    if (child === undefined) continue;
    if (Array.isArray(child)) {
      const member = LIST_MEMBERS[name] ?? 'member';
      out += `<${name}>${child.map((item) => element(member, item)).join('')}</${name}>`;
    } else {
      out += element(name, child);
    }
  }
  return out;
}

function element(name: string, value: unknown): string {
  if (typeof value === 'object' && value !== null) return `<${name}>${toXml(value as Record<string, unknown>)}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}
