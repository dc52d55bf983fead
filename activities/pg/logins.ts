// Seed 5, 10.2 and 12.1: the application's login roles locked (NOLOGIN, their sessions
// ended) and opened again. Names of any spelling are quoted by the driver; the list goes
// in as one bind parameter; a name that is no role is reported before anything changes.
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from 'pg';
import type { Connect, DatabaseRef } from './connect';

async function checkRoles(c: Client, db: DatabaseRef, roles: string[]): Promise<void> {
  const system = roles.filter((r) => /^(rds|pg_)/i.test(r) || r === db.user);
  if (system.length > 0) {
    throw ApplicationFailure.nonRetryable(`Refusing to lock or unlock ${system.map((r) => JSON.stringify(r)).join(', ')}: system roles and the admin user stay as they are.`, 'RefusedRole');
  }
  const { rows } = await c.query<{ name: string }>(
    'select r.name from unnest($1::text[]) as r(name) where not exists (select 1 from pg_roles p where p.rolname = r.name)',
    [roles],
  );
  if (rows.length > 0) {
    throw ApplicationFailure.nonRetryable(
      `No such role on ${db.host}:${db.port}: ${rows.map((r) => JSON.stringify(r.name)).join(', ')}. Correct appUsers; nothing was changed.`,
      'UnknownRole',
    );
  }
}

export function createLoginActivities(connect: Connect) {
  return {
    async lockLogins(input: { db: DatabaseRef; roles: string[] }): Promise<{ roles: string[]; terminated: number }> {
      return connect(input.db, async (c) => {
        await checkRoles(c, input.db, input.roles);
        for (const role of input.roles) await c.query(`alter role ${c.escapeIdentifier(role)} nologin`);
        // NOLOGIN stops new sessions; the ones already open are ended, and gone before we return.
        let terminated = 0;
        for (let attempt = 0; ; attempt += 1) {
          const { rows } = await c.query<{ n: string }>(
            'select count(pg_terminate_backend(pid))::text as n from pg_stat_activity where usename = any($1::text[]) and pid <> pg_backend_pid()',
            [input.roles],
          );
          if (Number(rows[0].n) === 0) return { roles: input.roles, terminated };
          terminated += Number(rows[0].n);
          if (attempt > 200) throw new Error(`sessions of ${input.roles.join(', ')} keep running on ${input.db.host}`);
          await new Promise((r) => setTimeout(r, 10));
        }
      });
    },

    async unlockLogins(input: { db: DatabaseRef; roles: string[] }): Promise<{ roles: string[] }> {
      return connect(input.db, async (c) => {
        await checkRoles(c, input.db, input.roles);
        for (const role of input.roles) await c.query(`alter role ${c.escapeIdentifier(role)} login`);
        return { roles: input.roles };
      });
    },
  };
}
