// Seed 1.2 and 11.2: the publication FOR ALL TABLES that the subscription reads, on BLUE and
// (for the way back) on GREEN, where it usually arrives with the snapshot.
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from 'pg';
import type { Connector, DatabaseRef } from './connection';
import { OURS, isOurs } from './marker';
import { checkIdentifier } from './names';

export interface PublicationInput {
  db: DatabaseRef;
  publication: string;
}

interface PublicationRow {
  complete: boolean;
  comment: string | null;
}

/** The attributes seed 6.2 asks for: all tables, every kind of change. */
export const COMPLETE_PUBLICATION = 'puballtables and pubinsert and pubupdate and pubdelete and pubtruncate';

async function lookPublication(client: Client, publication: string): Promise<PublicationRow | undefined> {
  const { rows } = await client.query<PublicationRow>(
    `select ${COMPLETE_PUBLICATION} as complete, obj_description(oid, 'pg_publication') as comment from pg_publication where pubname = $1`,
    [publication],
  );
  return rows[0];
}

export function publicationActivities(pg: Connector) {
  return {
    async createPublication(input: PublicationInput): Promise<{ publication: string; created: boolean }> {
      const publication = checkIdentifier(input.publication, 'publication');
      return pg.run(input.db, async (client) => {
        const existing = await lookPublication(client, publication);
        if (existing && !existing.complete) {
          throw ApplicationFailure.nonRetryable(
            `publication ${JSON.stringify(publication)} exists on ${input.db.host} but is not FOR ALL TABLES publishing insert, update, delete and truncate: drop it or choose another replication.publication`,
            'PublicationMismatch',
          );
        }
        if (existing) return { publication, created: false };
        const ident = client.escapeIdentifier(publication);
        await client.query('begin');
        try {
          await client.query(`create publication ${ident} for all tables`);
          await client.query(`comment on publication ${ident} is ${client.escapeLiteral(OURS)}`);
          await client.query('commit');
        } catch (err) {
          await client.query('rollback').catch(() => undefined);
          throw err;
        }
        return { publication, created: true };
      });
    },

    /** Compensation: drops the publication only when this tool created it. */
    async dropPublication(input: PublicationInput): Promise<{ publication: string; dropped: boolean; reason?: string }> {
      const publication = checkIdentifier(input.publication, 'publication');
      return pg.run(input.db, async (client) => {
        const existing = await lookPublication(client, publication);
        if (!existing) return { publication, dropped: false, reason: 'no such publication' };
        if (!isOurs(existing.comment)) return { publication, dropped: false, reason: 'the publication existed before the upgrade' };
        await client.query(`drop publication ${client.escapeIdentifier(publication)}`);
        return { publication, dropped: true };
      });
    },
  };
}
