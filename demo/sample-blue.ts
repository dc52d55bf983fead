// A BLUE to upgrade: a PostgreSQL 15 instance on the local RDS with tables and sequences
// in several schemas (names that need quoting included), application login roles, and
// the writer's tables.
import { CreateDBInstanceCommand, DescribeDBInstancesCommand, waitUntilDBInstanceAvailable, type RDSClient } from '@aws-sdk/client-rds';
import { Client } from 'pg';
import { WRITER_SCHEMA, type WriterTarget } from './writer';

export const APP_USERS = ['app_writer', 'Report Reader'];

export interface SampleBlue {
  instanceId: string;
  host: string;
  port: number;
  database: string;
  master: { user: string; password: string };
  /** The application's login, as the writer uses it. */
  app: WriterTarget;
}

const SAMPLE_SCHEMA = `
  create schema "Sales";
  create table "Sales"."Customer Notes" (id bigserial primary key, customer text not null, note text);
  insert into "Sales"."Customer Notes" (customer, note) select 'customer ' || i, repeat('x', i % 50) from generate_series(1, 2000) i;
  create schema billing;
  create sequence billing.invoice_no start 1000;
  create sequence billing.unused_no;
  create table billing.invoices (no bigint primary key default nextval('billing.invoice_no'), total numeric(12,2) not null);
  insert into billing.invoices (total) select i * 3.25 from generate_series(1, 300) i;
  create view billing.big_invoices as select * from billing.invoices where total > 500;
`;

export async function createSampleBlue(rds: RDSClient, options: { instanceId: string; masterPassword: string; appPassword: string; rows?: number }): Promise<SampleBlue> {
  const database = 'app';
  await rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: options.instanceId,
      Engine: 'postgres',
      EngineVersion: '15',
      DBInstanceClass: 'db.t3.micro',
      AllocatedStorage: 20,
      MasterUsername: 'master',
      MasterUserPassword: options.masterPassword,
      DBName: database,
    }),
  );
  await waitUntilDBInstanceAvailable({ client: rds, minDelay: 1, maxDelay: 1, maxWaitTime: 300 }, { DBInstanceIdentifier: options.instanceId });
  const instance = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: options.instanceId }))).DBInstances![0];
  const host = instance.Endpoint!.Address!;
  const port = instance.Endpoint!.Port!;
  const client = new Client({ host, port, database, user: 'master', password: options.masterPassword });
  await client.connect();
  try {
    await client.query(WRITER_SCHEMA);
    await client.query(SAMPLE_SCHEMA);
    if (options.rows) await client.query(`insert into public.orders (note) select md5(i::text) from generate_series(1, ${Number(options.rows)}) i`);
    for (const user of APP_USERS) {
      const role = client.escapeIdentifier(user);
      await client.query(`create role ${role} login password ${client.escapeLiteral(options.appPassword)}`);
      await client.query(`grant usage on schema public, "Sales", billing to ${role}`);
      await client.query(`grant select, insert, update, delete on all tables in schema public, "Sales", billing to ${role}`);
      await client.query(`grant usage, select on all sequences in schema public, "Sales", billing to ${role}`);
    }
  } finally {
    await client.end();
  }
  return {
    instanceId: options.instanceId,
    host,
    port,
    database,
    master: { user: 'master', password: options.masterPassword },
    app: { host, port, database, user: APP_USERS[0], password: options.appPassword },
  };
}
