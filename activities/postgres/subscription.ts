// Seeds 5.1, 8, 10.3 and 10.6: the subscription that streams from the other side's slot, its
// origin (where streaming starts), enabling it, seeing it stream, and dropping it without
// touching the publisher's slot.
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from 'pg';
import { isLsn } from '../../common/lsn';
import type { Connector, DatabaseRef } from './connection';
import { checkIdentifier, checkSlotName } from './names';

export interface CreateSubscriptionInput {
  db: DatabaseRef;
  subscription: string;
  publication: string;
  slot: string;
  /** The publisher, as the replication role reaches it. */
  source: DatabaseRef;
  /** false on GREEN (enabled after the origin is advanced); true for the reverse one on BLUE. */
  enabled: boolean;
}

export interface SubscriptionInput {
  db: DatabaseRef;
  subscription: string;
}

interface SubscriptionRow {
  oid: string;
  subenabled: boolean;
  subslotname: string | null;
  subpublications: string[];
  /** The origin's position: where streaming resumes. */
  origin_lsn: string | null;
}

async function lookSubscription(client: Client, subscription: string): Promise<SubscriptionRow | undefined> {
  const { rows } = await client.query<SubscriptionRow>(
    `select s.oid::text, s.subenabled, s.subslotname::text, s.subpublications::text[] as subpublications,
            o.remote_lsn::text as origin_lsn
       from pg_subscription s
       left join pg_replication_origin_status o on o.external_id = 'pg_' || s.oid
      where s.subname = $1 and s.subdbid = (select oid from pg_database where datname = current_database())`,
    [subscription],
  );
  return rows[0];
}

function missing(subscription: string, db: DatabaseRef): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `subscription ${JSON.stringify(subscription)} does not exist in ${db.database} on ${db.host}: create it first (seed 5.1)`,
    'SubscriptionNotFound',
  );
}

/** libpq's conninfo quoting: every value in single quotes, with \ and ' escaped by a backslash. */
export function conninfo(params: Record<string, string | number>): string {
  return Object.entries(params)
    .map(([key, value]) => `${key}='${String(value).replace(/[\\']/g, (c) => `\\${c}`)}'`)
    .join(' ');
}

const STREAM_WAIT_MS = 30_000;

