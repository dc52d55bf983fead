// What the local RDS remembers, in one JSON file under its state directory, so that a
// restarted service finds its instances and snapshots again.
import fs from 'node:fs';
import path from 'node:path';

export interface InstanceOptions {
  dbInstanceClass: string;
  dbParameterGroupName: string;
  dbSubnetGroupName?: string;
  vpcSecurityGroupIds: string[];
  multiAZ: boolean;
  iamDatabaseAuthenticationEnabled: boolean;
  publiclyAccessible: boolean;
  allocatedStorage: number;
  enabledCloudwatchLogsExports: string[];
}

export interface InstanceRecord extends InstanceOptions {
  id: string;
  status: string;
  engineVersion: string;
  major: number;
  port: number;
  masterUsername: string;
  dbName: string;
  createdAt: string;
}

export interface SnapshotRecord {
  id: string;
  instanceId: string;
  status: string;
  engineVersion: string;
  major: number;
  port: number;
  masterUsername: string;
  dbName: string;
  allocatedStorage: number;
  createdAt: string;
  /** The major version of the data files; major is ahead of it once the snapshot is upgraded. */
  dataMajor: number;
}

export interface State {
  /** The bootstrap superuser's password, the same in every cluster of this service. */
  adminPassword: string;
  instances: Record<string, InstanceRecord>;
  snapshots: Record<string, SnapshotRecord>;
  /** Secrets Manager secrets by name, for credential references in rehearsals. */
  secrets?: Record<string, SecretRecord>;
}

export interface SecretRecord {
  arn: string;
  value: string;
  createdAt: number;
}

export class StateStore {
  readonly file: string;

  constructor(readonly dir: string) {
    this.file = path.join(dir, 'state.json');
  }

  load(create: () => State): State {
    if (!fs.existsSync(this.file)) {
      const state = create();
      this.save(state);
      return state;
    }
    return JSON.parse(fs.readFileSync(this.file, 'utf8')) as State;
  }

  /** Written to a temporary file and renamed, so a crash never leaves half a file. */
  save(state: State): void {
    const tmp = `${this.file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(state, null, 2), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }

  instanceDir(id: string): string {
    return path.join(this.dir, 'instances', id);
  }

  snapshotDir(id: string): string {
    return path.join(this.dir, 'snapshots', id);
  }
}
