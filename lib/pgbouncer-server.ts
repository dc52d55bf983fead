// A PgBouncer of Debian's package for the tests, the demo and the benchmark: transaction
// pooling in front of BLUE, an admin console, and its ini file in a directory of its own,
// which the worker (this process) rewrites when traffic moves.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { giveToServerUser, runAsOptions } from '../local-rds/cluster';
import { freePort, waitForPort } from './ports';
import { toolchain } from './toolchain';

export interface PgbouncerOptions {
  dir: string;
  /** [databases] entries: the name clients use, and where it points. */
  databases: Record<string, { host: string; port: number; dbname: string; poolMode?: 'session' | 'transaction' }>;
  /** Every user that connects through PgBouncer, the admin too, with its password. */
  users: Record<string, string>;
  adminUser: string;
  poolSize?: number;
}

export interface PgbouncerServer {
  host: string;
  port: number;
  iniFile: string;
  stop(): Promise<void>;
}

export async function startPgbouncer(options: PgbouncerOptions): Promise<PgbouncerServer> {
  const binary = toolchain().pgbouncer;
  if (!binary) throw new Error('PgBouncer is not installed here: run "npm run setup" (or drop pgbouncer from BLUEGREEN_SETUP_SKIP)');
  fs.mkdirSync(options.dir, { recursive: true, mode: 0o755 });
  giveToServerUser(options.dir);
  const port = await freePort();
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const iniFile = path.join(options.dir, 'pgbouncer.ini');
  const userlist = path.join(options.dir, 'userlist.txt');
  fs.writeFileSync(userlist, Object.entries(options.users).map(([u, p]) => `${quote(u)} ${quote(p)}\n`).join(''), { mode: 0o600 });
  giveToServerUser(userlist);
  fs.writeFileSync(
    iniFile,
    [
      '[databases]',
      ...Object.entries(options.databases).map(([name, d]) => `${name} = host=${d.host} port=${d.port} dbname=${d.dbname}${d.poolMode ? ` pool_mode=${d.poolMode}` : ''}`),
      '',
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      `unix_socket_dir = ${options.dir}`,
      'auth_type = scram-sha-256',
      `auth_file = ${userlist}`,
      `admin_users = ${options.adminUser}`,
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize ?? 20}`,
      'max_client_conn = 200',
      'ignore_startup_parameters = extra_float_digits',
      // A server connection that the cutover ended is noticed on its next use and replaced.
      'server_check_delay = 0',
      `logfile = ${path.join(options.dir, 'pgbouncer.log')}`,
      `pidfile = ${path.join(options.dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(binary, [iniFile], { ...runAsOptions(), cwd: options.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await Promise.race([
      waitForPort(port, 10_000),
      exited.then(() => {
        throw new Error(`PgBouncer exited at start: ${stderr.trim() || fs.readFileSync(path.join(options.dir, 'pgbouncer.log'), 'utf8').slice(-2000)}`);
      }),
    ]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    host: '127.0.0.1',
    port,
    iniFile,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
