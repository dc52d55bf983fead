// Seed 1.1 and 11.1: the role the subscription logs in as, with the right to replicate.
// On RDS that right comes from membership of rds_replication; plain PostgreSQL grants it only
// through the REPLICATION attribute, which a superuser (or a replicating CREATEROLE role) can give.
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from 'pg';
import type { Connector, DatabaseRef, SecretRef } from './connection';
import { OURS, isOurs } from './marker';
import { checkIdentifier } from './names';
import { scramVerifier } from './scram';

export interface ReplicationRoleInput {
  db: DatabaseRef;
  role: string;
  password: SecretRef;
}

export interface ReplicationRoleResult {
  role: string;
  created: boolean;
  /** How the role may replicate: the attribute, rds_replication membership, or both. */
  replicationVia: Array<'REPLICATION attribute' | 'rds_replication'>;
}

interface RoleRow {
  rolcanlogin: boolean;
  rolreplication: boolean;
  in_rds_replication: boolean;
  comment: string | null;
}

async function lookRole(client: Client, role: string): Promise<RoleRow | undefined> {
  const { rows } = await client.query<RoleRow>(
    `select r.rolcanlogin, r.rolreplication,
            exists (select 1 from pg_auth_members m join pg_roles g on g.oid = m.roleid
                     where m.member = r.oid and g.rolname = 'rds_replication') as in_rds_replication,
            shobj_description(r.oid, 'pg_authid') as comment
       from pg_roles r where r.rolname = $1`,
    [role],
  );
  return rows[0];
}

export function replicationRoleActivities(pg: Connector) {
  return {
    async createReplicationRole(input: ReplicationRoleInput): Promise<ReplicationRoleResult> {
      const role = checkIdentifier(input.role, 'role');
      if ('iamAuth' in input.password) {
        throw ApplicationFailure.nonRetryable(
          'the replication role needs a password, not IAM auth: a subscription keeps its connection string, and IAM tokens expire after 15 minutes',
          'InvalidInput',
        );
      }
      const password = await pg.resolvePassword({ ...input.db, user: role, password: input.password });
      return pg.run(input.db, async (client) => {
        const { rows: me } = await client.query<{ super: boolean; can_give: boolean; rds_replication: boolean }>(
          `select rolsuper as super, rolsuper or (rolreplication and rolcreaterole) as can_give,
                  exists (select 1 from pg_roles where rolname = 'rds_replication') as rds_replication
             from pg_roles where rolname = current_user`,
        );
        const { can_give: canGiveAttribute, rds_replication: hasRdsReplication } = me[0];
        if (!canGiveAttribute && !hasRdsReplication) {
          throw ApplicationFailure.nonRetryable(
            `${input.db.user} can neither give the REPLICATION attribute (needs superuser) nor grant rds_replication (no such role: not RDS?): connect as a superuser or the RDS master user`,
            'CannotGrantReplication',
          );
        }
        const existing = await lookRole(client, role);
        const ident = client.escapeIdentifier(role);
        const secret = client.escapeLiteral(scramVerifier(password) ?? password);
        // One transaction: a crash leaves either nothing or the whole role, marker included.
        const statements = [
          existing ? `alter role ${ident} with login password ${secret}` : `create role ${ident} with login password ${secret}`,
          ...(canGiveAttribute ? [`alter role ${ident} with replication`] : []),
          ...(hasRdsReplication && !existing?.in_rds_replication ? [`grant rds_replication to ${ident}`] : []),
          ...(existing ? [] : [`comment on role ${ident} is ${client.escapeLiteral(OURS)}`]),
        ];
        await client.query('begin');
        try {
          for (const sql of statements) await client.query(sql);
          await client.query('commit');
        } catch (err) {
          await client.query('rollback').catch(() => undefined);
          throw err;
        }
        const after = (await lookRole(client, role))!;
        const replicationVia: ReplicationRoleResult['replicationVia'] = [];
        if (after.rolreplication) replicationVia.push('REPLICATION attribute');
        if (after.in_rds_replication) replicationVia.push('rds_replication');
        return { role, created: !existing, replicationVia };
      });
    },

    /** Compensation: drops the role only when this tool created it; a role that was there before stays. */
    async dropReplicationRole(input: { db: DatabaseRef; role: string }): Promise<{ role: string; dropped: boolean; reason?: string }> {
      const role = checkIdentifier(input.role, 'role');
      return pg.run(input.db, async (client) => {
        const existing = await lookRole(client, role);
        if (!existing) return { role, dropped: false, reason: 'no such role' };
        if (!isOurs(existing.comment)) return { role, dropped: false, reason: 'the role existed before the upgrade' };
        const ident = client.escapeIdentifier(role);
        // Its sessions (a subscription's walsender) would keep using the role: end them first.
        await client.query('select pg_terminate_backend(pid, 5000) from pg_stat_activity where usename = $1 and pid <> pg_backend_pid()', [role]);
        await client.query(`drop role ${ident}`);
        return { role, dropped: true };
      });
    },
  };
}
