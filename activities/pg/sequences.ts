// Seed 10.7 and ROLLBACK 4: logical replication leaves sequences behind, so their state is
// copied: every sequence of every schema, last_value and is_called exactly, in one query
// on each side however many there are.
import { ApplicationFailure } from '@temporalio/common';
import { USER_SCHEMA, type Connect, type DatabaseRef } from './connect';

interface SequenceState {
  schema: string;
  name: string;
  lastValue: string;
  isCalled: boolean;
}

// pg_sequences shows NULL for a sequence whose is_called is false, so each is read itself.
const READ = `
  select n.nspname as schema, c.relname as name,
         (xpath('/row/last_value/text()', x))[1]::text as "lastValue",
         (xpath('/row/is_called/text()', x))[1]::text = 'true' as "isCalled"
    from pg_class c join pg_namespace n on n.oid = c.relnamespace,
         query_to_xml(format('select last_value, is_called from %I.%I', n.nspname, c.relname), false, true, '') x
   where c.relkind = 'S' and ${USER_SCHEMA}`;

const WRITE = `
  select s as schema, n as name,
         to_regclass(format('%I.%I', s, n)) is not null
           and setval(format('%I.%I', s, n)::regclass, v, c) is not null as synced
    from unnest($1::text[], $2::text[], $3::bigint[], $4::boolean[]) as t(s, n, v, c)`;

export function createSequenceActivities(connect: Connect) {
  return {
    async syncSequences(input: { source: DatabaseRef; target: DatabaseRef }): Promise<{ sequences: number }> {
      const states = await connect(input.source, async (c) => (await c.query<SequenceState>(READ)).rows);
      const written = await connect(input.target, async (c) =>
        (
          await c.query<{ schema: string; name: string; synced: boolean }>(WRITE, [
            states.map((s) => s.schema),
            states.map((s) => s.name),
            states.map((s) => s.lastValue),
            states.map((s) => s.isCalled),
          ])
        ).rows,
      );
      const missing = written.filter((w) => !w.synced);
      if (missing.length > 0) {
        throw ApplicationFailure.nonRetryable(
          `Sequences missing on ${input.target.host}:${input.target.port}: ${missing.map((m) => `${m.schema}.${m.name}`).join(', ')}`,
          'SequencesMissing',
        );
      }
      return { sequences: written.length };
    },
  };
}
