import { apiRoles, type ApiRole } from '@flotilla/api';
import type { Decider, DomainEvent } from './decider';
import { ConflictError, NotFoundError, ValidationError } from './errors';
import { validateDnsLabel } from './names';
import { isTokenId } from './secret-token';

/** API tokens: bearer secrets with a role, for people and scripts using the REST API. */
export const apiTokenStreamId = (tokenId: string): string => `api-token-${tokenId}`;

// The roles are part of the REST contract (a token's role is a request field).
export { apiRoles, type ApiRole };

/** viewer < operator < admin: each role may do everything the lower ones may. */
export function roleAtLeast(have: ApiRole, need: ApiRole): boolean {
  return apiRoles.indexOf(have) >= apiRoles.indexOf(need);
}

export type ApiTokenCreated = DomainEvent<
  'ApiTokenCreated',
  { tokenId: string; name: string; role: ApiRole; secretHash: string; createdAt: string }
>;
export type ApiTokenRevoked = DomainEvent<'ApiTokenRevoked', { tokenId: string; revokedAt: string }>;
export type ApiTokenEvent = ApiTokenCreated | ApiTokenRevoked;

export type ApiTokenCommand =
  | { type: 'CreateApiToken'; data: { tokenId: string; name: string; role: ApiRole; secretHash: string; now: Date } }
  | { type: 'RevokeApiToken'; data: { now: Date } };

export interface ApiTokenState {
  status: 'none' | 'active' | 'revoked';
  tokenId: string | null;
  name: string | null;
  role: ApiRole | null;
  secretHash: string | null;
}

export const apiTokenDecider: Decider<ApiTokenCommand, ApiTokenEvent, ApiTokenState> = {
  initialState: () => ({ status: 'none', tokenId: null, name: null, role: null, secretHash: null }),
  decide(command, state) {
    switch (command.type) {
      case 'CreateApiToken': {
        const c = command.data;
        if (state.status !== 'none')
          throw new ConflictError(`API token ${c.tokenId} already exists`, { code: 'token-exists' });
        if (!isTokenId(c.tokenId)) throw new ValidationError('tokenId must be 12 lowercase hex characters', 'tokenId');
        validateDnsLabel(c.name, 'name');
        if (!apiRoles.includes(c.role)) throw new ValidationError(`role must be one of ${apiRoles.join(', ')}`, 'role');
        return [
          {
            type: 'ApiTokenCreated',
            data: {
              tokenId: c.tokenId,
              name: c.name,
              role: c.role,
              secretHash: c.secretHash,
              createdAt: c.now.toISOString(),
            },
          },
        ];
      }
      case 'RevokeApiToken':
        if (state.status !== 'active')
          throw new NotFoundError('API token not found or already revoked', { code: 'api-token-not-found' });
        return [
          { type: 'ApiTokenRevoked', data: { tokenId: state.tokenId!, revokedAt: command.data.now.toISOString() } },
        ];
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'ApiTokenCreated':
        return {
          status: 'active',
          tokenId: event.data.tokenId,
          name: event.data.name,
          role: event.data.role,
          secretHash: event.data.secretHash,
        };
      case 'ApiTokenRevoked':
        return { ...state, status: 'revoked' };
      default:
        return state;
    }
  },
};
