// A physical copy of a running cluster, taken the way a base backup is: between
// pg_backup_start and pg_backup_stop, with the backup label written into the copy.
// Starting the copy then replays WAL and logs a genuine "redo done at" line.
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { BOOTSTRAP_USER, giveToServerUser, makeServerDir } from './cluster';

// Directories whose contents a base backup leaves out (PostgreSQL docs, "Making a Base
// Backup Using the Low Level API"); pg_replslot too, as slots do not survive a restore on RDS.
const EMPTIED = new Set(['pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_stat_tmp', 'pg_subtrans', 'pg_replslot', 'pg_wal']);
const SKIPPED = new Set(['postmaster.pid', 'postmaster.opts', 'backup_label', 'tablespace_map']);

export interface CopySource {
  port: number;
  adminPassword: string;
  dataDir: string;
}

export async function physicalCopy(source: CopySource, target: string): Promise<void> {
  fs.rmSync(target, { recursive: true, force: true });
  makeServerDir(target);
  const client = new Client({ host: '127.0.0.1', port: source.port, user: BOOTSTRAP_USER, password: source.adminPassword, database: 'postgres' });
  await client.connect();
  try {
    // The backup belongs to this session: it must stay open until pg_backup_stop.
    await client.query("select pg_backup_start('local-rds snapshot', true)");
    copyTree(source.dataDir, target, true);
    const { rows } = await client.query<{ labelfile: string; spcmapfile: string | null }>(
      'select labelfile, spcmapfile from pg_backup_stop(false)',
    );
    // WAL is copied after the stop so that it holds every record the backup needs.
    copyTree(path.join(source.dataDir, 'pg_wal'), path.join(target, 'pg_wal'), false);
    fs.writeFileSync(path.join(target, 'backup_label'), rows[0].labelfile);
    if (rows[0].spcmapfile) fs.writeFileSync(path.join(target, 'tablespace_map'), rows[0].spcmapfile);
  } finally {
    await client.end();
  }
  giveToServerUser(target, true);
}

function copyTree(from: string, to: string, top: boolean): void {
  fs.mkdirSync(to, { recursive: true, mode: 0o700 });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (top && SKIPPED.has(entry.name)) continue;
    if (entry.isDirectory()) {
      if (top && EMPTIED.has(entry.name)) {
        fs.mkdirSync(dst, { mode: 0o700 });
        if (entry.name === 'pg_wal') fs.mkdirSync(path.join(dst, 'archive_status'), { mode: 0o700 });
        continue;
      }
      copyTree(src, dst, false);
    } else if (entry.isFile()) {
      copyFile(src, dst);
    }
  }
}

// A file may vanish while the server runs (a dropped table, a recycled WAL segment):
// the WAL replay restores whatever the copy missed, as in any base backup.
function copyFile(src: string, dst: string): void {
  try {
    fs.copyFileSync(src, dst);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
