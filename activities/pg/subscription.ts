// Seed 5.1, 8 and 10.3/10.6 on the subscriber: a subscription that uses the publisher's
// existing slot and copies nothing, its origin advanced to the start LSN, then enabled;
// and dropped safely, leaving the publisher's slot to be dropped there.
import { ApplicationFailure } from '@temporalio/common';
import { parseLsn } from '../../common/lsn';
import type { ResolveSecret, SecretRef } from '../credentials';
import { checkSlotName } from './blue';
import type { Connect, DatabaseRef } from './connect';
import { NO_TLS, subscriptionSslMode, type PgTls } from './tls';

export interface ReplicationSource {
  host: string;
  port: number;
  database: string;
  user: string;
  password: SecretRef;
}

/** A libpq connection string: each value in single quotes, quotes and backslashes escaped. */
export function conninfo(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}='${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`)
    .join(' ');
}

interface SubscriptionRow {
  oid: string;
  enabled: boolean;
  slot: string | null;
  publications: string[];
}

async function findSubscription(c: import('pg').Client, name: string): Promise<SubscriptionRow | undefined> {
  const { rows } = await c.query<SubscriptionRow>(
    `select oid::text, subenabled as enabled, subslotname as slot, subpublications as publications
       from pg_subscription where subname = $1 and subdbid = (select oid from pg_database where datname = current_database())`,
    [name],
  );
  return rows[0];
}

/**
 * tls: the worker's settings. The subscription's own connection is made by the subscriber's
 * server, which cannot verify with the worker's CA bundle: see subscriptionSslMode.
 */
