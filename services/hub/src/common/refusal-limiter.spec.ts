import { RefusalLimiter, type SuppressedRefusals } from './refusal-limiter';

describe('RefusalLimiter', () => {
  it('records the first refusals of a window per key and counts the rest into one aggregate', async () => {
    let now = 0;
    const aggregates: SuppressedRefusals[] = [];
    const limiter = new RefusalLimiter({
      windowMs: 1_000,
      recordedPerWindow: 2,
      onSuppressed: async (s) => void aggregates.push(s),
      onError: () => undefined,
      now: () => now,
    });
    const admitted = Array.from({ length: 5 }, (_, i) => limiter.admit('a', i % 2 ? 'unknown' : 'malformed'));
    expect(admitted).toEqual([true, true, false, false, false]);
    expect(limiter.admit('b', 'unknown')).toBe(true);
    now = 1_000;
    expect(limiter.admit('a', 'unknown')).toBe(true);
    await limiter.stop();
    expect(aggregates).toEqual([
      { key: 'a', count: 3, reasons: { malformed: 2, unknown: 1 }, since: new Date(0), until: new Date(1_000) },
    ]);
  });
});
