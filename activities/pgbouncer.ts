// The `pgbouncer` traffic switch: PgBouncer's pools of the application's databases paused
// before BLUE is locked, their entries pointed at the side that serves next, and resumed, so
// that clients wait through the cutover instead of failing. The worker talks to PgBouncer's
// admin console and rewrites the entries in the ini file PgBouncer itself reports loading
// (`conffile`), so it must run where that file is (the same host or a shared volume).
import fs from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { Client } from 'pg';
import { describeSecretRef, type ResolveSecret, type SecretRef } from './credentials';
import { whileHeartbeating } from './heartbeat';
import { findDatabaseEntries, repointDatabaseEntries, type Endpoint } from './pgbouncer-config';

export interface PgbouncerRef {
  /** PgBouncer's listen address, where its admin console (database "pgbouncer") answers. */
  host: string;
  port: number;
  /** A user in PgBouncer's admin_users. */
  user: string;
  password: SecretRef;
  /** The [databases] entries the application connects through. */
  databases: string[];
}

// SHOW DATABASES answers numbers for port and paused.
interface PoolRow {
  name: string;
  host: string | null;
  port: number | string;
  pool_mode: string | null;
  paused: number | string;
}

async function adminConsole<T>(deps: { resolveSecret: ResolveSecret }, ref: PgbouncerRef, work: (c: Client) => Promise<T>): Promise<T> {
  const password = await deps.resolveSecret(ref.password, ref);
  const client = new Client({ host: ref.host, port: ref.port, database: 'pgbouncer', user: ref.user, password, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`cannot reach PgBouncer's admin console as ${ref.user}@${ref.host}:${ref.port} with the password from ${describeSecretRef(ref.password)}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return await whileHeartbeating({ pgbouncer: `${ref.host}:${ref.port}` }, () => work(client));
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function pools(c: Client, names: string[]): Promise<Map<string, PoolRow>> {
  const { rows } = await c.query<PoolRow>('SHOW DATABASES');
  return new Map(rows.filter((r) => names.includes(r.name)).map((r) => [r.name, r]));
}

async function setting(c: Client, key: string): Promise<string | undefined> {
  const { rows } = await c.query<{ key: string; value: string }>('SHOW CONFIG');
  return rows.find((r) => r.key === key)?.value;
}

const sameEndpoint = (row: PoolRow, e: Endpoint) => Number(row.port) === e.port && (row.host === e.host || (isLoopback(row.host) && isLoopback(e.host)));
const isLoopback = (host: string | null) => host === 'localhost' || host === '127.0.0.1' || host === '::1';

/** SQL-free identifiers only: the admin console takes no bind parameters. */
function checkNames(names: string[]): void {
  const bad = names.filter((n) => !/^[A-Za-z0-9_.-]{1,63}$/.test(n));
  if (bad.length > 0) throw ApplicationFailure.nonRetryable(`PgBouncer database names must be letters, digits, _ . or -: ${bad.map((b) => JSON.stringify(b)).join(', ')}`, 'InvalidPgbouncerDatabase');
}

export function createPgbouncerActivities(deps: { resolveSecret: ResolveSecret }) {
  return {
    /**
     * Before anything changes: PgBouncer answers, each entry exists, points at BLUE (or at
     * GREEN, when a cutover already moved it), pools per transaction, and sits in a file the
     * worker can rewrite. Returns every problem found, not just the first.
     */
    async checkPgbouncer(input: { pgbouncer: PgbouncerRef; blue: Endpoint; green?: Endpoint }): Promise<{ problems: string[]; conffile?: string }> {
      const ref = input.pgbouncer;
      checkNames(ref.databases);
      return adminConsole(deps, ref, async (c) => {
        const problems: string[] = [];
        const found = await pools(c, ref.databases);
        const defaultMode = (await setting(c, 'pool_mode')) ?? 'session';
        for (const name of ref.databases) {
          const row = found.get(name);
          if (!row) {
            problems.push(`traffic.pgbouncer.databases: PgBouncer at ${ref.host}:${ref.port} has no database entry ${JSON.stringify(name)}`);
            continue;
          }
          if (!sameEndpoint(row, input.blue) && !(input.green && sameEndpoint(row, input.green))) {
            problems.push(`traffic.pgbouncer.databases: entry ${name} points at ${row.host}:${row.port}, not at BLUE (${input.blue.host}:${input.blue.port})`);
          }
          const mode = row.pool_mode || defaultMode;
          // PAUSE waits for every server connection to be released: in session mode a client
          // that stays connected would hold the cutover forever.
          if (mode === 'session') problems.push(`traffic.pgbouncer.databases: entry ${name} pools per session; set pool_mode=transaction so that PAUSE need not wait for clients to disconnect`);
        }
        const conffile = await setting(c, 'conffile');
        if (!conffile) {
          problems.push('PgBouncer does not report its config file (conffile)');
          return { problems };
        }
        try {
          fs.accessSync(conffile, fs.constants.R_OK | fs.constants.W_OK);
        } catch {
          problems.push(`the worker cannot read and write PgBouncer's config file ${conffile}: run the worker where that file is, as a user who may write it`);
          return { problems, conffile };
        }
        const entries = findDatabaseEntries(conffile, ref.databases);
        for (const name of ref.databases.filter((n) => found.has(n) && !entries.has(n))) {
          problems.push(`entry ${name} is not in the [databases] section of ${conffile} or the files it includes, so it cannot be repointed`);
        }
        for (const entry of entries.values()) {
          if (entry.file !== conffile) {
            try {
              fs.accessSync(entry.file, fs.constants.W_OK);
            } catch {
              problems.push(`the worker cannot write ${entry.file}, which holds entry ${entry.name}`);
            }
          }
        }
        return { problems, conffile };
      });
    },

    /** New transactions wait in PgBouncer; returns once the running ones have finished. */
    async pausePgbouncer(input: { pgbouncer: PgbouncerRef }): Promise<{ paused: string[] }> {
      const ref = input.pgbouncer;
      checkNames(ref.databases);
      return adminConsole(deps, ref, async (c) => {
        const before = await pools(c, ref.databases);
        for (const name of ref.databases) {
          // A retried pause: PgBouncer refuses a second PAUSE; the first one holds.
          if (Number(before.get(name)?.paused) === 1) continue;
          await c.query(`PAUSE ${name}`);
        }
        return { paused: ref.databases };
      });
    },

    /** Rewrites the entries' host and port, reloads, and checks PgBouncer took them. */
    async repointPgbouncer(input: { pgbouncer: PgbouncerRef; to: Endpoint }): Promise<{ files: string[] }> {
      const ref = input.pgbouncer;
      checkNames(ref.databases);
      return adminConsole(deps, ref, async (c) => {
        const conffile = await setting(c, 'conffile');
        if (!conffile) throw ApplicationFailure.nonRetryable('PgBouncer does not report its config file (conffile)', 'PgbouncerConfig');
        const files = repointDatabaseEntries(conffile, ref.databases, input.to);
        await c.query('RELOAD');
        const after = await pools(c, ref.databases);
        const stale = ref.databases.filter((n) => !after.get(n) || !sameEndpoint(after.get(n)!, input.to));
        if (stale.length > 0) throw new Error(`PgBouncer still points ${stale.join(', ')} elsewhere than ${input.to.host}:${input.to.port} after RELOAD`);
        return { files };
      });
    },

    /** The waiting clients go on, to wherever the entries now point. */
    async resumePgbouncer(input: { pgbouncer: PgbouncerRef }): Promise<{ resumed: string[] }> {
      const ref = input.pgbouncer;
      checkNames(ref.databases);
      return adminConsole(deps, ref, async (c) => {
        const state = await pools(c, ref.databases);
        for (const name of ref.databases) if (Number(state.get(name)?.paused) === 1) await c.query(`RESUME ${name}`);
        return { resumed: ref.databases };
      });
    },
  };
}
