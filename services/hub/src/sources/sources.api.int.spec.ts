import { createTestDatabase, type TestDatabase } from '@flotilla/testing';
import { startSourcesTestHub, typesOf, type SourcesTestHub } from './testing/sources-test-hub';

/** The sources REST surface: validation naming the field, roles, 409, 404, references only in the log. */
describe('sources REST API', () => {
  let database: TestDatabase;
  let hub: SourcesTestHub;
  let viewer: string;
  let operator: string;

  beforeAll(async () => {
    database = await createTestDatabase('hub_sources_api');
    // No polling: these tests are about the API, and the URLs point nowhere.
    hub = await startSourcesTestHub(database.url, { polling: false });
    viewer = (await hub.request('POST', '/api/v1/api-tokens', { body: { name: 'v', role: 'viewer' } })).body.token;
    operator = (await hub.request('POST', '/api/v1/api-tokens', { body: { name: 'o', role: 'operator' } })).body.token;
  });
  afterAll(async () => {
    await hub?.close();
    await database?.drop();
  });

  it('adds a source with defaults, lists it, reads it, removes it', async () => {
    const added = await hub.request('POST', '/api/v1/sources', {
      token: operator,
      body: { name: 'apps', url: 'https://git.example.com/org/apps.git' },
    });
    expect(added).toMatchObject({
      status: 201,
      body: {
        name: 'apps',
        url: 'https://git.example.com/org/apps.git',
        branch: 'main',
        pollIntervalSeconds: 60,
        credentialsRef: null,
        webhookPath: null,
        status: 'pending',
        lastObservedCommit: null,
        addedBy: 'token:o',
      },
    });
    expect(
      (await hub.request('GET', '/api/v1/sources', { token: viewer })).body.items.map((s: { name: string }) => s.name),
    ).toEqual(['apps']);
    expect((await hub.request('GET', '/api/v1/sources/apps', { token: viewer })).status).toBe(200);
    expect((await hub.request('DELETE', '/api/v1/sources/apps', { token: operator })).status).toBe(204);
    expect((await hub.request('GET', '/api/v1/sources/apps')).status).toBe(404);
    expect(typesOf(await hub.events('apps'))).toEqual(['SourceAdded', 'SourceRemoved']);
  });

  it('keeps only references to secrets in the log, and refuses references this hub cannot resolve', async () => {
    await hub.writeSecret('deploy-token', 'bot:ghp_supersecretvalue');
    const res = await hub.request('POST', '/api/v1/sources', {
      body: { name: 'private', url: 'https://git.example.com/org/private.git', credentialsRef: 'deploy-token' },
    });
    expect(res.status).toBe(201);
    expect(res.body.credentialsRef).toBe('deploy-token');
    const stored = JSON.stringify(await hub.events('private'));
    expect(stored).toContain('deploy-token');
    expect(stored).not.toContain('ghp_supersecretvalue');

    const missing = await hub.request('POST', '/api/v1/sources', {
      body: { name: 'private-2', url: 'https://git.example.com/org/p.git', webhookSecretRef: 'nope' },
    });
    expect(missing).toMatchObject({ status: 400, body: { field: 'webhookSecretRef', code: 'secret-unavailable' } });
  });

  it.each([
    [{ url: 'https://x.example.com/r.git' }, 'name'],
    [{ name: 'Bad Name', url: 'https://x.example.com/r.git' }, 'name'],
    [{ name: 'x' }, 'url'],
    [{ name: 'x', url: 'https://user:pw@x.example.com/r.git' }, 'url'],
    [{ name: 'x', url: 'http://x.example.com/r.git' }, 'url'],
    [{ name: 'x', url: 'https://x.example.com/r.git', branch: 'a..b' }, 'branch'],
    [{ name: 'x', url: 'https://x.example.com/r.git', pollIntervalSeconds: 1 }, 'pollIntervalSeconds'],
    [{ name: 'x', url: 'https://x.example.com/r.git', pollIntervalSeconds: 100_000 }, 'pollIntervalSeconds'],
    [{ name: 'x', url: 'https://x.example.com/r.git', credentialsRef: '../../etc/shadow' }, 'credentialsRef'],
    [{ name: 'x', url: 'https://x.example.com/r.git', extra: true }, undefined],
  ])('refuses %j with 400 naming %s', async (body, field) => {
    const res = await hub.request('POST', '/api/v1/sources', { body });
    expect(res.status).toBe(400);
    if (field) expect(res.body.field).toBe(field);
    expect(await hub.events('x')).toEqual([]);
  });

  it('answers 409 for a duplicate name, 404 for unknown sources, 403 for a viewer writing', async () => {
    const body = { name: 'dup', url: 'file:///srv/git/dup.git' };
    expect((await hub.request('POST', '/api/v1/sources', { body })).status).toBe(201);
    expect(await hub.request('POST', '/api/v1/sources', { body })).toMatchObject({
      status: 409,
      body: { code: 'source-exists' },
    });
    expect((await hub.request('GET', '/api/v1/sources/nope')).status).toBe(404);
    expect((await hub.request('DELETE', '/api/v1/sources/nope')).status).toBe(404);
    expect((await hub.request('DELETE', '/api/v1/sources/Not_A_Name')).status).toBe(404);
    expect((await hub.request('POST', '/api/v1/sources', { token: viewer, body: { ...body, name: 'v' } })).status).toBe(
      403,
    );
    expect((await hub.request('DELETE', '/api/v1/sources/dup', { token: viewer })).status).toBe(403);
    expect((await hub.request('GET', '/api/v1/sources', { token: null })).status).toBe(401);
  });
});
