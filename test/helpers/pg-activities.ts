// The PostgreSQL activities as the worker builds them, for tests against real clusters:
// passwords come from environment variables by reference, as in production.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import { createPostgresActivities, type DatabaseRef } from '../../activities/pg';
import { toolchain } from '../../lib/toolchain';
import type { TestCluster } from './postgres';

export function postgresActivities() {
  return createPostgresActivities(async (ref) => {
    if (!('env' in ref)) throw new Error('tests pass passwords by environment variable');
    const value = process.env[ref.env];
    if (value === undefined) throw ApplicationFailure.nonRetryable(`no environment variable ${ref.env}`, 'SecretNotFound');
    return value;
  });
}

let envCount = 0;

/** A reference to a database of the cluster as its bootstrap superuser, the password in a fresh variable. */
export function dbRef(cluster: TestCluster, database: string, user = cluster.user, password = cluster.password): DatabaseRef {
  const env = `PG_ACTIVITY_TEST_PW_${process.pid}_${++envCount}`;
  process.env[env] = password;
  return { host: cluster.host, port: cluster.port, database, user, password: { env } };
}

/**
 * Copies a database from one cluster to another with PostgreSQL 15's pg_dump and psql, as the
 * local RDS moves a snapshot to a new major version. The target database must exist.
 */
export async function copyDatabase(from: TestCluster, to: TestCluster, database: string, options: { schemaOnly?: boolean } = {}): Promise<void> {
  const bin = toolchain().clientBinDir;
  const env = (c: TestCluster) => ({ PATH: process.env.PATH, PGHOST: c.host, PGPORT: String(c.port), PGUSER: c.user, PGPASSWORD: c.password, PGDATABASE: database });
  const file = path.join(from.dir, `dump-${Date.now()}.sql`);
  await promisify(execFile)(path.join(bin, 'pg_dump'), ['--file', file, ...(options.schemaOnly ? ['--schema-only'] : [])], { env: env(from) });
  try {
    await promisify(execFile)(path.join(bin, 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file], { env: env(to) });
  } finally {
    fs.rmSync(file, { force: true });
  }
}
