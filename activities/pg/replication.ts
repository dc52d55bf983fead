// Seed 9 and 10.1: how far the subscriber is behind (from the publisher's slot), how much
// WAL the slot keeps, waiting for it to catch up, and GREEN's maintenance.
import { ApplicationFailure } from '@temporalio/common';
import { whileHeartbeating } from '../heartbeat';
import { checkSlotName } from './blue';
import type { Connect, DatabaseRef } from './connect';

export interface Lag {
  lagBytes: number;
  retainedWalBytes: number;
  /** Databases plus pg_wal, for the WAL guard's estimate of free storage; absent when not readable. */
  usedBytes?: number;
}

// What the server's storage holds that grows with it: every database it may read, and the WAL.
const USED = `select (select coalesce(sum(pg_database_size(oid)), 0) from pg_database where has_database_privilege(oid, 'CONNECT'))
                  + (select coalesce(sum(size), 0) from pg_ls_waldir()) as used`;

const LAG = `select (pg_current_wal_lsn() - confirmed_flush_lsn)::bigint::text as lag,
                    (pg_current_wal_lsn() - restart_lsn)::bigint::text as retained
               from pg_replication_slots where slot_name = $1`;

export function createReplicationActivities(connect: Connect) {
  return {
    async replicationLag(input: { db: DatabaseRef; slot: string }): Promise<Lag> {
      checkSlotName(input.slot);
      return connect(input.db, async (c) => {
        const { rows } = await c.query<{ lag: string | null; retained: string | null }>(LAG, [input.slot]);
        if (rows.length === 0) throw ApplicationFailure.nonRetryable(`Slot ${input.slot} does not exist on ${input.db.host}:${input.db.port}`, 'SlotMissing');
        // pg_ls_waldir needs pg_monitor (RDS's master user has it); without it, no estimate.
        const used = await c.query<{ used: string }>(USED).then((r) => Number(r.rows[0].used), () => undefined);
        return { lagBytes: Number(rows[0].lag ?? 0), retainedWalBytes: Number(rows[0].retained ?? 0), usedBytes: used };
      });
    },

    /** How often GREEN's subscription failed to apply a change (DDL on BLUE only, a conflicting row). */
    async subscriptionErrors(input: { db: DatabaseRef; subscription: string }): Promise<{ applyErrors: number }> {
      return connect(input.db, async (c) => {
        const { rows } = await c.query<{ n: string }>(
          `select coalesce(sum(st.apply_error_count), 0)::text as n
             from pg_subscription s join pg_stat_subscription_stats st on st.subid = s.oid
            where s.subname = $1 and s.subdbid = (select oid from pg_database where datname = current_database())`,
          [input.subscription],
        );
        return { applyErrors: Number(rows[0].n) };
      });
    },

    /**
     * Seed 10.1's "lag 0", made exact: everything written on the publisher up to now (its
     * logins are locked) is confirmed by the subscriber. Polls inside the activity, so the
     * wait adds nothing to the workflow's history.
     */
    async waitForLag(input: { db: DatabaseRef; slot: string; maxLagBytes: number; timeoutSeconds: number }): Promise<{ lagBytes: number }> {
      checkSlotName(input.slot);
      return connect(input.db, (c) =>
        whileHeartbeating({ slot: input.slot }, async (signal) => {
          const target = (await c.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn')).rows[0].lsn;
          const deadline = Date.now() + input.timeoutSeconds * 1000;
          for (;;) {
            const { rows } = await c.query<{ behind: string | null }>(
              'select ($2::pg_lsn - confirmed_flush_lsn)::bigint::text as behind from pg_replication_slots where slot_name = $1',
              [input.slot, target],
            );
            if (rows.length === 0) throw ApplicationFailure.nonRetryable(`Slot ${input.slot} does not exist on ${input.db.host}:${input.db.port}`, 'SlotMissing');
            const behind = Math.max(0, Number(rows[0].behind ?? Number.MAX_SAFE_INTEGER));
            if (behind <= input.maxLagBytes) return { lagBytes: behind };
            if (Date.now() > deadline || signal.aborted) throw new Error(`the subscriber of slot ${input.slot} is still ${behind} bytes behind after ${input.timeoutSeconds} s`);
            await new Promise((r) => setTimeout(r, 20));
          }
        }),
      );
    },

    /** Seed 9.2: ANALYZE for GREEN's planner, and VACUUM (FULL) when asked. */
    async maintainGreen(input: { db: DatabaseRef; analyze: boolean; vacuum: 'none' | 'vacuum' | 'full' }): Promise<{ ran: string[] }> {
      // The connection heartbeats for as long as VACUUM and ANALYZE take.
      return connect(input.db, async (c) => {
        const ran: string[] = [];
        if (input.vacuum !== 'none') {
          await c.query(input.vacuum === 'full' ? 'vacuum full' : 'vacuum');
          ran.push(input.vacuum === 'full' ? 'VACUUM FULL' : 'VACUUM');
        }
        if (input.analyze) {
          await c.query('analyze');
          ran.push('ANALYZE');
        }
        return { ran };
      });
    },
  };
}
