// Seed 6 and 11: the replication set-up on each side, every check reported.
import { ApplicationFailure } from '@temporalio/common';
import type { Connect, DatabaseRef } from './connect';

export interface CheckResult {
  check: string;
  ok: boolean;
}

export function createCheckActivities(connect: Connect) {
  return {
    /**
     * Seed 6 (publisher BLUE, subscriber GREEN) and seed 11 (publisher GREEN, subscriber
     * BLUE): every check is run and reported; any failed one fails the activity for good.
     */
    async runChecks(input: { publisher: DatabaseRef; subscriber: DatabaseRef; role: string; publication: string; subscription: string }): Promise<CheckResult[]> {
      const onPublisher = await connect(input.publisher, async (c) => {
        const { rows } = await c.query<{ role: boolean; publication: boolean; wal: boolean }>(
          // Membership of rds_replication gives the right to replicate on RDS only (where
          // rds.extensions is set); plain PostgreSQL needs the REPLICATION attribute.
          `select exists (select 1 from pg_roles r where r.rolname = $1 and (r.rolreplication
                    or (current_setting('rds.extensions', true) is not null
                        and exists (select 1 from pg_auth_members m join pg_roles g on g.oid = m.roleid where m.member = r.oid and g.rolname = 'rds_replication')))) as role,
                  exists (select 1 from pg_publication where pubname = $2 and puballtables and pubinsert and pubupdate and pubdelete and pubtruncate) as publication,
                  exists (select 1 from pg_settings where name = 'wal_level' and setting = 'logical') as wal`,
          [input.role, input.publication],
        );
        return rows[0];
      });
      const onSubscriber = await connect(input.subscriber, async (c) => {
        const { rows } = await c.query<{ subscription: boolean }>(
          'select exists (select 1 from pg_subscription where subname = $1 and subdbid = (select oid from pg_database where datname = current_database())) as subscription',
          [input.subscription],
        );
        return rows[0];
      });
      const p = input.publisher.host;
      const s = input.subscriber.host;
      const results: CheckResult[] = [
        { check: `role ${input.role} may replicate on ${p}:${input.publisher.port}`, ok: onPublisher.role },
        { check: `publication ${input.publication} of all tables on ${p}:${input.publisher.port}`, ok: onPublisher.publication },
        { check: `wal_level is logical on ${p}:${input.publisher.port}`, ok: onPublisher.wal },
        { check: `subscription ${input.subscription} exists on ${s}:${input.subscriber.port}`, ok: onSubscriber.subscription },
      ];
      const failed = results.filter((r) => !r.ok);
      if (failed.length > 0) {
        throw ApplicationFailure.nonRetryable(`Replication checks failed: ${failed.map((r) => r.check).join('; ')}`, 'ChecksFailed', results);
      }
      return results;
    },
  };
}
