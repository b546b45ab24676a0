import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  const bounds = { initialMs: 100, maxMs: 10_000 };

  it('doubles from the initial delay and stays within bounds whatever the jitter', () => {
    for (const random of [0, 0.5, 0.999]) {
      const delays = Array.from({ length: 20 }, (_, attempt) =>
        backoffDelay(attempt, { ...bounds, random: () => random }),
      );
      for (const d of delays) {
        expect(d).toBeGreaterThanOrEqual(100);
        expect(d).toBeLessThanOrEqual(10_000);
      }
      expect(delays[19]).toBeGreaterThanOrEqual(5_000);
    }
    expect(backoffDelay(3, { ...bounds, random: () => 1 })).toBe(800);
    expect(backoffDelay(3, { ...bounds, random: () => 0 })).toBe(400);
  });

  it('does not overflow on a very long outage', () => {
    expect(backoffDelay(10_000, { ...bounds, random: () => 0.5 })).toBe(7_500);
  });
});
