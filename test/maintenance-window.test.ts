// Maintenance windows in a time zone, including one across midnight and a DST change.
import { insideWindow, msUntilWindow } from '../common/maintenance-window';

const berlin = { timeZone: 'Europe/Berlin', days: ['sat', 'sun'], start: '02:00', end: '04:00' };
const at = (iso: string) => Date.parse(iso);

describe('maintenance windows', () => {
  it('is open at the local hours of the listed days only', () => {
    // 2026-11-28 is a Saturday; Berlin is UTC+1 in November.
    expect(insideWindow(berlin, at('2026-11-28T01:30:00Z'))).toBe(true);
    expect(insideWindow(berlin, at('2026-11-28T00:59:00Z'))).toBe(false);
    expect(insideWindow(berlin, at('2026-11-28T03:00:00Z'))).toBe(false);
    expect(insideWindow(berlin, at('2026-11-27T01:30:00Z'))).toBe(false);
  });

  it('waits until the next opening, and not at all inside it', () => {
    expect(msUntilWindow(berlin, at('2026-11-24T10:00:00Z'))).toBe(at('2026-11-28T01:00:00Z') - at('2026-11-24T10:00:00Z'));
    expect(msUntilWindow(berlin, at('2026-11-28T02:15:00Z'))).toBe(0);
    expect(msUntilWindow(berlin, at('2026-11-28T01:00:30Z'))).toBe(0);
    expect(msUntilWindow(berlin, at('2026-11-28T00:59:30Z'))).toBe(30_000);
  });

  it('follows summer time: 02:00 in Berlin is 00:00 UTC in July', () => {
    expect(msUntilWindow(berlin, at('2026-07-03T12:00:00Z'))).toBe(at('2026-07-04T00:00:00Z') - at('2026-07-03T12:00:00Z'));
  });

  it('handles a window across midnight, opened on the evening of its day', () => {
    const night = { timeZone: 'UTC', days: ['fri'], start: '23:00', end: '01:00' };
    expect(insideWindow(night, at('2026-11-27T23:30:00Z'))).toBe(true);
    expect(insideWindow(night, at('2026-11-28T00:30:00Z'))).toBe(true);
    expect(insideWindow(night, at('2026-11-28T01:30:00Z'))).toBe(false);
    expect(insideWindow(night, at('2026-11-26T23:30:00Z'))).toBe(false);
  });
});
