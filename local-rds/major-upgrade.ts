// The engine upgrade of a snapshot, as a test bed can do it. ModifyDBSnapshot records the
// target version; the restore does the work, so that everything lands in the new
// instance's log at restore time, as the seed reads it on RDS: the copy starts on its old
// version (replaying WAL: the first "redo done at" line), its data is dumped and loaded
// into a new cluster of the target version, which then starts and logs its own lines.
// Only PostgreSQL 15's pg_dumpall is installed, and it cannot read newer servers, so
// the data of an upgraded snapshot must come from 15.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { promisify } from 'node:util';
import { toolchain } from '../lib/toolchain';
import { freePort } from '../lib/ports';
import { BOOTSTRAP_USER, initCluster, startCluster, stopCluster, type InitOptions } from './cluster';
import { binDirFor } from './engine-versions';

const execFileAsync = promisify(execFile);

/** The major of the only pg_dumpall installed: upgraded data must come from this major. */
export function dumpClientMajor(): number {
  return toolchain().postgres.find((p) => p.binDir === toolchain().clientBinDir)?.major ?? 15;
}

export interface UpgradeInput {
  dataDir: string;
  fromMajor: number;
  toMajor: number;
  /** The instance's port and log file: the new server keeps running on them. */
  port: number;
  logFile: string;
  adminPassword: string;
  /** The certificate the new cluster serves TLS with, as the old one did. */
  tls?: InitOptions['tls'];
}

export async function upgradeRestoredData(input: UpgradeInput): Promise<void> {
  const { dataDir, adminPassword } = input;
  const work = `${dataDir}.upgrade`;
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { mode: 0o700 });
  const dumpFile = path.join(work, 'dumpall.sql');
  const oldBin = binDirFor(input.fromMajor);
  const oldPort = await freePort();
  await startCluster({ binDir: oldBin, dataDir, port: oldPort, logFile: input.logFile });
  try {
    await client('pg_dumpall', ['-h', '127.0.0.1', '-p', String(oldPort), '-U', BOOTSTRAP_USER, '-f', dumpFile], adminPassword);
  } finally {
    await stopCluster(oldBin, dataDir);
  }
  // PostgreSQL 16 lets a role grant only roles it holds with ADMIN OPTION, superuser or not;
  // 15's dump names grantors that may not: the bootstrap superuser grants them instead.
  await stripGrantors(dumpFile);
  const oldData = path.join(work, 'old-data');
  fs.renameSync(dataDir, oldData);
  const newBin = binDirFor(input.toMajor);
  await initCluster({ binDir: newBin, dataDir, adminPassword, tls: input.tls });
  await startCluster({ binDir: newBin, dataDir, port: input.port, logFile: input.logFile });
  const { stderr } = await client(
    'psql',
    ['-X', '-q', '-h', '127.0.0.1', '-p', String(input.port), '-U', BOOTSTRAP_USER, '-d', 'postgres', '-f', dumpFile],
    adminPassword,
  );
  // The dump recreates the bootstrap role, which the new cluster already has; any other error is real.
  const errors = stderr.split('\n').filter((line) => line.includes('ERROR:') && !/role "[^"]+" already exists/.test(line));
  if (errors.length > 0) throw new Error(`loading the dump into PostgreSQL ${input.toMajor} failed:\n${errors.join('\n')}`);
  fs.rmSync(work, { recursive: true, force: true });
}

/** Rewrites the dump line by line: it may be larger than a string can hold. */
async function stripGrantors(dumpFile: string): Promise<void> {
  const rewritten = `${dumpFile}.granted`;
  const out = fs.createWriteStream(rewritten);
  const lines = readline.createInterface({ input: fs.createReadStream(dumpFile), crlfDelay: Infinity });
  for await (const line of lines) {
    const kept = line.startsWith('GRANT ') ? line.replace(/^(GRANT .*?) GRANTED BY [^;]+;$/, '$1;') : line;
    if (!out.write(`${kept}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  fs.renameSync(rewritten, dumpFile);
}

async function client(program: string, args: string[], password: string): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync(path.join(toolchain().clientBinDir, program), args, {
      env: { PATH: process.env.PATH, PGPASSWORD: password, PGCONNECT_TIMEOUT: '10', LANG: 'C.UTF-8' },
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`${program} failed: ${(e.stderr || e.message).trim()}`, { cause: err });
  }
}
