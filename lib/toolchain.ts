// Where the Temporal CLI and the PostgreSQL servers are: written by scripts/setup.cjs,
// read here so that no other code guesses paths.
import fs from 'node:fs';
import path from 'node:path';

export interface PostgresInstall {
  major: number;
  version: string;
  binDir: string;
}

export interface Toolchain {
  /** Absent when the setup was told to skip it (BLUEGREEN_SETUP_SKIP). */
  temporalCli?: string;
  /** Set when the process is root: PostgreSQL servers run as this user. */
  postgresUser?: { name: string; uid: number; gid: number };
  postgres: PostgresInstall[];
  /** pg_basebackup, pg_dump and psql, which only the system's PostgreSQL ships. */
  clientBinDir: string;
  /** Debian's Chromium, for the browser test; absent when skipped. */
  chromium?: string;
  /** Debian's PgBouncer, for the traffic switch; absent when skipped. */
  pgbouncer?: string;
}

const file = path.resolve(__dirname, '..', '.toolchain.json');

let cached: Toolchain | undefined;

export function toolchain(): Toolchain {
  if (!cached) {
    if (!fs.existsSync(file)) {
      throw new Error(`${file} is missing: run "npm run setup" to install the Temporal CLI and PostgreSQL servers`);
    }
    cached = JSON.parse(fs.readFileSync(file, 'utf8')) as Toolchain;
  }
  return cached;
}

export function postgresInstall(major: number): PostgresInstall {
  const install = toolchain().postgres.find((p) => p.major === major);
  if (!install) {
    const known = toolchain().postgres.map((p) => p.major).join(', ');
    throw new Error(`PostgreSQL ${major} is not installed here (installed: ${known})`);
  }
  return install;
}
