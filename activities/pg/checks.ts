// Seed 6 and 11 (the replication set-up on each side) and seed 7 (the schema objects of
// BLUE and GREEN compared, so that DDL on one side is found before it breaks replication).
import { ApplicationFailure } from '@temporalio/common';
import { USER_SCHEMA, type Connect, type DatabaseRef } from './connect';

export interface CheckResult {
  check: string;
  ok: boolean;
}

// One line per object, in words that read well in a diff; definitions where they are
// stable across major versions, names where they are not (view bodies, constraint text).
const SCHEMA_OBJECTS = `
  select 'table ' || format('%I.%I', n.nspname, c.relname) as line
    from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p', 'f') and ${USER_SCHEMA}
  union all
  select 'column ' || format('%I.%I.%I', n.nspname, c.relname, a.attname) || ' ' || format_type(a.atttypid, a.atttypmod) || case when a.attnotnull then ' not null' else ' null' end
    from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
   where c.relkind in ('r', 'p', 'f', 'v', 'm') and a.attnum > 0 and not a.attisdropped and ${USER_SCHEMA}
  union all
  select 'index ' || pg_get_indexdef(i.indexrelid)
    from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace where ${USER_SCHEMA}
  union all
  select 'view ' || format('%I.%I', n.nspname, c.relname)
    from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind = 'v' and ${USER_SCHEMA}
  union all
  select 'materialized view ' || format('%I.%I', n.nspname, c.relname)
    from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind = 'm' and ${USER_SCHEMA}
  union all
  -- NOT NULL constraints became catalog rows in PostgreSQL 18; columns cover them already.
  select 'constraint ' || format('%I.%I', n.nspname, con.conname) || ' (' || con.contype::text || ') on ' || coalesce(format('%I', cl.relname), 'a type')
    from pg_constraint con join pg_namespace n on n.oid = con.connamespace left join pg_class cl on cl.oid = con.conrelid
   where con.contype <> 'n' and ${USER_SCHEMA}
  union all
  select 'sequence ' || format('%I.%I', n.nspname, c.relname) || ' ' || format_type(s.seqtypid, null)
    from pg_class c join pg_namespace n on n.oid = c.relnamespace join pg_sequence s on s.seqrelid = c.oid where ${USER_SCHEMA}
  order by 1`;

export function createCheckActivities(connect: Connect) {
  return {
    /**
     * Seed 6 (publisher BLUE, subscriber GREEN) and seed 11 (publisher GREEN, subscriber
     * BLUE): every check is run and reported; any failed one fails the activity for good.
     */
    async runChecks(input: { publisher: DatabaseRef; subscriber: DatabaseRef; role: string; publication: string; subscription: string }): Promise<CheckResult[]> {
      const onPublisher = await connect(input.publisher, async (c) => {
        const { rows } = await c.query<{ role: boolean; publication: boolean; wal: boolean }>(
          `select exists (select 1 from pg_roles r where r.rolname = $1 and (r.rolreplication
                    or exists (select 1 from pg_auth_members m join pg_roles g on g.oid = m.roleid where m.member = r.oid and g.rolname = 'rds_replication'))) as role,
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

    /** Seed 7: the readable difference of the two schemas, empty when they are the same. */
    async compareSchemas(input: { blue: DatabaseRef; green: DatabaseRef }): Promise<string[]> {
      const read = (db: DatabaseRef) => connect(db, async (c) => (await c.query<{ line: string }>(SCHEMA_OBJECTS)).rows.map((r) => r.line));
      const [blue, green] = await Promise.all([read(input.blue), read(input.green)]);
      const inGreen = new Set(green);
      const inBlue = new Set(blue);
      return [...blue.filter((l) => !inGreen.has(l)).map((l) => `only on BLUE:  ${l}`), ...green.filter((l) => !inBlue.has(l)).map((l) => `only on GREEN: ${l}`)];
    },
  };
}
