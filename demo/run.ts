// An upgrade under load on the local stack: the writer keeps committing on whichever side
// serves, approvals go in as an operator would send them, and at the end BLUE and GREEN
// are compared. The demo and the end-to-end tests run this.
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import type { WorkflowHandle } from '@temporalio/client';
import { Client } from 'pg';
import { compare, digest, type Comparison } from '../lib/verify';
import { statusQuery, type UpgradeStatus } from '../workflows/messages';
import { blueGreenUpgrade } from '../workflows';
import type { Stack } from './stack';
import { Writer, type WriterTarget } from './writer';

export interface UpgradeReport {
  workflowId: string;
  outcome: string;
  phases: Array<{ name: string; durationMs: number }>;
  /** The longest gap between two commits (of any writer) over the time the cutover held writes: the write freeze. */
  writeFreezeMs: number;
  /** When the freeze began and ended (the two commits around the longest gap), ms since the epoch. */
  freezeFrom: number;
  freezeTo: number;
  /** The longest gap between commits at any other time (snapshots and restores on a busy machine). */
  longestGapElsewhereMs: number;
  /** Commit latency of the transactions that committed from 5 s before the cutover to 5 s after it. */
  commitP50Ms: number;
  commitP99Ms: number;
  writers: number;
  /** The rate all writers together aimed at, transactions per second. */
  rateTps: number;
  /** Whether the application went through PgBouncer, which the upgrade switched. */
  viaPgbouncer: boolean;
  failedTransactions: number;
  committedTransactions: number;
  /** Commits after the last move of traffic: the application went on on the new side. */
  commitsAfterMove: number;
  tablesEqual: boolean;
  /** Sequences of BLUE and GREEN equal when traffic moved; undefined through PgBouncer, where writes go on on GREEN at once. */
  sequencesEqual?: boolean;
  /** The serving side's orders sequence is past every committed id: no insert will collide. */
  sequenceAheadOfRows: boolean;
  rowsMissing: number;
  countersMatchRows: boolean;
  differences: string[];
}

export interface RunOptions {
  workflowId: string;
  /** Wait for approvals from an operator instead of sending them. */
  manual: boolean;
  /** After cutover, roll back to BLUE instead of finalizing. */
  rollback: boolean;
  initialRows: number;
  log: (line: string) => void;
  /** Called with each status read: the durability tests kill and restart parts here. */
  onStatus?: (status: UpgradeStatus) => Promise<void>;
  /** Writer clients, each starting a transaction every intervalMs (default 1 every 20 ms). */
  writers?: number;
  intervalMs?: number;
}

