import { fold } from './decider';
import { ConflictError, ValidationError } from './errors';
import {
  registrationTokenDecider,
  registrationTokenTtlDefaultMs,
  type RegistrationTokenEvent,
} from './registration-token.decider';
import { hashSecret } from './secret-token';

const createdAt = new Date('2026-11-26T10:00:00.000Z');
const secret = 'S'.repeat(43);
const publicKey = `U${'B'.repeat(55)}`;
const created = registrationTokenDecider.decide(
  {
    type: 'CreateRegistrationToken',
    data: {
      tokenId: '0123456789ab',
      secretHash: hashSecret(secret),
      labels: { env: 'prod' },
      ttlMs: registrationTokenTtlDefaultMs,
      now: createdAt,
    },
  },
  registrationTokenDecider.initialState(),
)[0]!;
const given = (...events: RegistrationTokenEvent[]) => fold(registrationTokenDecider, events);
const use = (overrides: { secret?: string; now?: Date; clusterId?: string } = {}) => ({
  type: 'UseRegistrationToken' as const,
  data: {
    secret: overrides.secret ?? secret,
    clusterId: overrides.clusterId ?? 'c0000000000000001',
    clusterName: 'prod-eu',
    publicKey,
    now: overrides.now ?? new Date(createdAt.getTime() + 60_000),
  },
});

describe('registration token decider', () => {
  it('when created, then only the hash is stored and it expires after the ttl (1 h by default)', () => {
    expect(created).toEqual({
      type: 'RegistrationTokenCreated',
      data: {
        tokenId: '0123456789ab',
        secretHash: hashSecret(secret),
        labels: { env: 'prod' },
        createdAt: createdAt.toISOString(),
        expiresAt: '2026-11-26T11:00:00.000Z',
      },
    });
    expect(JSON.stringify(created)).not.toContain(secret);
  });

  it('refuses a ttl out of bounds and bad labels', () => {
    const base = { tokenId: '0123456789ab', secretHash: hashSecret(secret), labels: {}, ttlMs: 0, now: createdAt };
    expect(() => registrationTokenDecider.decide({ type: 'CreateRegistrationToken', data: base }, given())).toThrow(
      ValidationError,
    );
    expect(() =>
      registrationTokenDecider.decide(
        { type: 'CreateRegistrationToken', data: { ...base, ttlMs: 1000, labels: { '': 'x' } } },
        given(),
      ),
    ).toThrow(ValidationError);
    expect(() =>
      registrationTokenDecider.decide(
        { type: 'CreateRegistrationToken', data: { ...base, ttlMs: 1000 } },
        given(created),
      ),
    ).toThrow(ConflictError);
  });

  it('given an active token, when used with the right secret in time, then RegistrationTokenUsed', () => {
    expect(registrationTokenDecider.decide(use(), given(created))).toEqual([
      {
        type: 'RegistrationTokenUsed',
        data: { tokenId: '0123456789ab', clusterId: 'c0000000000000001', usedAt: '2026-11-26T10:01:00.000Z' },
      },
    ]);
  });

  const refusal = (events: RegistrationTokenEvent[]) =>
    events[0]?.type === 'RegistrationRefused' ? events[0].data.reason : `not refused: ${events[0]?.type}`;

  it('given no token, when used, then refused as unknown', () => {
    expect(refusal(registrationTokenDecider.decide(use(), given()))).toBe('unknown');
  });
  it('when used with a wrong secret, then refused as invalid-secret (even when also expired or used)', () => {
    expect(refusal(registrationTokenDecider.decide(use({ secret: 'T'.repeat(43) }), given(created)))).toBe(
      'invalid-secret',
    );
    const used = registrationTokenDecider.decide(use(), given(created));
    expect(refusal(registrationTokenDecider.decide(use({ secret: 'T'.repeat(43) }), given(created, ...used)))).toBe(
      'invalid-secret',
    );
  });
  it('given a used token, when used again, then refused as used', () => {
    const used = registrationTokenDecider.decide(use(), given(created));
    const state = given(created, ...used);
    expect(state.usedBy).toBe('c0000000000000001');
    expect(refusal(registrationTokenDecider.decide(use({ clusterId: 'c0000000000000002' }), state))).toBe('used');
  });
  it('when used at or after expiry, then refused as expired', () => {
    expect(
      refusal(registrationTokenDecider.decide(use({ now: new Date('2026-11-26T11:00:00.000Z') }), given(created))),
    ).toBe('expired');
    expect(
      refusal(registrationTokenDecider.decide(use({ now: new Date('2026-11-26T10:59:59.999Z') }), given(created))),
    ).toBe('not refused: RegistrationTokenUsed');
  });
  it('a refusal records the attempt and does not change the token', () => {
    const refused = registrationTokenDecider.decide(use({ secret: 'T'.repeat(43) }), given(created));
    expect(refused[0]!.data).toEqual({
      tokenId: '0123456789ab',
      reason: 'invalid-secret',
      clusterName: 'prod-eu',
      publicKey,
      at: '2026-11-26T10:01:00.000Z',
    });
    expect(given(created, ...refused)).toEqual(given(created));
  });
});
