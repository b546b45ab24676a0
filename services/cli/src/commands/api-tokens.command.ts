import { Command, Option } from 'commander';
import { NotFoundError, UsageError } from '../errors';
import type { ApiToken, CreatedApiToken, ItemList } from '@flotilla/api';
import { formatAge } from '../output/format';
import type { CommandContext } from './command-context';

export const apiRoles = ['viewer', 'operator', 'admin'] as const;

/** `flotilla api-tokens create|list|revoke`: tokens for people and automation (admin). */
export function apiTokensCommand(ctx: CommandContext): Command {
  const apiTokens = new Command('api-tokens')
    .alias('api-token')
    .description('API tokens for people and automation (admin)');

  apiTokens
    .command('create')
    .description('create an API token; prints only the token on stdout, once')
    .argument('<name>', 'DNS label; the event log records its actions as token:<name>')
    .addOption(new Option('--role <role>', 'what it may do').choices(apiRoles).makeOptionMandatory())
    .addHelpText('after', '\nExample:\n  export FLOTILLA_TOKEN=$(flotilla api-tokens create ci --role operator)')
    .action(async (name: string, options: { role: string }, command: Command) => {
      const created = await ctx
        .client(command)
        .post<CreatedApiToken>('/api/v1/api-tokens', { name, role: options.role }, { subject: `API token "${name}"` });
      ctx.print(command, created, () => `${created.token}\n`);
      if (ctx.format(command) === 'table') {
        ctx.note(
          `API token "${created.name}" (${created.tokenId}, ${created.role}) created; it is shown only this once.`,
        );
      }
    });

  apiTokens
    .command('list')
    .alias('ls')
    .description('list API tokens (never their secrets)')
    .action(async (_options: unknown, command: Command) => {
      const { items } = await ctx.client(command).get<ItemList<ApiToken>>('/api/v1/api-tokens');
      const now = ctx.now();
      ctx.print(command, items, () =>
        ctx.table(
          ['id', 'name', 'role', 'state', 'created by', 'age'],
          items.map((t) => [
            t.tokenId,
            t.name,
            t.role,
            t.revokedAt ? `revoked ${formatAge(t.revokedAt, now)} ago` : 'active',
            t.createdBy,
            t.createdAt ? formatAge(t.createdAt, now) : '-',
          ]),
        ),
      );
    });

  apiTokens
    .command('revoke')
    .description('revoke an API token; the hub refuses it from the next request on')
    .argument('<token>', 'token id or name')
    .action(async (ref: string, _options: unknown, command: Command) => {
      const client = ctx.client(command);
      const { items } = await client.get<ItemList<ApiToken>>('/api/v1/api-tokens');
      const token = pickApiToken(items, ref);
      if (token.tokenId === 'bootstrap' && token.createdAt === null) {
        throw new UsageError(
          'the bootstrap admin token comes from FLOTILLA_HUB_ADMIN_TOKEN: unset it on the hub to revoke it',
        );
      }
      await client.delete(`/api/v1/api-tokens/${encodeURIComponent(token.tokenId)}`, {
        subject: `API token "${ref}"`,
      });
      ctx.print(
        command,
        { tokenId: token.tokenId, name: token.name, revoked: true },
        () => `API token ${token.name} (${token.tokenId}) revoked\n`,
      );
    });

  return apiTokens;
}

/** By id, else by name among active tokens (names may repeat after a revocation). */
function pickApiToken(items: readonly ApiToken[], ref: string): ApiToken {
  const byId = items.find((t) => t.tokenId === ref);
  if (byId) return byId;
  const active = items.filter((t) => t.name === ref && t.revokedAt === null);
  if (active.length === 1) return active[0]!;
  if (active.length > 1) {
    throw new UsageError(
      `${active.length} active API tokens are named "${ref}" (${active.map((t) => t.tokenId).join(', ')}): give the id`,
    );
  }
  throw new NotFoundError(`API token "${ref}"`, 'no active token has that name or id (see `flotilla api-tokens list`)');
}
