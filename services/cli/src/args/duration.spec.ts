import { parseDurationSeconds } from './duration';

describe('durations (--ttl)', () => {
  it('reads Go-style durations into seconds', () => {
    expect(parseDurationSeconds('90s', '--ttl')).toBe(90);
    expect(parseDurationSeconds('1h', '--ttl')).toBe(3_600);
    expect(parseDurationSeconds('1h30m', '--ttl')).toBe(5_400);
    expect(parseDurationSeconds('7d', '--ttl')).toBe(604_800);
  });
  it.each(['', '1', 'h', '1x', '1h 30m', '-1h', '0m', '1.5h'])('refuses %j', (text) => {
    expect(() => parseDurationSeconds(text, '--ttl')).toThrow(/--ttl/);
  });
});
