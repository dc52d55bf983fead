// Seeds 8, 9.1, 10.1 and ROLLBACK 1: how far the subscriber is behind the slot, and how much
// WAL the slot makes the publisher keep. LSN arithmetic is done by PostgreSQL on the whole 64 bits.
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from 'pg';
import { whileHeartbeating } from '../heartbeat';
import type { Connector, DatabaseRef } from './connection';
import { checkSlotName } from './names';

export interface LagInput {
  db: DatabaseRef;
  slot: string;
}

export interface Lag {
  slot: string;
  /** WAL written on the publisher that the subscriber has not confirmed. */
  lagBytes: number;
  /** WAL the publisher keeps for the slot (disk it cannot free). */
  retainedWalBytes: number;
  active: boolean;
}

const POLL_MS = 100;

async function readLag(client: Client, db: DatabaseRef, slot: string): Promise<Lag> {
  const { rows } = await client.query<{ lag: string | null; retained: string | null; active: boolean }>(
    `select pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text as lag,
            pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::text as retained, active
       from pg_replication_slots where slot_name = $1`,
    [slot],
  );
  if (rows.length === 0) {
    throw ApplicationFailure.nonRetryable(`no replication slot ${slot} on ${db.host}:${db.port}: it was dropped, or never made (seed 1.3)`, 'SlotNotFound');
  }
  const { lag, retained, active } = rows[0];
  return { slot, lagBytes: Number(lag ?? 0), retainedWalBytes: Number(retained ?? 0), active };
}

export function lagActivities(pg: Connector) {
  return {
    async replicationLag(input: LagInput): Promise<Lag> {
      const slot = checkSlotName(input.slot);
      return pg.run(input.db, (client) => readLag(client, input.db, slot));
    },

    /** Seed 10.1 with writes stopped: polls until the subscriber has confirmed all but maxLagBytes. */
    async waitForLag(input: LagInput & { maxLagBytes: number; timeoutSeconds: number }): Promise<Lag> {
      const slot = checkSlotName(input.slot);
      return pg.run(input.db, (client) =>
        whileHeartbeating({ slot }, async (signal) => {
          const deadline = Date.now() + input.timeoutSeconds * 1000;
          for (;;) {
            const lag = await readLag(client, input.db, slot);
            if (lag.lagBytes <= input.maxLagBytes) return lag;
            if (Date.now() > deadline || signal.aborted) {
              throw ApplicationFailure.retryable(
                `the subscriber of slot ${slot} is still ${lag.lagBytes} bytes behind after ${input.timeoutSeconds} s (slot ${lag.active ? 'active' : 'not in use: is the subscription enabled?'})`,
                'LagNotReached',
              );
            }
            await new Promise((r) => setTimeout(r, POLL_MS));
          }
        }),
      );
    },
  };
}
