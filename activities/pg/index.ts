// The PostgreSQL activities of the seed's SQL, grouped by what they act on.
import type { ResolveSecret } from '../credentials';
import { createPublisherActivities } from './blue';
import { createCheckActivities } from './checks';
import { connector } from './connect';
import { createLoginActivities } from './logins';
import { createPreflightActivities } from './preflight';
import { createReplicationActivities } from './replication';
import { createSchemaActivities } from './schema';
import { createSequenceActivities } from './sequences';
import { createSubscriberActivities } from './subscription';

export type { DatabaseRef } from './connect';

export function createPostgresActivities(resolveSecret: ResolveSecret) {
  const connect = connector({ resolveSecret });
  return {
    ...createPublisherActivities(connect, resolveSecret),
    ...createSubscriberActivities(connect, resolveSecret),
    ...createCheckActivities(connect),
    ...createSchemaActivities(connect),
    ...createReplicationActivities(connect),
    ...createLoginActivities(connect),
    ...createSequenceActivities(connect),
    ...createPreflightActivities(connect),
  };
}
