// The PostgreSQL activities of the upgrade, built over one connector: each takes one plain
// input object with credential references, and resolves the passwords itself.
import { createConnector, type PostgresDeps } from './connection';
import { checkActivities } from './checks';
import { lagActivities } from './lag';
import { loginActivities } from './logins';
import { maintenanceActivities } from './maintenance';
import { publicationActivities } from './publication';
import { replicationRoleActivities } from './replication-role';
import { schemaActivities } from './schema';
import { sequenceActivities } from './sequences';
import { slotActivities } from './slot';
import { subscriptionActivities } from './subscription';

export type { DatabaseRef, PostgresDeps, SecretRef } from './connection';

export function createPostgresActivities(deps: PostgresDeps) {
  const pg = createConnector(deps);
  return {
    ...replicationRoleActivities(pg),
    ...publicationActivities(pg),
    ...slotActivities(pg),
    ...subscriptionActivities(pg),
    ...checkActivities(pg),
    ...schemaActivities(pg),
    ...lagActivities(pg),
    ...maintenanceActivities(pg),
    ...loginActivities(pg),
    ...sequenceActivities(pg),
  };
}

export type PostgresActivities = ReturnType<typeof createPostgresActivities>;
