// The data comparison of BLUE and GREEN on real 15 and 17 servers: equal data is equal
// whatever the row order; a changed row, a missing row or a sequence state is a difference.
import type { Client } from 'pg';
import { compare, digest } from '../lib/verify';
import { startTestCluster, type TestCluster } from './helpers/postgres';

let blue: TestCluster;
let green: TestCluster;
let b: Client;
let g: Client;

const SCHEMA = `
  create schema "Sales Data";
  create table "Sales Data"."Orders" (id bigserial primary key, note text, amount numeric(10,2), at timestamptz);
  create table public.plain (k int primary key, v text);
  create sequence public.never_used;
`;

beforeAll(async () => {
  [blue, green] = await Promise.all([startTestCluster(15), startTestCluster(17)]);
  [b, g] = await Promise.all([blue.connect(), green.connect()]);
  for (const c of [b, g]) await c.query(SCHEMA);
  await b.query(`insert into "Sales Data"."Orders" (note, amount, at) select 'n' || i, i * 1.5, '2026-01-01'::timestamptz + i * interval '1 hour' from generate_series(1, 500) i`);
  await b.query(`insert into public.plain select i, md5(i::text) from generate_series(1, 100) i`);
  // The same rows on GREEN, inserted in another order.
  await g.query(`insert into "Sales Data"."Orders" (id, note, amount, at) select i, 'n' || i, i * 1.5, '2026-01-01'::timestamptz + i * interval '1 hour' from generate_series(500, 1, -1) i`);
  await g.query(`insert into public.plain select i, md5(i::text) from generate_series(100, 1, -1) i`);
  await g.query(`select setval('"Sales Data"."Orders_id_seq"', 500, true)`);
});

afterAll(async () => {
  await Promise.all([b?.end(), g?.end()]);
  await Promise.all([blue?.stop(), green?.stop()]);
});

describe('verify', () => {
  it('finds equal data equal across versions and row orders', async () => {
    const result = compare(await digest(b), await digest(g));
    expect(result).toEqual({ tablesEqual: true, sequencesEqual: true, differences: [] });
    const d = await digest(b);
    expect(d.tables['"Sales Data"."Orders"'].rows).toBe(500);
    expect(d.sequences['public.never_used']).toEqual({ lastValue: '1', isCalled: false });
  });

  it('names every difference', async () => {
    await g.query(`update "Sales Data"."Orders" set amount = amount + 0.01 where id = 7`);
    await g.query('delete from public.plain where k = 3');
    await g.query(`select nextval('public.never_used')`);
    const result = compare(await digest(b), await digest(g));
    expect(result.tablesEqual).toBe(false);
    expect(result.sequencesEqual).toBe(false);
    expect(result.differences).toEqual([
      'table "Sales Data"."Orders": same row count (500), different rows',
      'table public.plain: 100 rows on BLUE, 99 on GREEN',
      'sequence public.never_used: BLUE 1 (is_called false), GREEN 1 (is_called true)',
    ]);
  });
});
