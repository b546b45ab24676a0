import { WrongExpectedVersionError, type EventStore, type NewEvent } from '@flotilla/event-store';
import { apiTokenStreamId, ConflictError } from '@flotilla/domain';

/**
 * One name, one token, for ever: the actor `token:<name>` in the log must name one principal.
 * A name is claimed on its own stream (`api-token-name-<name>`, expected version 0, in the
 * same transaction as the token), so two concurrent creations cannot both get it; tokens
 * created before names were claimed are found by a scan of ApiTokenCreated. A revoked token's
 * name stays taken (its events still carry it), and `admin` is the bootstrap admin's
 * (FLOTILLA_HUB_ADMIN_TOKEN, actor `token:admin`).
 */
export const apiTokenNameStreamId = (name: string): string => `api-token-name-${name}`;
export const reservedApiTokenNames: readonly string[] = ['admin'];

const taken = (name: string) =>
  new ConflictError(
    reservedApiTokenNames.includes(name)
      ? `the API token name "${name}" is reserved (token:${name} is the bootstrap admin's actor): choose another`
      : `an API token named "${name}" exists or existed (names are never reused, so that token:${name} in the log names one token): choose another`,
    { code: 'token-name-taken' },
  );

async function nameInUse(store: EventStore, name: string): Promise<boolean> {
  if (reservedApiTokenNames.includes(name)) return true;
  if ((await store.readStream(apiTokenNameStreamId(name))).length > 0) return true;
  // Tokens from before names were claimed.
  const pageSize = 1_000;
  for (let after = 0; ;) {
    const page = await store.readAll({
      after,
      limit: pageSize,
      streamPrefix: 'api-token-',
      types: ['ApiTokenCreated'],
    });
    if (page.some((e) => (e.data as { name?: unknown }).name === name)) return true;
    if (page.length < pageSize) return false;
    after = page[page.length - 1]!.position;
  }
}

/** Appends the token's creation with the claim of its name, or throws a 409 naming the name. */
export async function appendApiTokenWithName(
  store: EventStore,
  token: { tokenId: string; name: string },
  events: NewEvent[],
  actor: string,
): Promise<void> {
  if (await nameInUse(store, token.name)) throw taken(token.name);
  try {
    await store.appendMany(
      [
        { streamId: apiTokenStreamId(token.tokenId), events, expectedVersion: 0 },
        {
          streamId: apiTokenNameStreamId(token.name),
          events: [{ type: 'ApiTokenNameClaimed', data: { name: token.name, tokenId: token.tokenId } }],
          expectedVersion: 0,
        },
      ],
      { metadata: { actor } },
    );
  } catch (err) {
    if (err instanceof WrongExpectedVersionError) throw taken(token.name);
    throw err;
  }
}
