// One PostgreSQL cluster on disk, driven with initdb and pg_ctl. PostgreSQL refuses to run
// as root, so a root process runs these as the unprivileged user that scripts/setup.cjs chose.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { toolchain } from '../lib/toolchain';

const execFileAsync = promisify(execFile);

/** The bootstrap superuser of every cluster, as on RDS; the master user is another role. */
export const BOOTSTRAP_USER = 'rdsadmin';

// What RDS's default parameter group with rds.logical_replication = 1 amounts to, kept
// small in memory because a test run holds several clusters at once. The port is not
// here: it is passed at start, because a restored copy keeps its source's files.
const SETTINGS = `
# local RDS settings
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
wal_level = logical
max_replication_slots = 20
max_wal_senders = 20
max_logical_replication_workers = 8
wal_keep_size = '256MB'
shared_buffers = '32MB'
max_connections = 60
log_line_prefix = '%t:%r:%u@%d:[%p]:'
log_timezone = 'UTC'
timezone = 'UTC'
rds.logical_replication = 1
`;

export function runAsOptions(): { uid?: number; gid?: number } {
  const user = toolchain().postgresUser;
  return user ? { uid: user.uid, gid: user.gid } : {};
}

/** Runs a PostgreSQL server program as the user that may run it; rejects with its stderr. */
export async function runServerProgram(binDir: string, program: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(path.join(binDir, program), args, {
      ...runAsOptions(),
      cwd: '/',
      env: { PATH: process.env.PATH, LANG: 'C.UTF-8', TZ: 'UTC' },
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`${program} ${args.join(' ')} failed: ${(e.stderr || e.message).trim()}`, { cause: err });
  }
}

/** Hands a path the service created to the user that runs PostgreSQL. */
export function giveToServerUser(target: string, recursive = false): void {
  const user = toolchain().postgresUser;
  if (!user) return;
  fs.chownSync(target, user.uid, user.gid);
  if (recursive && fs.statSync(target).isDirectory()) {
    for (const entry of fs.readdirSync(target)) giveToServerUser(path.join(target, entry), true);
  }
}

/** A data directory (mode 0700, as PostgreSQL demands) inside parents the server user can enter. */
export function makeServerDir(dataDir: string): void {
  fs.mkdirSync(path.dirname(dataDir), { recursive: true, mode: 0o755 });
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  giveToServerUser(dataDir);
}

/** Fails with a clear message when the server user cannot write into dir (e.g. under /root). */
export function assertServerUserCanUse(dir: string): void {
  const user = toolchain().postgresUser;
  if (!user) return;
  giveToServerUser(dir);
  let current = path.dirname(path.resolve(dir));
  for (;;) {
    const mode = fs.statSync(current).mode;
    if ((mode & 0o001) === 0 && fs.statSync(current).uid !== user.uid) {
      throw new Error(
        `${dir} is inside ${current}, which the PostgreSQL user ${user.name} cannot enter: choose a state directory outside it (for example under /tmp)`,
      );
    }
    if (current === path.dirname(current)) return;
    current = path.dirname(current);
  }
}

export interface InitOptions {
  binDir: string;
  dataDir: string;
  /** Password of the bootstrap superuser, which the service uses for its own work. */
  adminPassword: string;
  /**
   * A server certificate and key to serve TLS with, as RDS does. They are copied into the
   * data directory (server.crt, server.key: PostgreSQL's defaults), so that a physical copy
   * serves them too. `ssl = on` only offers TLS: pg_hba.conf's `host` lines still let
   * clients in that do not ask for it.
   */
  tls?: { certFile: string; keyFile: string };
}

export async function initCluster(options: InitOptions): Promise<void> {
  const { binDir, dataDir } = options;
  makeServerDir(dataDir);
  const pwfile = path.join(path.dirname(dataDir), `.pwfile-${path.basename(dataDir)}`);
  fs.writeFileSync(pwfile, `${options.adminPassword}\n`, { mode: 0o600 });
  giveToServerUser(pwfile);
  try {
    await runServerProgram(binDir, 'initdb', [
      '-D', dataDir,
      '-U', BOOTSTRAP_USER,
      `--pwfile=${pwfile}`,
      '--auth-host=scram-sha-256',
      '--auth-local=scram-sha-256',
      '--encoding=UTF8',
      '--no-locale',
      '--no-sync',
    ]);
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
  fs.appendFileSync(path.join(dataDir, 'postgresql.conf'), SETTINGS);
  if (options.tls) {
    // PostgreSQL refuses a key file that others can read, or that another user owns.
    fs.copyFileSync(options.tls.certFile, path.join(dataDir, 'server.crt'));
    fs.copyFileSync(options.tls.keyFile, path.join(dataDir, 'server.key'));
    fs.chmodSync(path.join(dataDir, 'server.key'), 0o600);
    giveToServerUser(path.join(dataDir, 'server.crt'));
    giveToServerUser(path.join(dataDir, 'server.key'));
    fs.appendFileSync(path.join(dataDir, 'postgresql.conf'), "ssl = on\nssl_min_protocol_version = 'TLSv1.2'\n");
  }
}

export interface StartOptions {
  binDir: string;
  dataDir: string;
  port: number;
  logFile: string;
}

export async function startCluster(options: StartOptions): Promise<void> {
  if (isRunning(options.dataDir)) return;
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  if (!fs.existsSync(options.logFile)) fs.writeFileSync(options.logFile, '');
  giveToServerUser(options.logFile);
  await runServerProgram(options.binDir, 'pg_ctl', [
    'start', '-D', options.dataDir, '-l', options.logFile, '-w', '-t', '300', '-o', `-p ${options.port}`,
  ]);
}

export async function stopCluster(binDir: string, dataDir: string): Promise<void> {
  if (!isRunning(dataDir)) return;
  await runServerProgram(binDir, 'pg_ctl', ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '120']);
}

/** True when postmaster.pid names a live process: the cluster may outlive the service. */
export function isRunning(dataDir: string): boolean {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return false;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
