// Clusters of the two majors an upgrade spans start, run as configured and stop.
import { startTestCluster } from './helpers/postgres';

describe.each([15, 17])('a PostgreSQL %i cluster', (major) => {
  it('runs with logical replication on and reports its version', async () => {
    const cluster = await startTestCluster(major);
    try {
      const client = await cluster.connect();
      try {
        const { rows } = await client.query<{ v: string; wal: string; rds: string }>(
          "select current_setting('server_version_num') v, current_setting('wal_level') wal, current_setting('rds.logical_replication') rds",
        );
        expect(Math.floor(Number(rows[0].v) / 10000)).toBe(major);
        expect(rows[0].wal).toBe('logical');
        expect(rows[0].rds).toBe('1');
      } finally {
        await client.end();
      }
    } finally {
      await cluster.stop();
    }
  });
});
