// How the PostgreSQL activities reach a database: a reference names the server and where its
// password is; the connection is opened per activity, closed in finally, and its errors sorted
// into permanent (fix the input) and transient (Temporal retries).
import type { ConnectionOptions } from 'node:tls';
import { ApplicationFailure } from '@temporalio/common';
import { Client, DatabaseError } from 'pg';
import { describeSecretRef, type ConnectTarget, type SecretRef } from '../credentials';

export type { SecretRef } from '../credentials';

export interface DatabaseRef {
  host: string;
  port: number;
  database: string;
  user: string;
  password: SecretRef;
}

export interface PostgresDeps {
  resolveSecret(ref: SecretRef, db: ConnectTarget): Promise<string>;
  /**
   * TLS to the servers. 'prefer' (the default, as libpq's sslmode=prefer) tries TLS without
   * verifying the certificate and falls back to plain text when the server has no TLS; RDS
   * needs TLS for IAM auth and, from PostgreSQL 15 on, by default (rds.force_ssl).
   */
  ssl?: 'prefer' | 'disable' | ConnectionOptions;
}

export interface Connector {
  /** Runs work on a fresh connection to db, closed afterwards whatever happens. */
  run<T>(db: DatabaseRef, work: (client: Client) => Promise<T>): Promise<T>;
  resolvePassword(db: DatabaseRef): Promise<string>;
}

// SQLSTATEs that a retry cannot cure: the input or the server's setup has to change.
const PERMANENT: Record<string, [type: string, hint: string]> = {
  '28P01': ['AuthenticationFailed', 'check the password reference and that the role may log in'],
  '28000': ['AuthenticationFailed', "check the user, pg_hba.conf (or the instance's security settings) and SSL"],
  '3D000': ['DatabaseNotFound', 'check the database name'],
  '42501': ['InsufficientPrivilege', 'connect as the master user (rds_superuser) or grant the privilege'],
};

function where(db: DatabaseRef): string {
  return `${db.user}@${db.host}:${db.port}/${db.database}`;
}

/** A permanent PostgreSQL error becomes a non-retryable failure that names the server; others pass unchanged. */
export function classify(err: unknown, db: DatabaseRef): unknown {
  if (err instanceof ApplicationFailure || !(err instanceof DatabaseError) || !err.code) return err;
  const known = PERMANENT[err.code];
  const sqlClass = err.code.slice(0, 2);
  if (!known && sqlClass !== '42' && sqlClass !== '22' && sqlClass !== '0A') return err;
  const [type, hint] = known ?? ['PostgresError', 'the statement cannot succeed as the database stands'];
  return ApplicationFailure.create({
    message: `${where(db)}: ${err.message} (SQLSTATE ${err.code}): ${hint}${type === 'AuthenticationFailed' ? ` (password from ${describeSecretRef(db.password)})` : ''}`,
    type,
    nonRetryable: true,
    cause: err,
  });
}

export function createConnector(deps: PostgresDeps): Connector {
  const sslSetting = deps.ssl ?? 'prefer';

  async function open(db: DatabaseRef, password: string, ssl: false | ConnectionOptions): Promise<Client> {
    const client = new Client({
      host: db.host,
      port: db.port,
      database: db.database,
      user: db.user,
      password,
      ssl,
      application_name: 'rds-bluegreen',
      connectionTimeoutMillis: 15_000,
    });
    // An error on an idle connection (server restart) must not crash the worker; the query in flight reports it.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    return client;
  }

  async function connect(db: DatabaseRef, password: string): Promise<Client> {
    if (sslSetting === 'disable') return open(db, password, false);
    if (sslSetting !== 'prefer') return open(db, password, sslSetting);
    try {
      return await open(db, password, { rejectUnauthorized: false });
    } catch (err) {
      if (!/does not support SSL/i.test((err as Error).message)) throw err;
      return open(db, password, false);
    }
  }

  return {
    resolvePassword(db) {
      return deps.resolveSecret(db.password, { host: db.host, port: db.port, user: db.user });
    },
    async run(db, work) {
      let client: Client | undefined;
      try {
        client = await connect(db, await this.resolvePassword(db));
        return await work(client);
      } catch (err) {
        throw classify(err, db);
      } finally {
        await client?.end().catch(() => undefined);
      }
    },
  };
}
