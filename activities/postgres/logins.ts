// Seeds 5, 10.2, 12.1 and ROLLBACK 2 and 5: the application's login roles locked (NOLOGIN,
// sessions ended) on the side that must not take writes, and opened on the side that serves.
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from 'pg';
import type { Connector, DatabaseRef } from './connection';
import { checkLoginRoles } from './names';

export interface LoginsInput {
  db: DatabaseRef;
  roles: string[];
}

/** Refuses, before changing anything, a list naming a role that does not exist or the role we connect as. */
async function checkRolesExist(client: Client, db: DatabaseRef, roles: string[]): Promise<void> {
  const { rows } = await client.query<{ missing: string[]; me: string | null }>(
    `select coalesce(array_agg(r order by r) filter (where not exists (select 1 from pg_roles where rolname = r)), '{}') as missing,
            max(r) filter (where r = current_user) as me
       from unnest($1::text[]) r`,
    [roles],
  );
  const { missing, me } = rows[0];
  if (missing.length > 0) {
    throw ApplicationFailure.nonRetryable(
      `no role named ${missing.map((r) => JSON.stringify(r)).join(', ')} on ${db.host}:${db.port}: correct appUsers (names are case-sensitive); nothing was changed`,
      'RoleNotFound',
    );
  }
  if (me !== null) {
    throw ApplicationFailure.nonRetryable(`${JSON.stringify(me)} is the role the upgrade connects as: it cannot be locked or unlocked; remove it from appUsers`, 'InvalidInput');
  }
}

/** All roles in one transaction and one round trip: the cutover's write freeze lasts as long as this. */
async function setLogin(client: Client, roles: string[], login: boolean): Promise<void> {
  if (roles.length === 0) return;
  const alters = roles.map((r) => `alter role ${client.escapeIdentifier(r)} with ${login ? 'login' : 'nologin'};`);
  await client.query(`begin; ${alters.join(' ')} commit;`);
}

export function loginActivities(pg: Connector) {
  return {
    async lockLogins(input: LoginsInput & { terminate?: boolean }): Promise<{ roles: string[]; terminatedSessions: number }> {
      const roles = checkLoginRoles(input.roles);
      return pg.run(input.db, async (client) => {
        await checkRolesExist(client, input.db, roles);
        await setLogin(client, roles, false);
        if (!input.terminate) return { roles, terminatedSessions: 0 };
        // Waits (up to 5 s each) until a session is gone, so no write slips in after this returns.
        const { rows } = await client.query<{ n: number }>(
          'select count(*) filter (where pg_terminate_backend(pid, 5000))::int as n from pg_stat_activity where usename = any($1::text[]) and pid <> pg_backend_pid()',
          [roles],
        );
        return { roles, terminatedSessions: rows[0].n };
      });
    },

    async unlockLogins(input: LoginsInput): Promise<{ roles: string[] }> {
      const roles = checkLoginRoles(input.roles);
      return pg.run(input.db, async (client) => {
        await checkRolesExist(client, input.db, roles);
        await setLogin(client, roles, true);
        return { roles };
      });
    },
  };
}
