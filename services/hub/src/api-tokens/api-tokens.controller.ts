import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { EventStore, RecordedEvent } from '@flotilla/event-store';
import type { ApiTokenCreated, ApiTokenRevoked } from '@flotilla/domain';
import { EVENT_STORE } from '../event-store.provider';
import { CurrentPrincipal, RequireRole, type Principal } from '../auth/principal';
import { BOOTSTRAP_ADMIN_TOKEN_HASH } from '../auth/api-token-authenticator';
import { parseInput } from '../common/validation';
import { CreateApiTokenCommand } from './create-api-token/create-api-token.command';
import { RevokeApiTokenCommand } from './revoke-api-token/revoke-api-token.command';
import { createApiTokenSchema, type ApiToken, type CreatedApiToken, type ItemList } from '@flotilla/api';

@Controller('api/v1/api-tokens')
@RequireRole('admin')
export class ApiTokensController {
  constructor(
    private readonly commands: CommandBus,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(BOOTSTRAP_ADMIN_TOKEN_HASH) private readonly bootstrapAdminHash: string | null,
  ) {}

  /**
   * Read straight from the log: API tokens are few and this view is for admins only, so a
   * scan of their streams beats another projection. Hashes are never returned.
   */
  @Get()
  async list(): Promise<ItemList<ApiToken>> {
    const tokens = new Map<string, ApiToken>();
    const pageSize = 1_000;
    let after = 0;
    for (;;) {
      const page: RecordedEvent[] = await this.store.readAll({
        after,
        limit: pageSize,
        streamPrefix: 'api-token-',
        types: ['ApiTokenCreated', 'ApiTokenRevoked'],
      });
      for (const recorded of page) {
        const event = { type: recorded.type, data: recorded.data } as ApiTokenCreated | ApiTokenRevoked;
        if (event.type === 'ApiTokenCreated') {
          const { tokenId, name, role, createdAt } = event.data;
          tokens.set(tokenId, { tokenId, name, role, createdAt, createdBy: recorded.metadata.actor, revokedAt: null });
        } else {
          const token = tokens.get(event.data.tokenId);
          if (token) token.revokedAt = event.data.revokedAt;
        }
      }
      if (page.length < pageSize) break;
      after = page[page.length - 1]!.position;
    }
    // The token of FLOTILLA_HUB_ADMIN_TOKEN is in no stream, yet it works (as token:admin):
    // an admin auditing access must see it. It is revoked by unsetting the variable.
    const bootstrap: ApiToken[] = this.bootstrapAdminHash
      ? [
          {
            tokenId: 'bootstrap',
            name: 'admin',
            role: 'admin',
            createdAt: null,
            createdBy: 'config:FLOTILLA_HUB_ADMIN_TOKEN',
            revokedAt: null,
          },
        ]
      : [];
    return { items: [...bootstrap, ...tokens.values()] };
  }

  @Post()
  async create(@Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<CreatedApiToken> {
    const input = parseInput(createApiTokenSchema, body);
    return this.commands.execute(new CreateApiTokenCommand(principal.actor, input.name, input.role));
  }

  @Delete(':tokenId')
  @HttpCode(204)
  async revoke(@Param('tokenId') tokenId: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.commands.execute(new RevokeApiTokenCommand(principal.actor, tokenId));
  }
}
