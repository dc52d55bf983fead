// The benchmark's results file and the markdown table the README shows, made from it.
export interface BenchRun {
  db_size_bytes: number;
  sequences: number;
  writers: number;
  rate_tps: number;
  freeze_ms: number;
  failed_transactions: number;
  commit_p50_ms: number;
  commit_p99_ms: number;
}

export interface BenchResults {
  runs: BenchRun[];
}

const size = (bytes: number) => (bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(2)} GiB` : `${(bytes / 1024 ** 2).toFixed(0)} MiB`);

export function markdownTable(results: BenchResults): string {
  const lines = [
    '| database size | sequences | writers | rate (tx/s) | write freeze (ms) | failed transactions | commit p50 (ms) | commit p99 (ms) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results.runs) {
    lines.push(`| ${size(r.db_size_bytes)} | ${r.sequences} | ${r.writers} | ${r.rate_tps} | ${r.freeze_ms} | ${r.failed_transactions} | ${r.commit_p50_ms} | ${r.commit_p99_ms} |`);
  }
  return `${lines.join('\n')}\n`;
}
