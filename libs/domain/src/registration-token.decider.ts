import { registrationTokenTtlDefaultMs, registrationTokenTtlMaxMs } from '@flotilla/api';
import type { Decider, DomainEvent } from './decider';
import { ConflictError, ValidationError } from './errors';
import { validateLabels, type Labels } from './label-selector';
import { isTokenId, secretMatchesHash } from './secret-token';

/**
 * Registration tokens: single use, expiring, optionally carrying labels for the cluster
 * that uses them. The stream stores sha256(secret) only.
 */
export const registrationTokenStreamId = (tokenId: string): string => `registration-token-${tokenId}`;
/** Refusals that cannot be tied to an existing token (malformed or unknown) go here. */
export const registrationRefusalsStreamId = 'registration-refusals';

// The REST contract states these limits; the decider enforces the same numbers.
export { registrationTokenTtlDefaultMs, registrationTokenTtlMaxMs };

export type RegistrationRefusalReason =
  'malformed' | 'unknown' | 'invalid-secret' | 'expired' | 'used' | 'name-taken' | 'key-taken';

export type RegistrationTokenCreated = DomainEvent<
  'RegistrationTokenCreated',
  { tokenId: string; secretHash: string; labels: Labels; createdAt: string; expiresAt: string }
>;
export type RegistrationTokenUsed = DomainEvent<
  'RegistrationTokenUsed',
  { tokenId: string; clusterId: string; usedAt: string }
>;
export type RegistrationRefused = DomainEvent<
  'RegistrationRefused',
  { tokenId?: string; reason: RegistrationRefusalReason; clusterName: string; publicKey: string; at: string }
>;
export type RegistrationTokenEvent = RegistrationTokenCreated | RegistrationTokenUsed | RegistrationRefused;

export type RegistrationTokenCommand =
  | {
      type: 'CreateRegistrationToken';
      data: { tokenId: string; secretHash: string; labels: Labels; ttlMs: number; now: Date };
    }
  | {
      type: 'UseRegistrationToken';
      data: { secret: string; clusterId: string; clusterName: string; publicKey: string; now: Date };
    };

export interface RegistrationTokenState {
  status: 'none' | 'active' | 'used';
  tokenId: string | null;
  secretHash: string | null;
  labels: Labels;
  expiresAt: string | null;
  usedBy: string | null;
}

export const registrationTokenDecider: Decider<
  RegistrationTokenCommand,
  RegistrationTokenEvent,
  RegistrationTokenState
> = {
  initialState: () => ({ status: 'none', tokenId: null, secretHash: null, labels: {}, expiresAt: null, usedBy: null }),

  decide(command, state) {
    switch (command.type) {
      case 'CreateRegistrationToken': {
        const c = command.data;
        if (state.status !== 'none')
          throw new ConflictError(`registration token ${c.tokenId} already exists`, { code: 'token-exists' });
        if (!isTokenId(c.tokenId)) throw new ValidationError('tokenId must be 12 lowercase hex characters', 'tokenId');
        if (!/^[0-9a-f]{64}$/.test(c.secretHash))
          throw new ValidationError('secretHash must be a sha256 hex digest', 'secretHash');
        if (!Number.isInteger(c.ttlMs) || c.ttlMs <= 0 || c.ttlMs > registrationTokenTtlMaxMs) {
          throw new ValidationError(
            `ttl must be between 1 ms and ${registrationTokenTtlMaxMs / 3_600_000} h`,
            'ttlSeconds',
          );
        }
        validateLabels(c.labels);
        return [
          {
            type: 'RegistrationTokenCreated',
            data: {
              tokenId: c.tokenId,
              secretHash: c.secretHash,
              labels: { ...c.labels },
              createdAt: c.now.toISOString(),
              expiresAt: new Date(c.now.getTime() + c.ttlMs).toISOString(),
            },
          },
        ];
      }
      case 'UseRegistrationToken': {
        const c = command.data;
        const refuse = (reason: RegistrationRefusalReason): RegistrationTokenEvent[] => [
          {
            type: 'RegistrationRefused',
            data: {
              ...(state.tokenId ? { tokenId: state.tokenId } : {}),
              reason,
              clusterName: c.clusterName,
              publicKey: c.publicKey,
              at: c.now.toISOString(),
            },
          },
        ];
        if (state.status === 'none') return refuse('unknown');
        // The secret is checked first so that a guessed id learns nothing about the token's state.
        if (!secretMatchesHash(c.secret, state.secretHash!)) return refuse('invalid-secret');
        if (state.status === 'used') return refuse('used');
        if (c.now.getTime() >= Date.parse(state.expiresAt!)) return refuse('expired');
        return [
          {
            type: 'RegistrationTokenUsed',
            data: { tokenId: state.tokenId!, clusterId: c.clusterId, usedAt: c.now.toISOString() },
          },
        ];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'RegistrationTokenCreated':
        return {
          status: 'active',
          tokenId: event.data.tokenId,
          secretHash: event.data.secretHash,
          labels: event.data.labels,
          expiresAt: event.data.expiresAt,
          usedBy: null,
        };
      case 'RegistrationTokenUsed':
        return { ...state, status: 'used', usedBy: event.data.clusterId };
      default:
        return state;
    }
  },
};
