// A stand-in application for the demo, the end-to-end tests and the benchmark: it keeps
// inserting rows and bumping counters, each in its own transaction, on whichever side
// serves, and remembers every commit so that the run can prove none was lost or doubled.
import { Client } from 'pg';

export interface WriterTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

export interface WriterStats {
  commits: number;
  failures: number;
  /** Longest time between two successful commits, in ms: the write freeze. */
  longestGapMs: number;
  /** The ids of every committed insert, in commit order. */
  ids: number[];
  /** Counter bumps that committed: they are not idempotent, so a change applied twice shows. */
  bumps: number;
  /** When each commit returned (ms since the epoch), and how long its transaction took. */
  commitAt: number[];
  latencyMs: number[];
}

export const WRITER_SCHEMA = `
  create table public.orders (id bigserial primary key, note text not null, created_at timestamptz not null default now());
  create table public.counters (id int primary key, n bigint not null default 0);
  insert into public.counters (id) select generate_series(1, 10);
`;

export class Writer {
  private running = false;
  private loop?: Promise<void>;
  private client?: Client;
  private lastCommit = 0;
  readonly stats: WriterStats = { commits: 0, failures: 0, longestGapMs: 0, ids: [], bumps: 0, commitAt: [], latencyMs: [] };

  private choice = 0;

  /**
   * targets() names where the application may write: the side traffic was moved to, or
   * several sides, tried in turn after a failure until one takes the writes. A transaction
   * starts every intervalMs (a fixed rate), or at once when the last one took longer.
   */
  constructor(
    private readonly targets: () => WriterTarget[],
    private readonly intervalMs = 20,
  ) {}

  start(): void {
    this.running = true;
    this.lastCommit = Date.now();
    this.loop = this.run();
  }

  async stop(): Promise<WriterStats> {
    this.running = false;
    await this.loop;
    await this.client?.end().catch(() => undefined);
    return this.stats;
  }

  private async run(): Promise<void> {
    let connectedTo = '';
    while (this.running) {
      const targets = this.targets();
      const target = targets[this.choice % targets.length];
      const key = `${target.host}:${target.port}`;
      const started = Date.now();
      try {
        if (!this.client || key !== connectedTo) {
          await this.client?.end().catch(() => undefined);
          this.client = undefined;
          const client = new Client({ ...target, connectionTimeoutMillis: 2000 });
          client.on('error', () => undefined);
          await client.connect();
          this.client = client;
          connectedTo = key;
        }
        const { rows } = await this.client.query<{ id: string }>(
          `with o as (insert into public.orders (note) values (md5(random()::text)) returning id),
                c as (update public.counters set n = n + 1 where id = 1 + (select id from o) % 10 returning n)
           select id from o, c`,
        );
        const now = Date.now();
        this.stats.longestGapMs = Math.max(this.stats.longestGapMs, now - this.lastCommit);
        this.lastCommit = now;
        this.stats.commits += 1;
        this.stats.bumps += 1;
        this.stats.ids.push(Number(rows[0].id));
        this.stats.commitAt.push(now);
        this.stats.latencyMs.push(now - started);
      } catch {
        // Refused logins and terminated sessions during the cutover land here: retry.
        this.stats.failures += 1;
        this.choice += 1;
        await this.client?.end().catch(() => undefined);
        this.client = undefined;
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      const wait = this.intervalMs - (Date.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
}
