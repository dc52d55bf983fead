// Seed 1.1 to 1.3 on the publisher (BLUE, and GREEN for the way back): the replication
// role, the publication FOR ALL TABLES and the logical slot; and dropping each again.
import { ApplicationFailure } from '@temporalio/common';
import type { SecretRef } from '../credentials';
import { OURS, USER_SCHEMA, type Connect, type DatabaseRef } from './connect';
import type { ResolveSecret } from '../credentials';
import { scramVerifier } from './scram';

const SLOT_NAME = /^[a-z0-9_]{1,63}$/;

export function checkSlotName(slot: string): void {
  if (!SLOT_NAME.test(slot)) {
    throw ApplicationFailure.nonRetryable(`Slot name ${JSON.stringify(slot)} is not valid: PostgreSQL allows lower-case letters, digits and underscores, at most 63.`, 'InvalidSlotName');
  }
}

export function createPublisherActivities(connect: Connect, resolveSecret: ResolveSecret) {
  return {
    /**
     * Seed 1.1. On RDS, membership of rds_replication gives the right to replicate; plain
     * PostgreSQL ignores that role, and only the REPLICATION attribute (which a superuser
     * may grant, and RDS's master may not) does. Both are given where they can be.
     */
    async createReplicationRole(input: { db: DatabaseRef; role: string; password: SecretRef }): Promise<{ created: boolean; replication: 'attribute' | 'rds_replication' | 'both' }> {
      const password = await resolveSecret(input.password, { ...input.db, user: input.role });
      return connect(input.db, async (c) => {
        const role = c.escapeIdentifier(input.role);
        const { rows } = await c.query<{ exists: boolean; superuser: boolean; rds: boolean }>(
          `select exists (select 1 from pg_roles where rolname = $1) as exists,
                  (select rolsuper from pg_roles where rolname = current_user) as superuser,
                  exists (select 1 from pg_roles where rolname = 'rds_replication') as rds`,
          [input.role],
        );
        const { exists, superuser, rds } = rows[0];
        // Sent as its SCRAM verifier, so that a server logging DDL never logs the password.
        const secret = c.escapeLiteral(scramVerifier(password) ?? password);
        await c.query('begin');
        if (exists) {
          await c.query(`alter role ${role} with login password ${secret}`);
        } else {
          await c.query(`create role ${role} with login password ${secret}`);
          await c.query(`comment on role ${role} is ${c.escapeLiteral(OURS)}`);
        }
        if (rds) await c.query(`grant rds_replication to ${role}`);
        if (superuser) await c.query(`alter role ${role} with replication`);
        await c.query(`grant connect on database ${c.escapeIdentifier(input.db.database)} to ${role}`);
        const schemas = await c.query<{ nspname: string }>(`select n.nspname from pg_namespace n where ${USER_SCHEMA}`);
        for (const { nspname } of schemas.rows) {
          const schema = c.escapeIdentifier(nspname);
          await c.query(`grant usage on schema ${schema} to ${role}`);
          await c.query(`grant select on all tables in schema ${schema} to ${role}`);
        }
        await c.query('commit');
        return { created: !exists, replication: superuser && rds ? 'both' : superuser ? 'attribute' : 'rds_replication' };
      });
    },

    /** Compensation: drops the role only if the upgrade made it (its comment says so). */
    async dropReplicationRole(input: { db: DatabaseRef; role: string }): Promise<{ dropped: boolean }> {
      return connect(input.db, async (c) => {
        const { rows } = await c.query<{ comment: string | null }>(
          "select shobj_description(oid, 'pg_authid') as comment from pg_roles where rolname = $1",
          [input.role],
        );
        if (rows.length === 0 || rows[0].comment !== OURS) return { dropped: false };
        const role = c.escapeIdentifier(input.role);
        await c.query('begin');
        // Its grants go first: a role that holds privileges cannot be dropped.
        await c.query(`drop owned by ${role}`);
        await c.query(`drop role ${role}`);
        await c.query('commit');
        return { dropped: true };
      });
    },

    /** Seed 1.2: a publication of all tables and all changes. */
    async createPublication(input: { db: DatabaseRef; publication: string }): Promise<{ created: boolean }> {
      return connect(input.db, async (c) => {
        const { rows } = await c.query<{ all: boolean }>(
          'select puballtables and pubinsert and pubupdate and pubdelete and pubtruncate as all from pg_publication where pubname = $1',
          [input.publication],
        );
        if (rows.length > 0) {
          if (!rows[0].all) {
            throw ApplicationFailure.nonRetryable(
              `Publication ${input.publication} exists on ${input.db.host} but does not publish all tables and all changes: drop it or name another publication.`,
              'PublicationMismatch',
            );
          }
          return { created: false };
        }
        const publication = c.escapeIdentifier(input.publication);
        await c.query('begin');
        await c.query(`create publication ${publication} for all tables`);
        await c.query(`comment on publication ${publication} is ${c.escapeLiteral(OURS)}`);
        await c.query('commit');
        return { created: true };
      });
    },

    async dropPublication(input: { db: DatabaseRef; publication: string }): Promise<{ dropped: boolean }> {
      return connect(input.db, async (c) => {
        const { rows } = await c.query<{ comment: string | null }>(
          "select obj_description(oid, 'pg_publication') as comment from pg_publication where pubname = $1",
          [input.publication],
        );
        if (rows.length === 0 || rows[0].comment !== OURS) return { dropped: false };
        await c.query(`drop publication ${c.escapeIdentifier(input.publication)}`);
        return { dropped: true };
      });
    },

    /** Seed 1.3 (and 10.5 on GREEN): a logical slot with pgoutput in this database. */
    async createReplicationSlot(input: { db: DatabaseRef; slot: string }): Promise<{ created: boolean; lsn: string }> {
      checkSlotName(input.slot);
      return connect(input.db, async (c) => {
        const { rows } = await c.query<{ plugin: string; database: string; lsn: string }>(
          'select plugin, database, confirmed_flush_lsn::text as lsn from pg_replication_slots where slot_name = $1',
          [input.slot],
        );
        if (rows.length > 0) {
          if (rows[0].plugin !== 'pgoutput' || rows[0].database !== input.db.database) {
            throw ApplicationFailure.nonRetryable(
              `Slot ${input.slot} exists on ${input.db.host} for ${rows[0].plugin ?? 'physical replication'} in ${rows[0].database ?? 'no database'}: name another slot.`,
              'SlotMismatch',
            );
          }
          return { created: false, lsn: rows[0].lsn };
        }
        const created = await c.query<{ lsn: string }>("select lsn::text from pg_create_logical_replication_slot($1, 'pgoutput')", [input.slot]);
        return { created: true, lsn: created.rows[0].lsn };
      });
    },

    /** Seed 10.4, and compensation: a slot left behind makes its server keep WAL until the disk fills. */
    async dropReplicationSlot(input: { db: DatabaseRef; slot: string }): Promise<{ dropped: boolean }> {
      checkSlotName(input.slot);
      return connect(input.db, async (c) => {
        for (let attempt = 0; ; attempt += 1) {
          const { rows } = await c.query<{ pid: number | null }>('select active_pid as pid from pg_replication_slots where slot_name = $1', [input.slot]);
          if (rows.length === 0) return { dropped: attempt > 0 };
          // An active slot cannot be dropped: end the walsender that holds it first.
          if (rows[0].pid !== null) {
            await c.query('select pg_terminate_backend($1)', [rows[0].pid]);
            await new Promise((r) => setTimeout(r, 100));
            if (attempt > 100) throw new Error(`slot ${input.slot} stays active on ${input.db.host}`);
            continue;
          }
          try {
            await c.query('select pg_drop_replication_slot($1)', [input.slot]);
            return { dropped: true };
          } catch (err) {
            // Taken again by a reconnecting subscriber, or dropped meanwhile: look again.
            if (attempt > 100) throw err;
          }
        }
      });
    },
  };
}