export async function runUpgradeUnderLoad(stack: Stack, options: RunOptions): Promise<UpgradeReport> {
  const { log, workflowId } = options;
  const { blue } = stack;
  const master = blue.master;
  let serving: WriterTarget = blue.app;
  let green: WriterTarget | undefined;
  // Through PgBouncer the application keeps one address and the upgrade moves what is behind it.
  const pgbouncer = stack.pgbouncer ? { ...blue.app, host: stack.pgbouncer.host, port: stack.pgbouncer.port } : undefined;
  const intervalMs = options.intervalMs ?? 20;
  const writers = Array.from({ length: options.writers ?? 1 }, () => new Writer(() => [pgbouncer ?? serving], intervalMs));
  const commits = () => writers.reduce((n, w) => n + w.stats.commits, 0);
  writers.forEach((w) => w.start());
  try {
    const handle = await stack.client.workflow.start(blueGreenUpgrade, {
      taskQueue: stack.taskQueue,
      workflowId,
      staticSummary: `Upgrade ${blue.instanceId} to ${stack.target17}`,
      args: [stack.upgradeInput()],
    });
    log(`upgrade ${workflowId} started${stack.uiUrl ? `: ${stack.uiUrl}/namespaces/default/workflows/${workflowId}` : ''}`);
    const cli = `TEMPORAL_ADDRESS=${stack.temporalAddress} npx bluegreen`;
    let last: UpgradeStatus | undefined;
    let atMove: Comparison | undefined;
    let commitsAtMove = 0;
    const sent = new Set<string>();
    const send = async (message: 'approveCutover' | 'approveRollback' | 'finalize', command: string) => {
      if (sent.has(message)) return;
      sent.add(message);
      if (options.manual) {
        log(`  waiting for you: ${cli} ${command} ${workflowId}`);
        return;
      }
      try {
        log(`  ${await handle.executeUpdate(message)}`);
      } catch (err) {
        // Sent again on the next round, as an operator would.
        sent.delete(message);
        log(`  ${message} not delivered: ${(err as Error).message.split('\n')[0]}`);
      }
    };
    for (;;) {
      let s: UpgradeStatus;
      try {
        s = await handle.query(statusQuery);
      } catch (err) {
        // No worker or no server for a moment (the durability tests make sure of it): ask again.
        log(`  status unavailable: ${(err as Error).message.split('\n')[0]}`);
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      await options.onStatus?.(s);
      if (s.phase !== last?.phase || s.step !== last?.step) log(`  ${s.phase}: ${s.step}${s.lagBytes !== undefined ? ` (lag ${s.lagBytes} B)` : ''}`);
      last = s;
      // Traffic follows the serving side, as the operator's redirect would move it. BLUE and
      // GREEN are compared at that moment, before the application writes on the new side.
      if (s.serving === 'green' && serving === blue.app) {
        green ??= await greenEndpoint(stack);
        if (!pgbouncer) atMove = await compareSides(master, blue.app, green);
        serving = green;
        commitsAtMove = commits();
        log(pgbouncer ? '  PgBouncer sends traffic to GREEN' : '  traffic moved to GREEN');
      } else if (s.serving === 'blue' && green && serving === green) {
        if (!pgbouncer) atMove = await compareSides(master, blue.app, green);
        serving = blue.app;
        commitsAtMove = commits();
        log(pgbouncer ? '  PgBouncer sends traffic back to BLUE' : '  traffic moved back to BLUE');
      }
      if (s.outcome) break;
      if (s.phase === 'awaitApproval' && s.waitingFor?.what === 'approveCutover') await send('approveCutover', 'approve');
      // Once writes have gone on on GREEN (and streamed back to BLUE), roll back or stop looking.
      if (s.phase === 'rollbackWindow' && s.waitingFor?.from === 'operator' && commits() - commitsAtMove > 100) {
        if (options.rollback) await send('approveRollback', 'rollback');
        else break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    // The application goes on on the side it moved to.
    while (commits() - commitsAtMove <= 100) await new Promise((r) => setTimeout(r, 100));
    const all = await Promise.all(writers.map((w) => w.stop()));
    const ids = all.flatMap((st) => st.ids);
    // After a rollback, BLUE takes writes GREEN no longer gets: the sides were compared when
    // traffic moved back (through PgBouncer, GREEN is checked to hold every row BLUE got
    // before it). Else GREEN still streams to BLUE: they are compared now.
    const tables = !options.rollback ? await waitForEqualTables(master, blue.app, green!) : atMove ? tablesOf(atMove) : await rowsOnBoth(master, blue.app, green!, ids);
    const presence = await checkRows(master, serving, ids, options.initialRows);
    if (!options.rollback) await send('finalize', 'finalize');
    const result = await handle.result();
    const status = await handle.query(statusQuery);
    log(`upgrade ${result.outcome}`);
    const cutover = status.phases.find((p) => p.phase === 'cutover');
    const around = cutover ? [Date.parse(cutover.startedAt) - 5_000, Date.parse(cutover.endedAt ?? cutover.startedAt) + 5_000] : [0, Infinity];
    const latencies = all.flatMap((st) => st.latencyMs.filter((_, i) => st.commitAt[i] >= around[0] && st.commitAt[i] <= around[1]));
    const held = holdWindow(await handle.fetchHistory()) ?? (around as [number, number]);
    const gaps = longestGaps(all.flatMap((st) => st.commitAt), held);
    return {
      workflowId,
      outcome: result.outcome,
      phases: status.phases.map((p) => ({ name: p.phase, durationMs: Date.parse(p.endedAt ?? p.startedAt) - Date.parse(p.startedAt) })),
      writeFreezeMs: gaps.inside,
      freezeFrom: gaps.from,
      freezeTo: gaps.from + gaps.inside,
      longestGapElsewhereMs: gaps.outside,
      commitP50Ms: percentile(latencies, 50),
      commitP99Ms: percentile(latencies, 99),
      writers: writers.length,
      rateTps: Math.round((writers.length * 1000) / intervalMs),
      viaPgbouncer: Boolean(pgbouncer),
      failedTransactions: all.reduce((n, st) => n + st.failures, 0),
      committedTransactions: ids.length,
      commitsAfterMove: ids.length - commitsAtMove,
      tablesEqual: tables.tablesEqual,
      sequencesEqual: pgbouncer ? undefined : (atMove?.sequencesEqual ?? false),
      sequenceAheadOfRows: presence.sequenceAhead,
      rowsMissing: presence.missing,
      countersMatchRows: presence.countersMatch,
      differences: [...tables.differences, ...(atMove?.differences.filter((d) => d.startsWith('sequence')) ?? [])],
    };
  } finally {
    await Promise.all(writers.map((w) => w.stop()));
  }
}

/**
 * When the cutover held writes, from the workflow's history: from scheduling PgBouncer's
 * PAUSE (or BLUE's lock) to the completion of its RESUME (or GREEN's opening).
 */
type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;

function holdWindow(history: History): [number, number] | undefined {
  const at = (e: NonNullable<History['events']>[number]) => Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6);
  const scheduled = new Map<string, string>();
  const starts: Record<string, number[]> = {};
  const ends: Record<string, number[]> = {};
  for (const e of history.events ?? []) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) {
      scheduled.set(String(e.eventId), s.activityType!.name!);
      (starts[s.activityType!.name!] ??= []).push(at(e));
    }
    const c = e.activityTaskCompletedEventAttributes;
    if (c) (ends[scheduled.get(String(c.scheduledEventId))!] ??= []).push(at(e));
  }
  // GREEN's logins are locked once before the cutover (prepareGreen): BLUE's lock is the second.
  const from = starts.pausePgbouncer?.[0] ?? starts.lockLogins?.[1];
  const to = ends.resumePgbouncer?.[0] ?? ends.unlockLogins?.[0];
  return from !== undefined && to !== undefined ? [from, to] : undefined;
}

