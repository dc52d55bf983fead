// The PostgreSQL activities of the seed's SQL, grouped by what they act on.
import type { ResolveSecret } from '../credentials';
import { createPublisherActivities } from './blue';
import { createCheckActivities } from './checks';
import { connector } from './connect';
import { NO_TLS, type PgTls } from './tls';
import { createLoginActivities } from './logins';
import { createPreflightActivities } from './preflight';
import { createReplicationActivities } from './replication';
import { createSchemaActivities } from './schema';
import { createSequenceActivities } from './sequences';
import { createSubscriberActivities } from './subscription';

export type { DatabaseRef } from './connect';
export type { PgTls } from './tls';

/** tls: the worker's TLS settings to BLUE and GREEN (activities/pg/tls.ts); none when absent. */
export function createPostgresActivities(resolveSecret: ResolveSecret, tls: PgTls = NO_TLS) {
  const connect = connector({ resolveSecret, tls });
  return {
    ...createPublisherActivities(connect, resolveSecret),
    ...createSubscriberActivities(connect, resolveSecret, tls),
    ...createCheckActivities(connect),
    ...createSchemaActivities(connect),
    ...createReplicationActivities(connect),
    ...createLoginActivities(connect),
    ...createSequenceActivities(connect),
    ...createPreflightActivities(connect),
  };
}
