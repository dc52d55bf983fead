// The data of BLUE and GREEN compared: for every table of every schema the row count and an
// order-stable hash of its rows, for every sequence last_value and is_called. Used by the
// demo and the end-to-end tests to show that nothing was lost or applied twice.
import type { Client } from 'pg';

export interface TableDigest {
  rows: number;
  hash: string;
}

export interface DataDigest {
  tables: Record<string, TableDigest>;
  sequences: Record<string, { lastValue: string; isCalled: boolean }>;
}

export interface Comparison {
  tablesEqual: boolean;
  sequencesEqual: boolean;
  differences: string[];
}

const USER_SCHEMAS = "n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%' and n.nspname not like 'pg_temp%'";

/**
 * One query per side. A table's hash is the sum of its rows' hashes (whole-row text, so
 * every column counts): it does not depend on row order and streams through a table of
 * any size. A sequence is read from itself, since pg_sequences shows NULL for one whose
 * is_called is false.
 */
export async function digest(client: Client): Promise<DataDigest> {
  const { rows } = await client.query<{ kind: string; name: string; a: string; b: string }>(`
    select 'table' as kind, format('%I.%I', n.nspname, c.relname) as name,
           (xpath('/row/n/text()', x))[1]::text as a, (xpath('/row/h/text()', x))[1]::text as b
      from pg_class c join pg_namespace n on n.oid = c.relnamespace,
           query_to_xml(format('select count(*) as n, coalesce(sum((%L || substr(md5(t::text), 1, 16))::bit(64)::bigint::numeric), 0) as h from %I.%I t',
                               'x', n.nspname, c.relname), false, true, '') x
     where c.relkind in ('r', 'p') and not c.relispartition and ${USER_SCHEMAS}
    union all
    select 'sequence', format('%I.%I', n.nspname, c.relname),
           (xpath('/row/last_value/text()', x))[1]::text, (xpath('/row/is_called/text()', x))[1]::text
      from pg_class c join pg_namespace n on n.oid = c.relnamespace,
           query_to_xml(format('select last_value, is_called from %I.%I', n.nspname, c.relname), false, true, '') x
     where c.relkind = 'S' and ${USER_SCHEMAS}`);
  const result: DataDigest = { tables: {}, sequences: {} };
  for (const r of rows) {
    if (r.kind === 'table') result.tables[r.name] = { rows: Number(r.a), hash: r.b };
    else result.sequences[r.name] = { lastValue: r.a, isCalled: r.b === 'true' };
  }
  return result;
}

export function compare(blue: DataDigest, green: DataDigest): Comparison {
  const differences: string[] = [];
  const names = (a: object, b: object) => [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  let tablesEqual = true;
  for (const name of names(blue.tables, green.tables)) {
    const b = blue.tables[name];
    const g = green.tables[name];
    if (!b || !g) differences.push(`table ${name} only on ${b ? 'BLUE' : 'GREEN'}`);
    else if (b.rows !== g.rows) differences.push(`table ${name}: ${b.rows} rows on BLUE, ${g.rows} on GREEN`);
    else if (b.hash !== g.hash) differences.push(`table ${name}: same row count (${b.rows}), different rows`);
    else continue;
    tablesEqual = false;
  }
  let sequencesEqual = true;
  for (const name of names(blue.sequences, green.sequences)) {
    const b = blue.sequences[name];
    const g = green.sequences[name];
    if (!b || !g) differences.push(`sequence ${name} only on ${b ? 'BLUE' : 'GREEN'}`);
    else if (b.lastValue !== g.lastValue || b.isCalled !== g.isCalled) {
      differences.push(`sequence ${name}: BLUE ${b.lastValue} (is_called ${b.isCalled}), GREEN ${g.lastValue} (is_called ${g.isCalled})`);
    } else continue;
    sequencesEqual = false;
  }
  return { tablesEqual, sequencesEqual, differences };
}
