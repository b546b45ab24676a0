import { randomBytes } from 'node:crypto';
import { createCurve } from '@nats-io/nkeys';
import { startFleet, eventually, type Fleet } from '../e2e/registration-harness';
import { connectAsBootstrap, registerSubject, registrationRequest } from './security-harness';

// Finding 9 (issue 10): 2,000 registrations with unknown tokens appended 2,000
// RegistrationRefused events. Refusals are recorded per source of the attempt (the token
// tried; all unknown or malformed tokens are one source) up to a few per window, and the
// rest are counted into one aggregate event when the window closes.
jest.setTimeout(420_000);

// 300 show the bound as well as the 2,000 (10 recorded, the rest counted) in a CI-sized
// time: the registration responder answers ~5 refusals/s on a loaded 2-core machine (noted in
// issue 10); FLOTILLA_FLOOD_ATTEMPTS=2000 repeats the figure.
const attempts = Number(process.env.FLOTILLA_FLOOD_ATTEMPTS ?? 300);
const concurrency = 10;

describe('registration refusals are bounded (hub, NATS in operator mode)', () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet();
  }, 150_000);
  afterAll(async () => {
    await fleet?.close();
  });

  /** Every event of the given types (fleet.events reads one page of 1,000). */
  const eventsOf = async (types?: string[]) => {
    const all = [];
    for (let after = 0; ;) {
      const page = await fleet.store.readAll({ after, limit: 1000, ...(types ? { types } : {}) });
      all.push(...page);
      if (page.length < 1000) return all;
      after = page[page.length - 1]!.position;
    }
  };

  it(`${attempts} registrations with unknown tokens append a handful of events and one count`, async () => {
    const nc = await connectAsBootstrap(fleet);
    const started = performance.now();
    let answered = 0;
    try {
      let next = 0;
      const worker = async () => {
        while (next < attempts) {
          next++;
          const token = `flt_reg_${randomBytes(6).toString('hex')}_${randomBytes(32).toString('base64url')}`;
          const request = registrationRequest({
            token,
            clusterName: 'flood',
            replyKey: createCurve().getPublicKey(),
          });
          await nc.request(registerSubject(), request.bytes, { timeout: 120_000 });
          answered++;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    } finally {
      await nc.close();
    }
    expect(answered).toBe(attempts);
    const floodMs = Math.round(performance.now() - started);

    // The window closes within a minute of the first refusal: then the count is recorded.
    const aggregates = await eventually(
      async () => {
        const found = await eventsOf(['RegistrationRefusalsAggregated']);
        const counted = found.reduce((n, e) => n + (e.data as { count: number }).count, 0);
        const refused = await eventsOf(['RegistrationRefused']);
        return refused.length + counted >= attempts ? { found, refused } : undefined;
      },
      150_000,
      `the refusals of ${attempts} attempts to be recorded or counted`,
    );
    const all = await eventsOf();
    process.stdout.write(
      `refusal flood: ${attempts} attempts answered in ${floodMs} ms, ${all.length} events in the log, ${aggregates.refused.length} RegistrationRefused, ${aggregates.found.length} aggregates\n`,
    );
    expect(aggregates.refused.length).toBeLessThanOrEqual(20);
    expect(aggregates.found.length).toBeGreaterThanOrEqual(1);
    const counted = aggregates.found.reduce((n, e) => n + (e.data as { count: number }).count, 0);
    expect(aggregates.refused.length + counted).toBe(attempts);
    for (const e of aggregates.found) {
      expect(e.data).toMatchObject({ reasons: { unknown: expect.any(Number) } });
      expect(e.metadata.actor).toBe('agent:unregistered');
    }
    expect(all.length).toBeLessThan(100);
  });
});
