// npm run demo: the main job on the local default. A PostgreSQL 15 BLUE on the local RDS,
// under a writer that keeps inserting and updating, upgraded to 17 by the real workflow on
// a real Temporal dev server and worker; approvals sent automatically (--manual waits for
// yours); a report of phase timings, the write freeze and the comparison of BLUE and GREEN.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runUpgradeUnderLoad, type UpgradeReport } from './run';
import { startStack } from './stack';

export function renderReport(r: UpgradeReport): string {
  const lines = ['', 'phase               duration'];
  for (const p of r.phases) lines.push(`${p.name.padEnd(19)} ${(p.durationMs / 1000).toFixed(1).padStart(7)} s`);
  lines.push('');
  lines.push(`application: ${r.writers} writer${r.writers === 1 ? '' : 's'} at ${r.rateTps} transactions/s ${r.viaPgbouncer ? 'through PgBouncer, which the upgrade switched' : 'straight to the serving side'}`);
  lines.push(`write freeze at cutover: ${r.writeFreezeMs} ms (the longest gap between commits over the time the cutover held writes)`);
  lines.push(`longest gap between commits at any other time: ${r.longestGapElsewhereMs} ms`);
  lines.push(`commit latency around the cutover: p50 ${r.commitP50Ms} ms, p99 ${r.commitP99Ms} ms`);
  lines.push(`transactions: ${r.committedTransactions} committed (${r.commitsAfterMove} after traffic moved), ${r.failedTransactions} failed and retried`);
  lines.push(`tables equal: ${r.tablesEqual}; ${r.sequencesEqual === undefined ? '' : `sequences equal when traffic moved: ${r.sequencesEqual}; `}sequence past every committed id: ${r.sequenceAheadOfRows}`);
  lines.push(`committed rows missing: ${r.rowsMissing}; counters match rows (nothing applied twice): ${r.countersMatchRows}`);
  for (const d of r.differences) lines.push(`  difference: ${d}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  // The pinned AWS SDK works on Node 20; its notice about later releases is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { values } = parseArgs({
    options: {
      manual: { type: 'boolean', default: false },
      report: { type: 'string' },
      rows: { type: 'string', default: '20000' },
      traffic: { type: 'string', default: 'pgbouncer' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(`usage: npm run demo -- [--manual] [--report FILE] [--rows N] [--traffic pgbouncer|direct]
  Upgrades a local PostgreSQL 15 BLUE to 17 under writes, through the whole workflow.
  --manual       wait for your approvals (the commands to type are printed)
  --report FILE  also write the report as JSON
  --rows N       rows in BLUE's orders table (default 20000)
  --traffic T    pgbouncer (default): the application connects through a PgBouncer that the
                 upgrade pauses and repoints; direct: it connects to the serving side itself
  example: npm run demo -- --report demo-report.json`);
    return;
  }
  const rows = Number(values.rows);
  if (!Number.isInteger(rows) || rows < 0) throw new Error(`--rows must be a whole number, not ${values.rows}`);
  if (values.traffic !== 'pgbouncer' && values.traffic !== 'direct') throw new Error(`--traffic must be pgbouncer or direct, not ${values.traffic}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rds-bluegreen-demo-'));
  fs.chmodSync(dir, 0o755);
  const log = (line: string) => console.log(line);
  const stack = await startStack({ dir, rows, log, pgbouncer: values.traffic === 'pgbouncer' });
  let report: UpgradeReport;
  try {
    report = await runUpgradeUnderLoad(stack, { workflowId: 'demo-upgrade', manual: values.manual, rollback: false, initialRows: rows, log });
  } finally {
    await stack.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(renderReport(report));
  if (values.report) fs.writeFileSync(values.report, `${JSON.stringify(report, null, 2)}\n`);
  const ok = report.tablesEqual && report.sequencesEqual !== false && report.sequenceAheadOfRows && report.rowsMissing === 0 && report.countersMatchRows;
  process.exit(ok ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
