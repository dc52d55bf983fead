// Preflight on BLUE, before anything changes: every reason the upgrade would fail or lose
// data, reported at once. Errors stop the upgrade; warnings are shown and it goes on.
import { USER_SCHEMA, type Connect, type DatabaseRef } from './connect';

export interface Findings {
  errors: string[];
  warnings: string[];
}

export interface PreflightInput {
  db: DatabaseRef;
  slot: string;
  publication: string;
  appUsers: string[];
}

// One round trip: each finding a row of (kind, text).
const FINDINGS = `
  with settings as (
    select current_setting('wal_level') as wal_level,
           current_setting('rds.logical_replication', true) as rds_logical,
           current_setting('max_replication_slots')::int as max_slots,
           current_setting('max_wal_senders')::int as max_senders,
           (select count(*) from pg_replication_slots)::int as slots,
           (select count(*) from pg_stat_replication)::int as senders
  )
  select 'error' as kind, 'wal_level is ' || wal_level || ', not logical: set rds.logical_replication = 1 in BLUE''s parameter group and reboot' as text
    from settings where wal_level <> 'logical'
  union all
  select 'error', 'rds.logical_replication is ' || rds_logical || ': set it to 1 in BLUE''s parameter group and reboot'
    from settings where rds_logical is not null and rds_logical not in ('1', 'on')
  union all
  select 'error', format('no free replication slot (%s of max_replication_slots %s in use): raise it or drop an unused slot', slots, max_slots)
    from settings where slots >= max_slots
  union all
  select 'error', format('no free WAL sender (%s of max_wal_senders %s in use): raise it', senders, max_senders)
    from settings where senders >= max_senders
  union all
  select 'error', format('table %I.%I has no primary key and no replica identity: UPDATE and DELETE on it fail once it is published; add a primary key or set REPLICA IDENTITY', n.nspname, c.relname)
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where c.relkind in ('r', 'p') and not c.relispartition and ${USER_SCHEMA}
     and (c.relreplident = 'n' or (c.relreplident = 'd' and not exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisprimary)))
  union all
  select 'error', format('table %I.%I is unlogged: logical replication does not carry it, GREEN would miss its rows; make it logged', n.nspname, c.relname)
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where c.relkind in ('r', 'p') and c.relpersistence = 'u' and ${USER_SCHEMA}
  union all
  select 'error', format('%s large objects: logical replication does not carry them; move them into bytea columns first', count(*))
    from pg_largeobject_metadata having count(*) > 0
  union all
  select 'error', format('prepared transaction %L is open since %s: commit or roll it back (a slot cannot be made while it is)', gid, prepared)
    from pg_prepared_xacts
  union all
  select 'warning', format('event trigger %I fires on %s: DDL it runs on BLUE breaks replication to GREEN', evtname, evtevent)
    from pg_event_trigger where evtenabled <> 'D'
  union all
  select 'warning', 'pg_cron is installed: jobs that run DDL on BLUE during the upgrade break replication to GREEN'
    from pg_extension where extname = 'pg_cron'
  union all
  select 'error', format('the login role %L does not exist: correct appUsers', u)
    from unnest($1::text[]) as u where not exists (select 1 from pg_roles where rolname = u)
  union all
  select 'error', format('a replication slot %L exists already: name another slot, or drop it if an earlier upgrade left it', slot_name)
    from pg_replication_slots where slot_name = $2
  union all
  select 'error', format('a publication %L exists already: name another publication, or drop it if an earlier upgrade left it', pubname)
    from pg_publication where pubname = $3
  union all
  select 'error', format('%I may not create publications, slots and subscriptions: connect as the master user (rds_superuser)', current_user)
   where not exists (select 1 from pg_roles r where r.rolname = current_user
                       and (r.rolsuper or pg_has_role(r.oid, 'rds_superuser', 'member')))
`;

export function createPreflightActivities(connect: Connect) {
  return {
    async preflightBlue(input: PreflightInput): Promise<Findings> {
      return connect(input.db, async (c) => {
        const hasRdsSuperuser = (await c.query("select 1 from pg_roles where rolname = 'rds_superuser'")).rowCount === 1;
        // pg_has_role needs the role to exist; plain PostgreSQL may not have rds_superuser.
        const sql = hasRdsSuperuser ? FINDINGS : FINDINGS.replace("or pg_has_role(r.oid, 'rds_superuser', 'member')", '');
        const { rows } = await c.query<{ kind: 'error' | 'warning'; text: string }>(sql, [input.appUsers, input.slot, input.publication]);
        return {
          errors: rows.filter((r) => r.kind === 'error').map((r) => r.text),
          warnings: rows.filter((r) => r.kind === 'warning').map((r) => r.text),
        };
      });
    },
  };
}
