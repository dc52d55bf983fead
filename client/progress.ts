// The status of an upgrade as text: the seed's phases with their times, what it waits for,
// and the replication lag.
import { PHASES, type UpgradeStatus } from '../workflows/messages';

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function renderStatus(workflowId: string, s: UpgradeStatus, now = Date.now()): string {
  const lines = [`${workflowId}: ${s.outcome ?? s.phase} — ${s.step}`];
  for (const phase of PHASES) {
    const timing = [...s.phases].reverse().find((p) => p.phase === phase);
    if (!timing) continue;
    const took = (timing.endedAt ? Date.parse(timing.endedAt) : now) - Date.parse(timing.startedAt);
    lines.push(`  ${timing.endedAt ? '✓' : '▶'} ${phase.padEnd(17)} ${duration(took).padStart(7)}`);
  }
  if (s.waitingFor) lines.push(`  waiting for ${s.waitingFor.what} (from ${s.waitingFor.from})`);
  if (s.lagBytes !== undefined) lines.push(`  replication lag ${bytes(s.lagBytes)}, WAL kept by the slot ${bytes(s.retainedWalBytes ?? 0)}`);
  if (s.startLsn) lines.push(`  start LSN ${s.startLsn}`);
  lines.push(`  serving: ${s.serving.toUpperCase()}`);
  if (s.held.length > 0) lines.push(`  held: ${s.held.join(', ')}`);
  for (const r of s.refused) lines.push(`  refused ${r.message} at ${r.at}: ${r.reason}`);
  if (s.lastError) lines.push(`  last error: ${s.lastError}`);
  return lines.join('\n');
}
