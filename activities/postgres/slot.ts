// Seed 1.3, 10.4 and 10.5: the logical replication slot (pgoutput) that keeps the WAL a
// subscriber still needs. A forgotten slot fills the disk, so dropping one is as careful as making it.
import { ApplicationFailure } from '@temporalio/common';
import { DatabaseError, type Client } from 'pg';
import type { Connector, DatabaseRef } from './connection';
import { checkSlotName } from './names';

export interface SlotInput {
  db: DatabaseRef;
  slot: string;
}

interface SlotRow {
  slot_type: string;
  plugin: string | null;
  here: boolean;
  active_pid: number | null;
  confirmed_flush_lsn: string | null;
}

// A walsender lets go of its slot a moment after its subscriber disconnects.
const RELEASE_WAIT_MS = 10_000;

async function lookSlot(client: Client, slot: string): Promise<SlotRow | undefined> {
  const { rows } = await client.query<SlotRow>(
    `select slot_type, plugin, database = current_database() as here, active_pid, confirmed_flush_lsn::text
       from pg_replication_slots where slot_name = $1`,
    [slot],
  );
  return rows[0];
}

export function slotActivities(pg: Connector) {
  return {
    async createReplicationSlot(input: SlotInput): Promise<{ slot: string; created: boolean; lsn: string }> {
      const slot = checkSlotName(input.slot);
      return pg.run(input.db, async (client) => {
        let existing = await lookSlot(client, slot);
        if (!existing) {
          try {
            const { rows } = await client.query<{ lsn: string }>("select lsn::text from pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);
            return { slot, created: true, lsn: rows[0].lsn };
          } catch (err) {
            // Another attempt made it in between: judge that one below.
            if (!(err instanceof DatabaseError && err.code === '42710')) throw err;
            existing = (await lookSlot(client, slot))!;
          }
        }
        if (existing.slot_type !== 'logical' || existing.plugin !== 'pgoutput' || !existing.here) {
          throw ApplicationFailure.nonRetryable(
            `slot ${slot} exists on ${input.db.host} but is not a logical pgoutput slot of database ${JSON.stringify(input.db.database)}: drop it or choose another replication.slot`,
            'SlotMismatch',
          );
        }
        return { slot, created: false, lsn: existing.confirmed_flush_lsn! };
      });
    },

    /** Ends the walsender that still holds the slot: whoever streams from it is done once we drop it. */
    async dropReplicationSlot(input: SlotInput): Promise<{ slot: string; dropped: boolean }> {
      const slot = checkSlotName(input.slot);
      return pg.run(input.db, async (client) => {
        const deadline = Date.now() + RELEASE_WAIT_MS;
        for (;;) {
          const existing = await lookSlot(client, slot);
          if (!existing) return { slot, dropped: false };
          if (existing.active_pid === null) {
            try {
              await client.query('select pg_drop_replication_slot($1)', [slot]);
              return { slot, dropped: true };
            } catch (err) {
              // 55006: a walsender took the slot again between the look and the drop.
              if (!(err instanceof DatabaseError && err.code === '55006')) throw err;
            }
          } else {
            await client.query('select pg_terminate_backend($1, 5000)', [existing.active_pid]);
          }
          if (Date.now() > deadline) throw new Error(`slot ${slot} stays in use by process ${existing.active_pid ?? 'unknown'}; will retry`);
          await new Promise((r) => setTimeout(r, 200));
        }
      });
    },
  };
}
