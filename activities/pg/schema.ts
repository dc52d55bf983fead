// Seed 7: the schema objects of BLUE and GREEN compared over every non-system schema, so that
// DDL run on BLUE since the snapshot is caught before replication breaks on it.
import type { Connect, DatabaseRef } from './connect';

export interface CompareSchemasInput {
  blue: DatabaseRef;
  green: DatabaseRef;
}

// Everything is named with format('%I'), so a line shows a name as one would type it.
// Versions differ in what they record, normalized here: PostgreSQL 18 keeps NOT NULL as
// constraints (contype 'n'), compared through the columns' nullability instead; and a
// dropped column leaves a gap in attnum that a restore does not, so columns compare by name.
const OBJECTS_SQL = `
  with ns as (
    select oid, nspname from pg_namespace
     where nspname not in ('pg_catalog', 'information_schema') and nspname not like 'pg\\_toast%' and nspname not like 'pg\\_temp\\_%'
  )
  select 'schema' as kind, format('%I', nspname) as name, '' as detail from ns
  union all
  select case c.relkind when 'r' then 'table' when 'p' then 'partitioned table' when 'v' then 'view'
                        when 'm' then 'materialized view' else 'foreign table' end,
         format('%I.%I', n.nspname, c.relname), ''
    from pg_class c join ns n on n.oid = c.relnamespace
   where c.relkind in ('r', 'p', 'v', 'm', 'f')
  union all
  select 'column', format('%I.%I.%I', n.nspname, c.relname, a.attname),
         format_type(a.atttypid, a.atttypmod) || case when a.attnotnull then ' not null' else ' null' end
    from pg_attribute a join pg_class c on c.oid = a.attrelid join ns n on n.oid = c.relnamespace
   where c.relkind in ('r', 'p', 'v', 'm', 'f') and a.attnum > 0 and not a.attisdropped
  union all
  select 'index', format('%I.%I', n.nspname, i.relname), pg_get_indexdef(i.oid)
    from pg_index x join pg_class i on i.oid = x.indexrelid join ns n on n.oid = i.relnamespace
  union all
  select 'constraint', format('%I.%I.%I', n.nspname, coalesce(c.relname, t.typname), k.conname), pg_get_constraintdef(k.oid)
    from pg_constraint k join ns n on n.oid = k.connamespace
    left join pg_class c on c.oid = k.conrelid
    left join pg_type t on t.oid = k.contypid
   where k.contype <> 'n'
  union all
  select 'sequence', format('%I.%I', n.nspname, c.relname),
         format('%s increment %s minvalue %s maxvalue %s start %s cache %s%s', format_type(s.seqtypid, null),
                s.seqincrement, s.seqmin, s.seqmax, s.seqstart, s.seqcache, case when s.seqcycle then ' cycle' else '' end)
    from pg_sequence s join pg_class c on c.oid = s.seqrelid join ns n on n.oid = c.relnamespace`;

type Objects = Map<string, string>;

// A type name after "::", with schema, modifiers, multi-word forms and array brackets.
const CAST = /::(?:"(?:[^"]|"")*"|[a-z_][\w$]*)(?:\.(?:"(?:[^"]|"")*"|[a-z_][\w$]*))?(?:\(\d+(?:,\s*\d+)?\))?(?: (?:varying|precision|with time zone|without time zone))?(?:\(\d+\))?(?:\[\])*/gi;

/**
 * What a restore changes in a deparsed expression: it parses the dumped text again, so casts
 * and parentheses come back in other places (ANY ((ARRAY['a'::varchar])::text[]) becomes
 * ANY (ARRAY[('a'::varchar)::text])). Compared without them; columns, operators and
 * constants still count.
 */
export function normalizeExpression(definition: string): string {
  return definition.replace(CAST, '').replace(/[()]/g, '').replace(/\s+/g, ' ').trim();
}

function same(kind: string, a: string, b: string): boolean {
  return a === b || ((kind === 'constraint' || kind === 'index') && normalizeExpression(a) === normalizeExpression(b));
}

async function objects(connect: Connect, db: DatabaseRef): Promise<Objects> {
  return connect(db, async (client) => {
    const { rows } = await client.query<{ kind: string; name: string; detail: string }>(OBJECTS_SQL);
    return new Map(rows.map((r) => [`${r.kind} ${r.name}`, r.detail]));
  });
}

/** Readable differences, one line each, sorted; none when the schemas are equal. */
export function diffObjects(blue: Objects, green: Objects): string[] {
  const lines: string[] = [];
  const show = (detail: string) => (detail ? ` (${detail})` : '');
  for (const [key, detail] of blue) {
    const other = green.get(key);
    if (other === undefined) lines.push(`${key}: only on BLUE${show(detail)}`);
    else if (!same(key.split(' ')[0], detail, other)) lines.push(`${key}: BLUE ${detail}, GREEN ${other}`);
  }
  for (const [key, detail] of green) {
    if (!blue.has(key)) lines.push(`${key}: only on GREEN${show(detail)}`);
  }
  return lines.sort();
}

export function createSchemaActivities(connect: Connect) {
  return {
    async compareSchemas(input: CompareSchemasInput): Promise<string[]> {
      const [blue, green] = await Promise.all([objects(connect, input.blue), objects(connect, input.green)]);
      return diffObjects(blue, green);
    },
  };
}
