// Seeds 6 and 11: before replication starts, and again before GREEN opens, the publishing side
// has the replication role, the publication and wal_level = logical, and the other side the subscription.
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from 'pg';
import type { Connector, DatabaseRef } from './connection';
import { checkIdentifier } from './names';
import { COMPLETE_PUBLICATION } from './publication';

export interface ChecksInput {
  /** The publishing side: BLUE before cutover, GREEN after it. */
  blue: DatabaseRef;
  /** The subscribing side. */
  green: DatabaseRef;
  role: string;
  publication: string;
  subscription: string;
  /** Which of the two holds the subscription; 'green' unless said otherwise. */
  subscriptionOn?: 'blue' | 'green';
}

export interface CheckResult {
  check: string;
  ok: boolean;
  detail: string;
}

async function publisherChecks(client: Client, input: ChecksInput): Promise<CheckResult[]> {
  const { rows } = await client.query<{
    role_exists: boolean;
    can_login: boolean;
    attribute: boolean;
    member: boolean;
    on_rds: boolean;
    publication_exists: boolean;
    publication_complete: boolean;
    wal_level: string;
  }>(
    `select exists (select 1 from pg_roles where rolname = $1) as role_exists,
            coalesce((select rolcanlogin from pg_roles where rolname = $1), false) as can_login,
            coalesce((select rolreplication from pg_roles where rolname = $1), false) as attribute,
            exists (select 1 from pg_roles r join pg_auth_members m on m.member = r.oid join pg_roles g on g.oid = m.roleid
                     where r.rolname = $1 and g.rolname = 'rds_replication') as member,
            current_setting('rds.extensions', true) is not null as on_rds,
            exists (select 1 from pg_publication where pubname = $2) as publication_exists,
            exists (select 1 from pg_publication where pubname = $2 and ${COMPLETE_PUBLICATION}) as publication_complete,
            current_setting('wal_level') as wal_level`,
    [input.role, input.publication],
  );
  const r = rows[0];
  // rds_replication membership gives the right only on RDS itself, not on plain PostgreSQL.
  const canReplicate = r.attribute || (r.member && r.on_rds);
  const where = `${input.blue.host}:${input.blue.port}`;
  return [
    {
      check: 'replication role',
      ok: r.role_exists && r.can_login && canReplicate,
      detail: !r.role_exists
        ? `no role ${JSON.stringify(input.role)} on ${where}`
        : `${JSON.stringify(input.role)} on ${where}: ${r.can_login ? 'LOGIN' : 'NOLOGIN'}, ${[r.attribute && 'REPLICATION attribute', r.member && `member of rds_replication${r.on_rds ? '' : ' (grants nothing outside RDS)'}`].filter(Boolean).join(', ') || 'no replication right'}`,
    },
    {
      check: 'publication',
      ok: r.publication_complete,
      detail: `${JSON.stringify(input.publication)} on ${where}: ${!r.publication_exists ? 'missing' : r.publication_complete ? 'FOR ALL TABLES, insert, update, delete, truncate' : 'exists but not FOR ALL TABLES with every kind of change'}`,
    },
    { check: 'wal_level', ok: r.wal_level === 'logical', detail: `wal_level = ${r.wal_level} on ${where}` },
  ];
}

async function subscriberCheck(client: Client, db: DatabaseRef, subscription: string): Promise<CheckResult> {
  const { rows } = await client.query<{ enabled: boolean | null }>(
    'select (select subenabled from pg_subscription where subname = $1 and subdbid = (select oid from pg_database where datname = current_database())) as enabled',
    [subscription],
  );
  const enabled = rows[0].enabled;
  return {
    check: 'subscription',
    ok: enabled !== null,
    detail: `${JSON.stringify(subscription)} on ${db.host}:${db.port}: ${enabled === null ? 'missing' : enabled ? 'enabled' : 'disabled'}`,
  };
}

export function checkActivities(pg: Connector) {
  return {
    /** Every check's outcome; fails for good, listing them all, when any is not ok. */
    async runChecks(input: ChecksInput): Promise<CheckResult[]> {
      checkIdentifier(input.role, 'role');
      checkIdentifier(input.publication, 'publication');
      checkIdentifier(input.subscription, 'subscription');
      const subscriberDb = input.subscriptionOn === 'blue' ? input.blue : input.green;
      const results = [
        ...(await pg.run(input.blue, (client) => publisherChecks(client, input))),
        await pg.run(subscriberDb, (client) => subscriberCheck(client, subscriberDb, input.subscription)),
      ];
      const failed = results.filter((r) => !r.ok);
      if (failed.length > 0) {
        throw ApplicationFailure.nonRetryable(`checks failed: ${failed.map((f) => `${f.check}: ${f.detail}`).join('; ')}`, 'ChecksFailed', results);
      }
      return results;
    },
  };
}
