// ModifyDBSnapshot to a newer major version, as a test bed can do it: start the copy on
// its old version (that start replays WAL and logs the first "redo done at" line, which
// the snapshot keeps in its log as RDS does), dump it, and load the dump into a new
// cluster of the target version. The dump is kept for further hops of an upgrade path,
// because only PostgreSQL 15's pg_dumpall is installed and it cannot read newer servers.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { toolchain } from '../lib/toolchain';
import { freePort } from '../lib/ports';
import { BOOTSTRAP_USER, giveToServerUser, initCluster, startCluster, stopCluster } from './cluster';
import { binDirFor } from './engine-versions';
import { currentLogFile } from './log-files';

const execFileAsync = promisify(execFile);

export const DUMP_FILE = 'dumpall.sql';

/** The major of the only pg_dumpall installed: a dump can be taken from this major only. */
export function dumpClientMajor(): number {
  return toolchain().postgres.find((p) => p.binDir === toolchain().clientBinDir)?.major ?? 15;
}

export interface UpgradeInput {
  snapshotDir: string;
  fromMajor: number;
  toMajor: number;
  adminPassword: string;
}

export async function upgradeSnapshotData(input: UpgradeInput): Promise<void> {
  const { snapshotDir, adminPassword } = input;
  const dataDir = path.join(snapshotDir, 'data');
  const dumpFile = path.join(snapshotDir, DUMP_FILE);
  if (!fs.existsSync(dumpFile)) {
    const oldBin = binDirFor(input.fromMajor);
    const port = await freePort();
    await startCluster({ binDir: oldBin, dataDir, port, logFile: currentLogFile(path.join(snapshotDir, 'logs')) });
    try {
      await client('pg_dumpall', ['-h', '127.0.0.1', '-p', String(port), '-U', BOOTSTRAP_USER, '-f', dumpFile], adminPassword);
    } finally {
      await stopCluster(oldBin, dataDir);
    }
  }
  const newBin = binDirFor(input.toMajor);
  const newData = path.join(snapshotDir, 'data.new');
  fs.rmSync(newData, { recursive: true, force: true });
  await initCluster({ binDir: newBin, dataDir: newData, adminPassword });
  const port = await freePort();
  // The new server's own start is not part of what the snapshot carries.
  const scratchLog = path.join(snapshotDir, 'upgrade.log');
  await startCluster({ binDir: newBin, dataDir: newData, port, logFile: scratchLog });
  try {
    const { stderr } = await client(
      'psql',
      ['-X', '-q', '-h', '127.0.0.1', '-p', String(port), '-U', BOOTSTRAP_USER, '-d', 'postgres', '-f', dumpFile],
      adminPassword,
    );
    // The dump recreates roles the new cluster already has; every other error is real.
    const errors = stderr.split('\n').filter((line) => line.includes('ERROR:') && !line.includes('already exists'));
    if (errors.length > 0) throw new Error(`loading the dump into PostgreSQL ${input.toMajor} failed:\n${errors.join('\n')}`);
  } finally {
    await stopCluster(newBin, newData);
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.renameSync(newData, dataDir);
  fs.rmSync(scratchLog, { force: true });
  giveToServerUser(dataDir);
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
