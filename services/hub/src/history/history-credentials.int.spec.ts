import { ndjsonMediaType } from '@flotilla/api';
import { hiddenValue } from './credential-hashes';
import { startHubTestApp, type HubTestApp } from '../testing/hub-test-app';

// Token events keep the hash of their secret in the log (the hub checks presented secrets
// against it); the history API and its export never show it.
jest.setTimeout(60_000);

describe('GET /api/v1/history hides hashes of credentials', () => {
  let hub: HubTestApp;

  beforeAll(async () => {
    hub = await startHubTestApp();
  }, 60_000);

  afterAll(async () => {
    await hub?.close();
  });

  it('in pages and in the NDJSON export, while the log keeps them', async () => {
    const apiToken = await hub.request('POST', '/api/v1/api-tokens', { body: { name: 'viewer-bot', role: 'viewer' } });
    expect(apiToken.status).toBe(201);
    const registrationToken = await hub.request('POST', '/api/v1/registration-tokens', {
      body: { labels: { env: 'prod' } },
    });
    expect(registrationToken.status).toBe(201);

    // What is stored: real sha256 hashes, which the history must not pass on.
    const stored = (await hub.store.readAll({ types: ['ApiTokenCreated', 'RegistrationTokenCreated'] })).map(
      (e) => e.data as Record<string, unknown>,
    );
    expect(stored).toHaveLength(2);
    for (const data of stored) expect(data.secretHash).toMatch(/^[0-9a-f]{64}$/);

    const types = 'type=ApiTokenCreated,RegistrationTokenCreated';
    // A viewer reads the history too: the answer is the same for every role.
    const viewer = apiToken.body.token as string;
    const page = await hub.request('GET', `/api/v1/history?${types}`, { token: viewer });
    expect(page.status).toBe(200);
    expect(page.body.items.map((e: { type: string }) => e.type).sort()).toEqual([
      'ApiTokenCreated',
      'RegistrationTokenCreated',
    ]);
    for (const event of page.body.items) {
      expect(event.data.secretHash).toBe(hiddenValue);
      expect(event.data.tokenId).toMatch(/\S/);
    }
    expect(JSON.stringify(page.body)).not.toContain(stored[0]!.secretHash as string);

    const exported = await fetch(`${hub.baseUrl}/api/v1/history?${types}`, {
      headers: { authorization: `Bearer ${viewer}`, accept: ndjsonMediaType },
    });
    expect(exported.status).toBe(200);
    const text = await exported.text();
    const lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(2);
    for (const event of lines) expect(event.data.secretHash).toBe(hiddenValue);
    for (const data of stored) expect(text).not.toContain(data.secretHash as string);
  });
});