export function subscriptionActivities(pg: Connector) {
  return {
    async createSubscription(input: CreateSubscriptionInput): Promise<{ subscription: string; created: boolean; enabled: boolean }> {
      const subscription = checkIdentifier(input.subscription, 'subscription');
      const publication = checkIdentifier(input.publication, 'publication');
      const slot = checkSlotName(input.slot);
      const enabled = input.enabled === true;
      const password = await pg.resolvePassword(input.source);
      return pg.run(input.db, async (client) => {
        const ident = client.escapeIdentifier(subscription);
        const existing = await lookSubscription(client, subscription);
        if (existing) {
          if (existing.subslotname !== slot || existing.subpublications.length !== 1 || existing.subpublications[0] !== publication) {
            throw ApplicationFailure.nonRetryable(
              `subscription ${JSON.stringify(subscription)} exists on ${input.db.host} with slot ${existing.subslotname ?? 'NONE'} and publications ${JSON.stringify(existing.subpublications)}, not slot ${slot} and publication ${JSON.stringify(publication)}: drop it or choose another replication.subscription`,
              'SubscriptionMismatch',
            );
          }
          // Never disable one that streams; enable the reverse one that a crash left behind disabled.
          if (enabled && !existing.subenabled) await client.query(`alter subscription ${ident} enable`);
          return { subscription, created: false, enabled: enabled || existing.subenabled };
        }
        const connection = conninfo({
          host: input.source.host,
          port: input.source.port,
          dbname: input.source.database,
          user: input.source.user,
          password,
        });
        // Utility statements take no bind parameters: every piece is quoted by the driver.
        await client.query(
          `create subscription ${ident} connection ${client.escapeLiteral(connection)} publication ${client.escapeIdentifier(publication)}
             with (copy_data = false, create_slot = false, enabled = ${enabled}, slot_name = ${client.escapeLiteral(slot)})`,
        );
        return { subscription, created: true, enabled };
      });
    },

    /**
     * Seed 8: streaming starts at lsn (the redo LSN + 1). Once the subscription is enabled
     * its origin moves by itself, and setting it again would move it back and apply changes
     * twice: then this only verifies.
     */
    async advanceOrigin(input: SubscriptionInput & { lsn: string }): Promise<{ subscription: string; originLsn: string; advanced: boolean }> {
      const subscription = checkIdentifier(input.subscription, 'subscription');
      if (typeof input.lsn !== 'string' || !isLsn(input.lsn)) {
        throw ApplicationFailure.nonRetryable(`lsn ${JSON.stringify(input.lsn)} is not an LSN: write it as PostgreSQL does, like 0/200DC61`, 'InvalidInput');
      }
      return pg.run(input.db, async (client) => {
        const sub = await lookSubscription(client, subscription);
        if (!sub) throw missing(subscription, input.db);
        const { rows } = await client.query<{ cmp: number | null }>('select case when $1::pg_lsn is null then null when $1::pg_lsn < $2::pg_lsn then -1 when $1::pg_lsn = $2::pg_lsn then 0 else 1 end as cmp', [
          sub.origin_lsn,
          input.lsn,
        ]);
        const cmp = rows[0].cmp;
        if (sub.subenabled) {
          if (cmp === null || cmp < 0) {
            throw ApplicationFailure.nonRetryable(
              `subscription ${JSON.stringify(subscription)} was enabled with its origin at ${sub.origin_lsn ?? 'none'}, before ${input.lsn}: it streamed from the slot's start and may have applied changes GREEN already had. Drop it and restore GREEN again`,
              'OriginBehind',
            );
          }
          return { subscription, originLsn: sub.origin_lsn!, advanced: false };
        }
        // Already there, or past it (streamed before and disabled since): never move it back.
        if (cmp !== null && cmp >= 0) return { subscription, originLsn: sub.origin_lsn!, advanced: false };
        await client.query('select pg_replication_origin_advance($1, $2::pg_lsn)', [`pg_${sub.oid}`, input.lsn]);
        return { subscription, originLsn: input.lsn, advanced: true };
      });
    },

    async enableSubscription(input: SubscriptionInput): Promise<{ subscription: string; enabled: true; changed: boolean }> {
      const subscription = checkIdentifier(input.subscription, 'subscription');
      return pg.run(input.db, async (client) => {
        const sub = await lookSubscription(client, subscription);
        if (!sub) throw missing(subscription, input.db);
        if (sub.subenabled) return { subscription, enabled: true, changed: false };
        if (sub.origin_lsn === null || sub.origin_lsn === '0/0') {
          throw ApplicationFailure.nonRetryable(
            `subscription ${JSON.stringify(subscription)} has no origin position: advance its origin to the start LSN (seed 8) before enabling it, or it replays from the slot's start`,
            'OriginNotAdvanced',
          );
        }
        await client.query(`alter subscription ${client.escapeIdentifier(subscription)} enable`);
        return { subscription, enabled: true, changed: true };
      });
    },

    /** Seed 8's last look: the apply worker runs, has heard from the publisher, and has hit no apply errors. */
    async checkSubscriptionStreaming(
      input: SubscriptionInput & { timeoutSeconds?: number },
    ): Promise<{ subscription: string; receivedLsn: string; applyErrors: number; syncErrors: number }> {
      const subscription = checkIdentifier(input.subscription, 'subscription');
      const waitMs = (input.timeoutSeconds ?? STREAM_WAIT_MS / 1000) * 1000;
      return pg.run(input.db, async (client) => {
        const deadline = Date.now() + waitMs;
        for (;;) {
          const sub = await lookSubscription(client, subscription);
          if (!sub) throw missing(subscription, input.db);
          if (!sub.subenabled) {
            throw ApplicationFailure.nonRetryable(`subscription ${JSON.stringify(subscription)} is disabled: enable it (seed 8)`, 'SubscriptionDisabled');
          }
          const { rows } = await client.query<{ received_lsn: string | null; apply_errors: string; sync_errors: string }>(
            `select (select w.received_lsn::text from pg_stat_subscription w where w.subid = $1::oid and w.relid is null and w.pid is not null) as received_lsn,
                    coalesce(s.apply_error_count, 0) as apply_errors, coalesce(s.sync_error_count, 0) as sync_errors
               from (select $1::oid as subid) x left join pg_stat_subscription_stats s on s.subid = x.subid`,
            [sub.oid],
          );
          const { received_lsn: receivedLsn } = rows[0];
          const applyErrors = Number(rows[0].apply_errors);
          const syncErrors = Number(rows[0].sync_errors);
          if (applyErrors > 0 || syncErrors > 0) {
            throw ApplicationFailure.nonRetryable(
              `subscription ${JSON.stringify(subscription)} on ${input.db.host} has ${applyErrors} apply and ${syncErrors} sync errors: read the server log for the cause, fix it, then reset the counters with pg_stat_reset_subscription_stats(${sub.oid})`,
              'SubscriptionApplyErrors',
            );
          }
          if (receivedLsn !== null) return { subscription, receivedLsn, applyErrors, syncErrors };
          if (Date.now() > deadline) {
            throw ApplicationFailure.retryable(
              `subscription ${JSON.stringify(subscription)} on ${input.db.host} has received nothing from the publisher within ${waitMs / 1000} s: check the server log for connection errors`,
              'SubscriptionNotStreaming',
            );
          }
          await new Promise((r) => setTimeout(r, 250));
        }
      });
    },

    /** Seed 10.3: disable, detach from the slot (which stays for the caller to drop), drop. Each step looks first. */
    async dropSubscription(input: SubscriptionInput): Promise<{ subscription: string; dropped: boolean }> {
      const subscription = checkIdentifier(input.subscription, 'subscription');
      return pg.run(input.db, async (client) => {
        const sub = await lookSubscription(client, subscription);
        if (!sub) return { subscription, dropped: false };
        const ident = client.escapeIdentifier(subscription);
        if (sub.subenabled) await client.query(`alter subscription ${ident} disable`);
        if (sub.subslotname !== null) await client.query(`alter subscription ${ident} set (slot_name = none)`);
        await client.query(`drop subscription ${ident}`);
        return { subscription, dropped: true };
      });
    },
  };
}
