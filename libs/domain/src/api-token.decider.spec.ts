import { apiTokenDecider, roleAtLeast } from './api-token.decider';
import { fold } from './decider';
import { ConflictError, NotFoundError, ValidationError } from './errors';
import { hashSecret } from './secret-token';

const now = new Date('2026-11-26T10:00:00.000Z');
const create = {
  type: 'CreateApiToken' as const,
  data: { tokenId: 'aaaaaaaaaaaa', name: 'ci', role: 'operator' as const, secretHash: hashSecret('x'.repeat(43)), now },
};

describe('api token decider', () => {
  it('orders roles viewer < operator < admin', () => {
    expect(roleAtLeast('admin', 'operator')).toBe(true);
    expect(roleAtLeast('operator', 'operator')).toBe(true);
    expect(roleAtLeast('viewer', 'operator')).toBe(false);
    expect(roleAtLeast('operator', 'admin')).toBe(false);
  });
  it('creates, then revokes once', () => {
    const created = apiTokenDecider.decide(create, apiTokenDecider.initialState());
    expect(created[0]!.type).toBe('ApiTokenCreated');
    expect(() => apiTokenDecider.decide(create, fold(apiTokenDecider, created))).toThrow(ConflictError);
    const revoked = apiTokenDecider.decide({ type: 'RevokeApiToken', data: { now } }, fold(apiTokenDecider, created));
    expect(revoked).toEqual([
      { type: 'ApiTokenRevoked', data: { tokenId: 'aaaaaaaaaaaa', revokedAt: now.toISOString() } },
    ]);
    expect(fold(apiTokenDecider, [...created, ...revoked]).status).toBe('revoked');
    expect(() =>
      apiTokenDecider.decide(
        { type: 'RevokeApiToken', data: { now } },
        fold(apiTokenDecider, [...created, ...revoked]),
      ),
    ).toThrow(NotFoundError);
  });
  it('refuses an unknown role or a bad name', () => {
    expect(() =>
      apiTokenDecider.decide(
        { ...create, data: { ...create.data, role: 'root' as never } },
        apiTokenDecider.initialState(),
      ),
    ).toThrow(ValidationError);
    expect(() =>
      apiTokenDecider.decide({ ...create, data: { ...create.data, name: 'CI bot' } }, apiTokenDecider.initialState()),
    ).toThrow(ValidationError);
  });
});