/** The longest times between two commits of any writer: overlapping a window (the freeze), and elsewhere. */
function longestGaps(times: number[], [from, to]: [number, number]): { inside: number; outside: number; from: number } {
  const sorted = [...times].sort((a, b) => a - b);
  let inside = 0;
  let outside = 0;
  let start = 0;
  for (let i = 1; i < sorted.length; i += 1) {
    const gap = sorted[i] - sorted[i - 1];
    if (sorted[i] >= from && sorted[i - 1] <= to) {
      if (gap > inside) [inside, start] = [gap, sorted[i - 1]];
    } else outside = Math.max(outside, gap);
  }
  return { inside, outside, from: start };
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** After a rollback through PgBouncer: every row committed is on BLUE, and on GREEN all but those written after it closed. */
async function rowsOnBoth(master: { user: string; password: string }, blue: WriterTarget, green: WriterTarget, ids: number[]): Promise<Tables> {
  const count = async (side: WriterTarget) => {
    const c = await connectAs(side, master);
    try {
      return Number((await c.query<{ n: string }>('select count(*)::text as n from public.orders where id = any($1::bigint[])', [ids])).rows[0].n);
    } finally {
      await c.end();
    }
  };
  const [onBlue, onGreen] = await Promise.all([count(blue), count(green)]);
  const differences = onBlue === ids.length ? [] : [`table public.orders: ${ids.length - onBlue} committed rows missing on BLUE`];
  return { tablesEqual: differences.length === 0 && onGreen <= onBlue, differences };
}

async function greenEndpoint(stack: Stack): Promise<WriterTarget> {
  const green = (await stack.aws.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'demo-green' }))).DBInstances![0];
  return { ...stack.blue.app, host: green.Endpoint!.Address!, port: green.Endpoint!.Port! };
}

async function connectAs(target: WriterTarget, master: { user: string; password: string }): Promise<Client> {
  const client = new Client({ ...target, user: master.user, password: master.password });
  await client.connect();
  return client;
}

async function compareSides(master: { user: string; password: string }, blue: WriterTarget, green: WriterTarget): Promise<Comparison> {
  const [b, g] = await Promise.all([connectAs(blue, master), connectAs(green, master)]);
  try {
    return compare(await digest(b), await digest(g));
  } finally {
    await Promise.all([b.end(), g.end()]);
  }
}

/** What the end of a run knows of the tables: equal or not, and where they differ. */
type Tables = Pick<Comparison, 'tablesEqual' | 'differences'>;

function tablesOf(result: Comparison): Comparison {
  return { ...result, differences: result.differences.filter((d) => d.startsWith('table')) };
}

/** Replication is asynchronous: compare until equal, or report the last differences. */
async function waitForEqualTables(master: { user: string; password: string }, blue: WriterTarget, green: WriterTarget): Promise<Comparison> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const tables = tablesOf(await compareSides(master, blue, green));
    if (tables.tablesEqual || Date.now() > deadline) return tables;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Every committed row is on the serving side once, and each order bumped its counter once. */
async function checkRows(master: { user: string; password: string }, side: WriterTarget, ids: number[], initialRows: number): Promise<{ missing: number; countersMatch: boolean; sequenceAhead: boolean }> {
  const c = await connectAs(side, master);
  try {
    const present = await c.query<{ n: string }>('select count(*)::text as n from public.orders where id = any($1::bigint[])', [ids]);
    const totals = await c.query<{ orders: string; bumps: string }>('select (select count(*) from public.orders)::text as orders, (select sum(n) from public.counters)::text as bumps');
    const seq = await c.query<{ ahead: boolean }>('select (select last_value from public.orders_id_seq) >= coalesce((select max(id) from public.orders), 0) as ahead');
    return {
      missing: ids.length - Number(present.rows[0].n),
      countersMatch: Number(totals.rows[0].orders) - initialRows === Number(totals.rows[0].bumps),
      sequenceAhead: seq.rows[0].ahead,
    };
  } finally {
    await c.end();
  }
}
