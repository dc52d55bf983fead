// LSN arithmetic on the whole 64-bit value: the one byte the seed adds may carry over "/".
import { formatLsn, isLsn, parseLsn, startLsnAfterRedo } from '../common/lsn';

describe('LSNs', () => {
  it.each([
    ['0/200DC60', '0/200DC61'],
    ['0/FFFFFFFF', '1/0'],
    ['16/B374D848', '16/B374D849'],
    ['FFFFFFFF/FFFFFFFE', 'FFFFFFFF/FFFFFFFF'],
    ['a/ff', 'A/100'],
  ])('the start after "redo done at %s" is %s', (redo, start) => {
    expect(startLsnAfterRedo(redo)).toBe(start);
  });

  it('round-trips through 64-bit integers', () => {
    expect(parseLsn('1/0')).toBe(4294967296n);
    expect(formatLsn(4294967296n + 255n)).toBe('1/FF');
  });

  it.each(['', '0', '0/', '/1', 'G/1', '0/123456789', '1.2/3', '0/1 '])('refuses %j', (text) => {
    expect(isLsn(text)).toBe(false);
    expect(() => parseLsn(text)).toThrow(/is not an LSN/);
  });

  it('refuses to go past the last LSN', () => {
    expect(() => startLsnAfterRedo('FFFFFFFF/FFFFFFFF')).toThrow(/out of range/);
  });
});
