// The committed benchmark results: in the shape the issue asks for, covering a small database
// and one of at least 1 GiB with 10 and 1,000 sequences, and shown as they are in the README.
// (npm run bench makes them; no timing is asserted here.)
import fs from 'node:fs';
import path from 'node:path';
import { markdownTable, type BenchResults } from '../bench/table';

const root = path.resolve(__dirname, '..');
const results = JSON.parse(fs.readFileSync(path.join(root, 'bench/results/latest.json'), 'utf8')) as BenchResults;
const FIELDS = ['db_size_bytes', 'sequences', 'writers', 'rate_tps', 'freeze_ms', 'failed_transactions', 'commit_p50_ms', 'commit_p99_ms'];

describe('bench/results/latest.json', () => {
  it('has every field of every run as a number, and nothing else', () => {
    expect(results.runs.length).toBeGreaterThanOrEqual(4);
    for (const run of results.runs) {
      expect(Object.keys(run).sort()).toEqual([...FIELDS].sort());
      for (const field of FIELDS) expect(Number.isFinite(run[field as keyof typeof run])).toBe(true);
    }
  });

  it('covers a small database and one of at least 1 GiB, each with 10 and with 1,000 sequences', () => {
    const shapes = results.runs.map((r) => `${r.db_size_bytes >= 1024 ** 3 ? 'large' : 'small'}/${r.sequences >= 1000 ? 1000 : r.sequences}`);
    expect(new Set(shapes)).toEqual(new Set(['small/10', 'small/1000', 'large/10', 'large/1000']));
  });

  it('is the table in bench/results/latest.md and in the README', () => {
    const table = markdownTable(results);
    expect(fs.readFileSync(path.join(root, 'bench/results/latest.md'), 'utf8')).toBe(table);
    expect(fs.readFileSync(path.join(root, 'README.md'), 'utf8')).toContain(table);
  });
});
