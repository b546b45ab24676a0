import { Inject, Injectable } from '@nestjs/common';
import type { EventStore } from '@flotilla/event-store';
import {
  apiTokenDecider,
  apiTokenPrefix,
  apiTokenStreamId,
  hashSecret,
  parseSecretToken,
  secretMatchesHash,
  UnauthorizedError,
} from '@flotilla/domain';
import { loadAggregate } from '../common/aggregate';
import { EVENT_STORE } from '../event-store.provider';
import type { Principal } from './principal';

export const BOOTSTRAP_ADMIN_TOKEN_HASH = 'BOOTSTRAP_ADMIN_TOKEN_HASH';

/**
 * Resolves a bearer token to a principal. API tokens are looked up by the id embedded in
 * them (one stream read, so a revocation takes effect on the next request); the optional
 * bootstrap admin token from config is compared by hash.
 */
@Injectable()
export class ApiTokenAuthenticator {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(BOOTSTRAP_ADMIN_TOKEN_HASH) private readonly bootstrapAdminHash: string | null,
  ) {}

  async authenticate(authorization: string | undefined): Promise<Principal> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match)
      throw new UnauthorizedError('an Authorization: Bearer <token> header is required', { code: 'token-missing' });
    const token = match[1]!;
    const parts = parseSecretToken(apiTokenPrefix, token);
    if (parts) {
      const { state } = await loadAggregate(this.store, apiTokenStreamId(parts.tokenId), apiTokenDecider);
      if (state.status === 'active' && secretMatchesHash(parts.secret, state.secretHash!)) {
        return { actor: `token:${state.name}`, role: state.role!, tokenId: state.tokenId };
      }
    } else if (this.bootstrapAdminHash && secretMatchesHash(token, this.bootstrapAdminHash)) {
      return { actor: 'token:admin', role: 'admin', tokenId: null };
    }
    throw new UnauthorizedError('the token is unknown, revoked or wrong', { code: 'token-invalid' });
  }
}

export function bootstrapAdminTokenHash(token: string | undefined): string | null {
  return token ? hashSecret(token) : null;
}
