import { startFleet, type Fleet } from '../e2e/registration-harness';

// Finding 7 (issue 10): API token names were not unique. A token could be named `admin` (the
// bootstrap admin's actor, `token:admin`) or reuse a live or revoked token's name with another
// role, so the actor `token:<name>` in the log named two principals.
jest.setTimeout(180_000);

describe('one actor, one principal (hub process)', () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet();
  }, 150_000);
  afterAll(async () => {
    await fleet?.close();
  });

  const createApiToken = (name: string, role: string) => fleet.api('POST', '/api/v1/api-tokens', { name, role });

  it('refuses a token named like the bootstrap admin', async () => {
    const answer = await createApiToken('admin', 'viewer');
    expect({ status: answer.status, code: answer.body?.code }).toEqual({ status: 409, code: 'token-name-taken' });
    expect(answer.body.message).toMatch(/admin/);
  });

  it('refuses a second token with a live or revoked token’s name, whatever its role', async () => {
    const first = await createApiToken('ops', 'operator');
    expect(first.status).toBe(201);
    const again = await createApiToken('ops', 'viewer');
    expect({ status: again.status, code: again.body?.code }).toEqual({ status: 409, code: 'token-name-taken' });
    expect((await fleet.api('DELETE', `/api/v1/api-tokens/${first.body.tokenId}`)).status).toBe(204);
    const afterRevocation = await createApiToken('ops', 'admin');
    expect({ status: afterRevocation.status, code: afterRevocation.body?.code }).toEqual({
      status: 409,
      code: 'token-name-taken',
    });
    const listed = (await fleet.api('GET', '/api/v1/api-tokens')).body.items as Array<{ name: string }>;
    expect(listed.filter((t) => t.name === 'ops')).toHaveLength(1);
    expect(listed.filter((t) => t.name === 'admin')).toHaveLength(1);
  });

  it('records each token’s changes under an actor only that token has', async () => {
    const created = await createApiToken('deployer', 'operator');
    expect(created.status).toBe(201);
    const group = await fetch(`${fleet.hubUrl}/api/v1/cluster-groups`, {
      method: 'POST',
      headers: { authorization: `Bearer ${created.body.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'by-deployer', selector: { matchLabels: { env: 'prod' } } }),
    });
    expect(group.status).toBe(201);
    const events = await fleet.events({ streamPrefix: 'cluster-group-' });
    const actors = events.map((e) => e.metadata.actor);
    expect(actors).toEqual(['token:deployer']);
    // Every token ever created has a distinct name, so `token:<name>` names one of them.
    const names = (await fleet.events({ types: ['ApiTokenCreated'] })).map((e) => (e.data as { name: string }).name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).not.toContain('admin');
  });
});
