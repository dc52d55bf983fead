// PostgreSQL LSNs ("hi/lo" in hex, 64 bits together): pure functions, used by the
// workflow (to check an LSN an operator sends) and by the activities.
const LSN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

export function isLsn(text: string): boolean {
  return LSN.test(text);
}

export function parseLsn(text: string): bigint {
  const match = LSN.exec(text);
  if (!match) throw new Error(`${JSON.stringify(text)} is not an LSN: write it as PostgreSQL does, two hex numbers like 0/200DC60`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function formatLsn(value: bigint): string {
  if (value < 0n || value >= 1n << 64n) throw new Error(`LSN ${value} is out of range`);
  return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffffffffn).toString(16).toUpperCase()}`;
}

/**
 * The start LSN for a subscription from GREEN's "redo done at X" line. X is the start of
 * the last record replayed; decoding skips a transaction only when its commit starts
 * before the start point, so starting at X would apply a commit at X a second time.
 * X + 1 is right in every case (DESIGN.md). The carry crosses the "/" like any 64-bit sum.
 */
export function startLsnAfterRedo(redoDoneAt: string): string {
  return formatLsn(parseLsn(redoDoneAt) + 1n);
}
