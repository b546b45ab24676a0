import { createHmac } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@flotilla/testing';
import { GitFixture } from '../testing/git-fixture';
import {
  eventually,
  observedShas,
  startSourcesTestHub,
  typesOf,
  type SourcesTestHub,
} from '../testing/sources-test-hub';

/**
 * Webhooks from GitHub, GitLab and Gitea against the real hub and Postgres. The poll
 * interval is an hour, so a commit observed within seconds can only come from the webhook.
 */
describe('source webhook', () => {
  const secret = 'whsec-0123456789-abcdefghijklmnop';
  let database: TestDatabase;
  let hub: SourcesTestHub;
  let repo: GitFixture;

  beforeAll(async () => {
    database = await createTestDatabase('hub_sources_webhook');
    hub = await startSourcesTestHub(database.url);
    await hub.writeSecret('hook-secret', `${secret}\n`);
    repo = await GitFixture.create();
    await repo.commit('one', { 'a.yaml': '1' });
    const res = await hub.request('POST', '/api/v1/sources', {
      body: { name: 'hooked', url: repo.url, pollIntervalSeconds: 3600, webhookSecretRef: 'hook-secret' },
    });
    expect(res.status).toBe(201);
    expect(res.body.webhookPath).toBe('/api/v1/sources/hooked/webhook');
    await eventually(
      () => hub.events('hooked'),
      (e) => observedShas(e).length === 1,
    );
  });
  afterAll(async () => {
    await hub?.close();
    await repo?.dispose();
    await database?.drop();
  });

  const pushBody = JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'org/apps' } });
  const hmac = (body: string, key = secret) => createHmac('sha256', key).update(body).digest('hex');
  const deliver = (headers: Record<string, string>, rawBody = pushBody) =>
    hub.request('POST', '/api/v1/sources/hooked/webhook', { token: null, rawBody, headers });

  it.each([
    ['github', (body: string) => ({ 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(body)}` })],
    ['gitlab', () => ({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': secret })],
    ['gitea', (body: string) => ({ 'x-gitea-event': 'push', 'x-gitea-signature': hmac(body) })],
  ])('a signed %s push triggers an immediate observation', async (provider, headers) => {
    const sha = await repo.commit(`pushed via ${provider}`, { [`${provider}.yaml`]: provider });
    const res = await deliver(headers(pushBody));
    expect(res).toEqual({ status: 202, body: { accepted: true, provider, triggered: true } });
    const events = await eventually(
      () => hub.events('hooked'),
      (e) => observedShas(e).includes(sha),
      15_000,
    );
    expect(observedShas(events).at(-1)).toBe(sha);
  });

  it('verifies over the raw bytes: the same JSON re-spaced no longer matches', async () => {
    const signedFor = JSON.stringify(JSON.parse(pushBody), null, 2);
    const res = await deliver({ 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(signedFor)}` });
    expect(res.status).toBe(401);
  });

  it('answers a GitHub ping without fetching', async () => {
    const res = await deliver({ 'x-github-event': 'ping', 'x-hub-signature-256': `sha256=${hmac(pushBody)}` });
    expect(res).toEqual({ status: 202, body: { accepted: true, provider: 'github', triggered: false } });
  });

  it('refuses bad or missing signatures with 401 and records WebhookRejected without the body', async () => {
    const before = (await hub.events('hooked')).length;
    const forged = await deliver({
      'x-github-event': 'push',
      'x-hub-signature-256': `sha256=${hmac(pushBody, 'guess')}`,
    });
    expect(forged).toMatchObject({ status: 401, body: { error: 'unauthorized', code: 'webhook-invalid-signature' } });
    expect((await deliver({ 'x-gitlab-token': 'wrong' })).status).toBe(401);
    expect((await deliver({ 'x-gitea-signature': 'zz' })).status).toBe(401);
    const missing = await deliver({});
    expect(missing).toMatchObject({ status: 401, body: { code: 'webhook-missing-signature' } });

    const rejected = (await hub.events('hooked')).slice(before);
    expect(typesOf(rejected)).toEqual(['WebhookRejected', 'WebhookRejected', 'WebhookRejected', 'WebhookRejected']);
    expect(rejected.map((e) => e.data)).toEqual([
      { source: 'hooked', provider: 'github', reason: 'invalid-signature', at: expect.any(String) },
      { source: 'hooked', provider: 'gitlab', reason: 'invalid-signature', at: expect.any(String) },
      { source: 'hooked', provider: 'gitea', reason: 'invalid-signature', at: expect.any(String) },
      { source: 'hooked', provider: 'unknown', reason: 'missing-signature', at: expect.any(String) },
    ]);
    const stored = JSON.stringify(rejected);
    expect(stored).not.toContain('org/apps');
    expect(stored).not.toContain(secret);
    await hub.readModel.catchUp();
    expect((await hub.request('GET', '/api/v1/sources/hooked')).body).toMatchObject({
      webhookRejections: expect.any(Number),
      lastWebhookRejection: 'unknown: missing-signature',
    });
  });

  it('refuses webhooks for a source without a webhook secret (recorded) and for unknown sources (404, not recorded)', async () => {
    const other = await hub.request('POST', '/api/v1/sources', {
      body: { name: 'no-hook', url: repo.url, pollIntervalSeconds: 3600 },
    });
    expect(other.status).toBe(201);
    const res = await hub.request('POST', '/api/v1/sources/no-hook/webhook', {
      token: null,
      rawBody: pushBody,
      headers: { 'x-gitlab-token': secret },
    });
    expect(res).toMatchObject({ status: 401, body: { code: 'webhook-not-configured' } });
    expect(typesOf(await hub.events('no-hook'))).toContain('WebhookRejected');

    const head = await hub.store.headPosition();
    const unknown = await hub.request('POST', '/api/v1/sources/nope/webhook', {
      token: null,
      rawBody: pushBody,
      headers: { 'x-gitlab-token': secret },
    });
    expect(unknown.status).toBe(404);
    expect(await hub.store.readAll({ after: head, streamPrefix: 'source-nope' })).toEqual([]);
  });
});
