// Seed 9.2: GREEN's statistics and bloat after the restore: VACUUM as configured, then ANALYZE
// (planner statistics do not survive a major upgrade). It may run for hours, so it heartbeats.
import { ApplicationFailure } from '@temporalio/common';
import { whileHeartbeating } from '../heartbeat';
import type { Connector, DatabaseRef } from './connection';

export interface MaintainInput {
  db: DatabaseRef;
  analyze: boolean;
  vacuum: 'none' | 'vacuum' | 'full';
}

const VACUUM_SQL = { none: undefined, vacuum: 'vacuum', full: 'vacuum (full)' } as const;

export function maintenanceActivities(pg: Connector) {
  return {
    async maintainGreen(input: MaintainInput): Promise<{ vacuum: MaintainInput['vacuum']; analyzed: boolean }> {
      if (!(input.vacuum in VACUUM_SQL)) {
        throw ApplicationFailure.nonRetryable(`vacuum ${JSON.stringify(input.vacuum)} must be "none", "vacuum" or "full"`, 'InvalidInput');
      }
      const statements = [VACUUM_SQL[input.vacuum], input.analyze ? 'analyze' : undefined].filter((s): s is string => s !== undefined);
      return pg.run(input.db, (client) =>
        whileHeartbeating({ vacuum: input.vacuum, analyze: input.analyze }, async () => {
          // A role's statement_timeout must not cut a long VACUUM short; a cancelled activity
          // closes the connection, and the server notices within the check interval.
          await client.query("set statement_timeout = 0; set client_connection_check_interval = '10s'");
          for (const sql of statements) await client.query(sql);
          return { vacuum: input.vacuum, analyzed: input.analyze };
        }),
      );
    },
  };
}
