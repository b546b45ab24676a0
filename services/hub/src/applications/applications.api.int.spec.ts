import { createTestDatabase, type TestDatabase } from '@flotilla/testing';
import { RegisterClusterCommand } from '../clusters';
import { startSourcesTestHub, typesOf, type SourcesTestHub } from '../sources/testing/sources-test-hub';
import { fakeUserPublicKey } from '../testing/hub-test-app';

/**
 * The applications REST surface against the real Postgres: YAML and JSON bodies, every issue
 * listed with its path and nothing recorded, no event for an unchanged file, pins, sync
 * requests, roles, and read-your-writes through the read model.
 */
const webYaml = (overrides: { name?: string; source?: string; group?: string; extra?: string } = {}) => `
apiVersion: flotilla.dev/v1
kind: Application
metadata:
  name: ${overrides.name ?? 'web'}
spec:
  source: ${overrides.source ?? 'platform'}
  path: ./apps/web/
  targets:
    - group: ${overrides.group ?? 'prod-eu'}
      namespace: web
    - selector:
        matchLabels: { env: staging }
${overrides.extra ?? ''}`;

const sha = (c: string) => c.repeat(40);

describe('applications REST API', () => {
  let database: TestDatabase;
  let hub: SourcesTestHub;
  let viewer: string;
  let operator: string;

  const putYaml = (name: string, yaml: string, token?: string, contentType = 'application/yaml') =>
    hub.request('PUT', `/api/v1/applications/${name}`, {
      rawBody: yaml,
      headers: { 'content-type': contentType },
      ...(token ? { token } : {}),
    });
  const events = (name: string) => hub.store.readStream(`application-${name}`);

  beforeAll(async () => {
    database = await createTestDatabase('hub_apps_api');
    hub = await startSourcesTestHub(database.url, { polling: false });
    viewer = (await hub.request('POST', '/api/v1/api-tokens', { body: { name: 'v', role: 'viewer' } })).body.token;
    operator = (await hub.request('POST', '/api/v1/api-tokens', { body: { name: 'o', role: 'operator' } })).body.token;
    expect(
      (
        await hub.request('POST', '/api/v1/sources', {
          body: { name: 'platform', url: 'file:///srv/git/platform.git' },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await hub.request('POST', '/api/v1/cluster-groups', {
          body: { name: 'prod-eu', selector: { matchLabels: { env: 'prod', region: 'eu' } } },
        })
      ).status,
    ).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await hub?.close();
    await database?.drop();
  });

  it('creates from YAML (201), reads it back at once, answers an unchanged file with 200 and records nothing', async () => {
    const created = await putYaml('web', webYaml(), operator);
    expect(created).toMatchObject({
      status: 201,
      body: {
        outcome: 'created',
        name: 'web',
        spec: {
          source: 'platform',
          path: 'apps/web',
          targets: [
            { group: 'prod-eu', namespace: 'web', patches: [] },
            { selector: { matchLabels: { env: 'staging' } } },
          ],
          syncPolicy: { automated: false, prune: false, driftMode: 'detect', ignoredFields: {} },
        },
        file: { apiVersion: 'flotilla.dev/v1', kind: 'Application', metadata: { name: 'web' } },
        pinnedCommit: null,
        pin: null,
        createdBy: 'token:o',
        updatedBy: 'token:o',
      },
    });
    expect((await hub.request('GET', '/api/v1/applications/web', { token: viewer })).body.spec).toEqual(
      created.body.spec,
    );

    const again = await putYaml('web', webYaml(), operator, 'text/yaml; charset=utf-8');
    expect(again).toMatchObject({ status: 200, body: { outcome: 'unchanged' } });
    // The same application as JSON (keys in another order) is unchanged too.
    const asJson = await hub.request('PUT', '/api/v1/applications/web', {
      token: operator,
      body: {
        spec: { ...created.body.spec },
        metadata: { name: 'web' },
        kind: 'Application',
        apiVersion: 'flotilla.dev/v1',
      },
    });
    expect(asJson).toMatchObject({ status: 200, body: { outcome: 'unchanged' } });

    const changed = await putYaml(
      'web',
      webYaml({ extra: '  syncPolicy: { automated: true, prune: true }' }),
      operator,
    );
    expect(changed).toMatchObject({
      status: 200,
      body: { outcome: 'changed', spec: { syncPolicy: { automated: true, prune: true } } },
    });
    const recorded = await events('web');
    expect(typesOf(recorded)).toEqual(['ApplicationCreated', 'ApplicationChanged']);
    expect(recorded[0]!.metadata.actor).toBe('token:o');
    expect(recorded[1]!.data).toEqual({ name: 'web', spec: changed.body.spec });
    expect(
      (await hub.request('GET', '/api/v1/applications', { token: viewer })).body.items.map(
        (a: { name: string }) => a.name,
      ),
    ).toEqual(['web']);
  });

  it('lists every issue of an invalid file with its path, and records nothing', async () => {
    const bad = await putYaml('api', webYaml({ name: 'api', extra: '  syncPolicy: { prnue: true }' }));
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      statusCode: 400,
      error: 'validation',
      code: 'invalid-application',
      field: 'spec.syncPolicy.prnue',
      issues: [{ path: 'spec.syncPolicy.prnue', message: 'unknown field' }],
    });

    const unknownRefs = await putYaml('other', webYaml({ name: 'api', source: 'nope', group: 'missing' }));
    expect(unknownRefs.status).toBe(400);
    expect(unknownRefs.body.issues).toEqual([
      { path: 'metadata.name', message: 'must equal the name in the URL ("other"), is "api"' },
      { path: 'spec.source', message: 'unknown source "nope"' },
      { path: 'spec.targets[0].group', message: 'unknown cluster group "missing"' },
    ]);
    expect(unknownRefs.body.message).toContain('spec.source: unknown source "nope"');

    const notYaml = await putYaml('api', 'apiVersion: [unclosed');
    expect(notYaml.status).toBe(400);
    expect(notYaml.body.issues[0].message).toMatch(/^invalid YAML/);

    const wrongType = await putYaml('api', webYaml({ name: 'api' }), undefined, 'text/plain');
    expect(wrongType).toMatchObject({ status: 400, body: { field: 'content-type', code: 'unsupported-content-type' } });

    const emptyJson = await hub.request('PUT', '/api/v1/applications/api', { body: {} });
    expect(emptyJson.status).toBe(400);
    expect(emptyJson.body.issues.map((i: { path: string }) => i.path)).toEqual([
      'apiVersion',
      'kind',
      'metadata',
      'spec',
    ]);

    for (const name of ['api', 'other']) expect(await events(name)).toEqual([]);
    expect((await hub.request('GET', '/api/v1/applications/api')).status).toBe(404);
  });

  it('pins to a full commit id, unpins, and refuses nonsense', async () => {
    await putYaml('pinned', webYaml({ name: 'pinned' }));
    const pin = await hub.request('POST', '/api/v1/applications/pinned/pin', {
      token: operator,
      body: { commit: sha('a') },
    });
    expect(pin).toMatchObject({
      status: 200,
      body: { pinnedCommit: sha('a'), pin: { commit: sha('a'), by: 'operator', actor: 'token:o' } },
    });
    // Pinning to the same commit again is a no-op.
    expect((await hub.request('POST', '/api/v1/applications/pinned/pin', { body: { commit: sha('a') } })).status).toBe(
      200,
    );
    expect(await hub.request('POST', '/api/v1/applications/pinned/pin', { body: { commit: 'abc1234' } })).toMatchObject(
      { status: 400, body: { field: 'commit' } },
    );
    expect((await hub.request('POST', '/api/v1/applications/pinned/pin', { body: {} })).body.field).toBe('commit');
    expect((await hub.request('POST', '/api/v1/applications/nope/pin', { body: { commit: sha('a') } })).status).toBe(
      404,
    );

    const unpin = await hub.request('POST', '/api/v1/applications/pinned/unpin', { token: operator });
    expect(unpin).toMatchObject({ status: 200, body: { pinnedCommit: null, pin: null } });
    expect(await hub.request('POST', '/api/v1/applications/pinned/unpin')).toMatchObject({
      status: 409,
      body: { code: 'application-not-pinned' },
    });

    // A pin in the file shows as the file's; unpin says to edit the file.
    await putYaml('pinned', webYaml({ name: 'pinned', extra: `  pinnedCommit: ${sha('f')}` }));
    expect((await hub.request('GET', '/api/v1/applications/pinned')).body).toMatchObject({
      pinnedCommit: sha('f'),
      pin: { commit: sha('f'), by: 'file' },
    });
    expect((await hub.request('POST', '/api/v1/applications/pinned/unpin')).body.message).toContain(
      'spec.pinnedCommit',
    );
    expect(typesOf(await events('pinned'))).toEqual([
      'ApplicationCreated',
      'ApplicationPinned',
      'ApplicationUnpinned',
      'ApplicationChanged',
    ]);
  });

  it('records sync requests for every cluster or a targeted one, and refuses unknown or untargeted clusters', async () => {
    await putYaml('synced', webYaml({ name: 'synced' }));
    const registration = await hub.request('POST', '/api/v1/registration-tokens', {
      body: { labels: { env: 'prod', region: 'eu' } },
    });
    const inGroup = await hub.commands.execute(
      new RegisterClusterCommand(registration.body.token, 'eu-1', fakeUserPublicKey(11), '0.1.0', 'v1.20.2'),
    );
    const other = await hub.commands.execute(
      new RegisterClusterCommand(
        (await hub.request('POST', '/api/v1/registration-tokens', { body: { labels: { env: 'dev' } } })).body.token,
        'dev-1',
        fakeUserPublicKey(12),
        '0.1.0',
        'v1.20.2',
      ),
    );
    await hub.readModel.catchUp();

    expect(await hub.request('POST', '/api/v1/applications/synced/sync', { token: operator })).toMatchObject({
      status: 202,
      body: { application: 'synced', clusterId: null, accepted: true },
    });
    expect(
      await hub.request('POST', '/api/v1/applications/synced/sync', { body: { clusterId: inGroup.clusterId } }),
    ).toMatchObject({ status: 202, body: { clusterId: inGroup.clusterId } });
    expect(
      await hub.request('POST', '/api/v1/applications/synced/sync', { body: { clusterId: other.clusterId } }),
    ).toMatchObject({ status: 409, body: { code: 'cluster-not-targeted' } });
    expect(
      await hub.request('POST', '/api/v1/applications/synced/sync', { body: { clusterId: 'c0000000000000000' } }),
    ).toMatchObject({ status: 400, body: { field: 'clusterId' } });
    expect(
      (await hub.request('POST', '/api/v1/applications/synced/sync', { body: { clusterId: 'eu-1' } })).status,
    ).toBe(400);
    expect((await hub.request('POST', '/api/v1/applications/nope/sync')).status).toBe(404);

    const recorded = await events('synced');
    expect(recorded.filter((e) => e.type === 'ApplicationSyncRequested').map((e) => e.data)).toEqual([
      { name: 'synced' },
      { name: 'synced', clusterId: inGroup.clusterId },
    ]);
    expect((await hub.request('GET', '/api/v1/applications/synced')).body.lastSyncRequest).toMatchObject({
      by: 'token:admin',
      clusterId: inGroup.clusterId,
    });
  });

  it('deletes (204, gone at once), frees the name, and enforces roles', async () => {
    await putYaml('doomed', webYaml({ name: 'doomed' }));
    expect((await putYaml('doomed', webYaml({ name: 'doomed' }), viewer)).status).toBe(403);
    expect((await hub.request('DELETE', '/api/v1/applications/doomed', { token: viewer })).status).toBe(403);
    expect(
      (await hub.request('POST', '/api/v1/applications/doomed/pin', { token: viewer, body: { commit: sha('a') } }))
        .status,
    ).toBe(403);
    expect((await hub.request('GET', '/api/v1/applications', { token: null })).status).toBe(401);

    expect((await hub.request('DELETE', '/api/v1/applications/doomed', { token: operator })).status).toBe(204);
    expect((await hub.request('GET', '/api/v1/applications/doomed')).status).toBe(404);
    expect(
      (await hub.request('GET', '/api/v1/applications')).body.items.map((a: { name: string }) => a.name),
    ).not.toContain('doomed');
    expect((await hub.request('DELETE', '/api/v1/applications/doomed')).status).toBe(404);
    expect((await hub.request('DELETE', '/api/v1/applications/Not_A_Name')).status).toBe(404);
    expect((await putYaml('doomed', webYaml({ name: 'doomed' }))).status).toBe(201);
    expect(typesOf(await events('doomed'))).toEqual(['ApplicationCreated', 'ApplicationDeleted', 'ApplicationCreated']);
  });

  it('serves its paths in the OpenAPI document', async () => {
    const doc = await hub.request('GET', '/api/v1/openapi.json', { token: null });
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/applications',
        '/api/v1/applications/{name}',
        '/api/v1/applications/{name}/pin',
      ]),
    );
    expect(doc.body.components.schemas.Application).toBeDefined();
  });
});
