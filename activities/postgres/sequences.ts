// Seeds 10.7 and ROLLBACK 4: logical replication carries no sequences, so every sequence of every
// schema is copied to the side that starts serving: last_value and is_called exactly, one
// statement on each side whatever their number, so the write freeze does not grow with them.
import { ApplicationFailure } from '@temporalio/common';
import type { Connector, DatabaseRef } from './connection';

export interface SyncSequencesInput {
  source: DatabaseRef;
  target: DatabaseRef;
}

// pg_sequences.last_value is NULL while is_called is false: each sequence is read itself.
const READ_SQL = `
  select n.nspname as schema, c.relname as name,
         (xpath('/row/last_value/text()', x))[1]::text as last_value,
         (xpath('/row/is_called/text()', x))[1]::text = 'true' as is_called
    from pg_class c join pg_namespace n on n.oid = c.relnamespace,
         query_to_xml(format('select last_value, is_called from %I.%I', n.nspname, c.relname), false, true, '') x
   where c.relkind = 'S' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_temp\\_%'`;

// Sets nothing unless every sequence exists on the target, and says which do not.
const WRITE_SQL = `
  with wanted as (
    select w.schema, w.name, w.last_value, w.is_called, c.oid
      from unnest($1::text[], $2::text[], $3::bigint[], $4::boolean[]) as w(schema, name, last_value, is_called)
      left join (pg_class c join pg_namespace n on n.oid = c.relnamespace) on n.nspname = w.schema and c.relname = w.name and c.relkind = 'S'
  ), missing as (
    select format('%I.%I', schema, name) as name from wanted where oid is null
  ), applied as (
    select setval(oid, last_value, is_called) from wanted where not exists (select 1 from missing)
  )
  select (select count(*) from applied)::int as applied, (select coalesce(array_agg(name order by name), '{}') from missing) as missing`;

export function sequenceActivities(pg: Connector) {
  return {
    async syncSequences(input: SyncSequencesInput): Promise<{ sequences: number }> {
      const source = await pg.run(input.source, async (client) =>
        (await client.query<{ schema: string; name: string; last_value: string; is_called: boolean }>(READ_SQL)).rows,
      );
      const result = await pg.run(input.target, async (client) =>
        (
          await client.query<{ applied: number; missing: string[] }>(WRITE_SQL, [
            source.map((s) => s.schema),
            source.map((s) => s.name),
            source.map((s) => s.last_value),
            source.map((s) => s.is_called),
          ])
        ).rows[0],
      );
      if (result.missing.length > 0) {
        throw ApplicationFailure.nonRetryable(
          `sequences ${result.missing.join(', ')} exist on ${input.source.host} but not on ${input.target.host}: create them there (DDL since the snapshot?); no sequence was changed`,
          'SequenceMissing',
        );
      }
      return { sequences: result.applied };
    },
  };
}
