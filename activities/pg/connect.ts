// Connections to BLUE and GREEN. Inputs carry a DatabaseRef, whose password is a reference
// that the activity resolves itself; the password never enters Temporal's history.
import { Client } from 'pg';
import { describeSecretRef, type ResolveSecret, type SecretRef } from '../credentials';
import { whileHeartbeating } from '../heartbeat';
import { clientSsl, explainTlsFailure, NO_TLS, type PgTls } from './tls';

export interface DatabaseRef {
  host: string;
  port: number;
  database: string;
  user: string;
  password: SecretRef;
}

export interface PostgresDeps {
  resolveSecret: ResolveSecret;
  /** The worker's TLS settings (BLUEGREEN_PG_SSLMODE, BLUEGREEN_PG_SSLROOTCERT); none when absent. */
  tls?: PgTls;
}

export type Connect = <T>(db: DatabaseRef, work: (client: Client) => Promise<T>) => Promise<T>;

/**
 * Opens a connection for one piece of work and always closes it. The activity heartbeats
 * meanwhile: a worker that dies mid-step is noticed within the heartbeat timeout, not at
 * the end of the step's whole time limit.
 */
export function connector(deps: PostgresDeps): Connect {
  const tls = deps.tls ?? NO_TLS;
  const ssl = clientSsl(tls);
  return async (db, work) => {
    const password = await deps.resolveSecret(db.password, db);
    const client = new Client({
      host: db.host,
      port: db.port,
      database: db.database,
      user: db.user,
      password,
      connectionTimeoutMillis: 10_000,
      application_name: 'rds-bluegreen',
      ssl,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      const tlsProblem = explainTlsFailure(err, tls, db);
      if (tlsProblem) throw new Error(`cannot connect to ${db.user}@${db.host}:${db.port}/${db.database}: ${tlsProblem}`, { cause: err });
      throw new Error(`cannot connect to ${db.user}@${db.host}:${db.port}/${db.database} with the password from ${describeSecretRef(db.password)}: ${(err as Error).message}`, { cause: err });
    }
    try {
      return await whileHeartbeating({ host: db.host, port: db.port }, () => work(client));
    } finally {
      await client.end().catch(() => undefined);
    }
  };
}

/** Every schema that is the user's, not the system's. */
export const USER_SCHEMA = "n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'";

/** Objects the upgrade makes carry this comment, so that compensation drops only its own. */
export const OURS = 'created by rds-bluegreen';
