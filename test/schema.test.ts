// Seed 7 for real: a PostgreSQL 15 database and its pg_dump restored into 17 and 18 compare equal,
// whatever the versions record differently; DDL on one side shows as readable lines.
import type { Client } from 'pg';
import { normalizeExpression } from '../activities/pg/schema';
import { twice } from './helpers/activity';
import { copyDatabase, dbRef, postgresActivities } from './helpers/pg-activities';
import { startTestCluster, type TestCluster } from './helpers/postgres';

const acts = postgresActivities();
const DB = 'Schema "db"';
let blue: TestCluster;
let greens: TestCluster[];

const DDL = `
  create schema "Sales Dept";
  create schema "x""; DROP TABLE t; --";
  create domain public.positive as int check (value > 0);
  create table public.t (id int primary key);
  create table "Sales Dept"."Orders ""2024""" (
    id bigint generated always as identity primary key,
    "Customer" text not null,
    amount numeric(12, 2) check (amount >= 0),
    qty public.positive,
    gone int,
    created timestamptz default now(),
    t_id int references public.t (id) on delete cascade,
    unique ("Customer", created)
  );
  alter table "Sales Dept"."Orders ""2024""" drop column gone;
  create index "by amount" on "Sales Dept"."Orders ""2024""" (amount) where amount > 100;
  create index on "Sales Dept"."Orders ""2024""" (lower("Customer"));
  create table "x""; DROP TABLE t; --".events (at date not null, kind varchar(20), payload jsonb) partition by range (at);
  create table "x""; DROP TABLE t; --".events_2025 partition of "x""; DROP TABLE t; --".events for values from ('2025-01-01') to ('2026-01-01');
  create index on "x""; DROP TABLE t; --".events (kind);
  alter table "x""; DROP TABLE t; --".events add constraint kind_known check (kind in ('a', 'b')) not valid;
  create sequence "x""; DROP TABLE t; --"."Counter" increment 5 minvalue 10 maxvalue 1000 cache 3 cycle;
  create view "Sales Dept".big_orders as select id, "Customer" from "Sales Dept"."Orders ""2024""" where amount > 100;
  create materialized view "Sales Dept"."Totals" as select "Customer", sum(amount) as total from "Sales Dept"."Orders ""2024""" group by 1;
  create unique index on "Sales Dept"."Totals" ("Customer");
`;

async function inDb(cluster: TestCluster, sql: string): Promise<void> {
  const c: Client = await cluster.connect(DB);
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  [blue, ...greens] = await Promise.all([startTestCluster(15), startTestCluster(17), startTestCluster(18)]);
  for (const cluster of [blue, ...greens]) {
    const admin = await cluster.connect();
    await admin.query(`create database ${admin.escapeIdentifier(DB)}`);
    await admin.end();
  }
  await inDb(blue, DDL);
  await Promise.all(greens.map((green) => copyDatabase(blue, green, DB)));
});

afterAll(async () => {
  await Promise.all([blue, ...(greens ?? [])].map((c) => c?.stop()));
});

describe('compareSchemas', () => {
  it.each([[17, 0], [18, 1]])('finds a 15 database and its restore into %i equal', async (_major, i) => {
    expect(await twice(acts.compareSchemas, { blue: dbRef(blue, DB), green: dbRef(greens[i], DB) })).toEqual([[], []]);
  });

  it('ignores how a restore re-deparses casts and parentheses, and nothing else', () => {
    const blueCheck = "CHECK (((kind)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))) NOT VALID";
    const greenCheck = "CHECK (((kind)::text = ANY (ARRAY[('a'::character varying)::text, ('b'::character varying)::text]))) NOT VALID";
    expect(normalizeExpression(blueCheck)).toBe(normalizeExpression(greenCheck));
    expect(normalizeExpression(`CHECK ((at)::timestamp(3) with time zone > '2020-01-01'::"My Type"[])`)).toBe("CHECK at > '2020-01-01'");
    expect(normalizeExpression('CHECK ((a > 1))')).not.toBe(normalizeExpression('CHECK ((a >= 1))'));
    expect(normalizeExpression("CHECK ((kind = 'a'::text))")).not.toBe(normalizeExpression("CHECK ((kind = 'b'::text))"));
  });

  it('reports each kind of difference as a line naming the object', async () => {
    const green = greens[0];
    await inDb(
      green,
      `alter table "Sales Dept"."Orders ""2024""" alter column "Customer" drop not null, alter column t_id type bigint;
       alter table "Sales Dept"."Orders ""2024""" add column note text;
       drop index "Sales Dept"."by amount";
       create index "by amount" on "Sales Dept"."Orders ""2024""" (amount);
       alter table "x""; DROP TABLE t; --".events drop constraint kind_known;
       drop materialized view "Sales Dept"."Totals";
       create view public.extra as select 1 as one;
       alter sequence "x""; DROP TABLE t; --"."Counter" increment 7;`,
    );
    const diff = await acts.compareSchemas({ blue: dbRef(blue, DB), green: dbRef(green, DB) });
    expect(diff).toEqual(
      expect.arrayContaining([
        'column "Sales Dept"."Orders ""2024""".t_id: BLUE integer null, GREEN bigint null',
        'column "Sales Dept"."Orders ""2024"""."Customer": BLUE text not null, GREEN text null',
        'column "Sales Dept"."Orders ""2024""".note: only on GREEN (text null)',
        'constraint "x""; DROP TABLE t; --".events.kind_known: only on BLUE (CHECK (((kind)::text = ANY ((ARRAY[\'a\'::character varying, \'b\'::character varying])::text[]))) NOT VALID)',
        'materialized view "Sales Dept"."Totals": only on BLUE',
        'view public.extra: only on GREEN',
      ]),
    );
    expect(diff.some((l) => l.startsWith('index "Sales Dept"."by amount": BLUE CREATE INDEX "by amount"') && l.includes('WHERE (amount > (100)::numeric)'))).toBe(true);
    expect(diff.some((l) => l.startsWith('sequence "x""; DROP TABLE t; --"."Counter": BLUE bigint increment 5') && l.includes('GREEN bigint increment 7'))).toBe(true);
    expect(diff).toEqual([...diff].sort());
  });
});