export function createSubscriberActivities(connect: Connect, resolveSecret: ResolveSecret, tls: PgTls = NO_TLS) {
  const sslmode = subscriptionSslMode(tls);
  return {
    /** Seed 5.1 (disabled, on GREEN) and 10.6 (enabled, the reverse one on BLUE). */
    async createSubscription(input: {
      db: DatabaseRef;
      subscription: string;
      publication: string;
      slot: string;
      source: ReplicationSource;
      enabled: boolean;
    }): Promise<{ created: boolean }> {
      checkSlotName(input.slot);
      const password = await resolveSecret(input.source.password, input.source);
      return connect(input.db, async (c) => {
        const existing = await findSubscription(c, input.subscription);
        if (existing) {
          if (existing.slot !== input.slot || !existing.publications.includes(input.publication)) {
            throw ApplicationFailure.nonRetryable(
              `Subscription ${input.subscription} exists on ${input.db.host} with slot ${existing.slot} and publications ${existing.publications.join(', ')}: drop it or name another subscription.`,
              'SubscriptionMismatch',
            );
          }
          return { created: false };
        }
        const connection = conninfo({
          host: input.source.host,
          port: input.source.port,
          dbname: input.source.database,
          user: input.source.user,
          password,
          ...(sslmode ? { sslmode } : {}),
        });
        // CREATE SUBSCRIPTION takes no bind parameters: its values are quoted by the driver.
        await c.query(
          `create subscription ${c.escapeIdentifier(input.subscription)} connection ${c.escapeLiteral(connection)}
             publication ${c.escapeIdentifier(input.publication)}
             with (copy_data = false, create_slot = false, enabled = ${input.enabled ? 'true' : 'false'}, connect = true, slot_name = ${c.escapeLiteral(input.slot)})`,
        );
        return { created: true };
      });
    },

    /**
     * Seed 8: the subscription's origin moved to the start LSN, so that decoding skips what
     * the snapshot holds. Once the subscription is enabled its origin moves by itself, and
     * moving it back would apply changes twice: then this only checks.
     */
    async advanceOrigin(input: { db: DatabaseRef; subscription: string; lsn: string }): Promise<{ advanced: boolean; originLsn: string }> {
      parseLsn(input.lsn);
      return connect(input.db, async (c) => {
        const sub = await findSubscription(c, input.subscription);
        if (!sub) throw ApplicationFailure.nonRetryable(`Subscription ${input.subscription} does not exist on ${input.db.host}: create it first.`, 'SubscriptionMissing');
        const progress = async () =>
          (await c.query<{ lsn: string | null }>("select pg_replication_origin_progress('pg_' || $1, false)::text as lsn", [sub.oid])).rows[0].lsn;
        if (sub.enabled) {
          const at = await progress();
          if (at === null || parseLsn(at) < parseLsn(input.lsn)) {
            throw ApplicationFailure.nonRetryable(
              `Subscription ${input.subscription} is enabled already, with its origin at ${at ?? 'nothing'}, before ${input.lsn}: it may have applied changes the snapshot holds. Start the upgrade again.`,
              'OriginBehind',
            );
          }
          return { advanced: false, originLsn: at };
        }
        await c.query("select pg_replication_origin_advance('pg_' || $1, $2::pg_lsn)", [sub.oid, input.lsn]);
        return { advanced: true, originLsn: (await progress())! };
      });
    },

    /**
     * Before a switch: the subscriber's apply commits flushed at once, so that it confirms the
     * publisher's last LSN in milliseconds instead of after the WAL writer's next round
     * (wal_writer_delay, 200 ms by default), time the application would spend frozen. Off
     * (the default) while catching up, where flushing each commit would slow the apply.
     */
    async setSubscriptionFlush(input: { db: DatabaseRef; subscription: string; immediate: boolean }): Promise<void> {
      await connect(input.db, (c) => c.query(`alter subscription ${c.escapeIdentifier(input.subscription)} set (synchronous_commit = ${input.immediate ? "'on'" : "'off'"})`));
    },

    async enableSubscription(input: { db: DatabaseRef; subscription: string }): Promise<void> {
      await connect(input.db, (c) => c.query(`alter subscription ${c.escapeIdentifier(input.subscription)} enable`));
    },

    /** After seed 8: the apply worker runs, receives, and has had no apply errors. */
    async checkSubscriptionStreaming(input: { db: DatabaseRef; subscription: string; timeoutSeconds?: number }): Promise<{ receivedLsn: string; applyErrors: number }> {
      return connect(input.db, async (c) => {
        const deadline = Date.now() + (input.timeoutSeconds ?? 60) * 1000;
        for (;;) {
          // Streaming once the worker has heard from the publisher, or waits in its main loop,
          // which it reaches only after replication started: an idle publisher may send nothing for a while.
          const { rows } = await c.query<{ pid: number | null; received: string | null; errors: string; looping: boolean }>(
            `select s.pid, s.received_lsn::text as received, coalesce(st.apply_error_count, 0)::text as errors,
                    coalesce(a.wait_event = 'LogicalApplyMain', false) as looping
               from pg_stat_subscription s left join pg_stat_subscription_stats st on st.subid = s.subid
               left join pg_stat_activity a on a.pid = s.pid
              where s.subname = $1 and s.relid is null`,
            [input.subscription],
          );
          const row = rows[0];
          if (row && Number(row.errors) > 0) {
            throw ApplicationFailure.nonRetryable(
              `Subscription ${input.subscription} on ${input.db.host} has ${row.errors} apply errors: see that server's log (a conflicting row, or DDL that ran on one side only).`,
              'ApplyErrors',
            );
          }
          if (row?.pid && (row.received || row.looping)) return { receivedLsn: row.received ?? 'none yet', applyErrors: 0 };
          if (Date.now() > deadline) throw new Error(`subscription ${input.subscription} on ${input.db.host} does not stream yet`);
          await new Promise((r) => setTimeout(r, 250));
        }
      });
    },

    /** Seed 10.3: disable, detach from the slot (which stays on the publisher), drop. */
    async dropSubscription(input: { db: DatabaseRef; subscription: string }): Promise<{ dropped: boolean }> {
      return connect(input.db, async (c) => {
        if (!(await findSubscription(c, input.subscription))) return { dropped: false };
        const sub = c.escapeIdentifier(input.subscription);
        await c.query(`alter subscription ${sub} disable`);
        await c.query(`alter subscription ${sub} set (slot_name = none)`);
        await c.query(`drop subscription ${sub}`);
        return { dropped: true };
      });
    },
  };
}
