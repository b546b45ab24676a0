import { startFleet, type Fleet } from '../e2e/registration-harness';

// Finding 8 (issue 10): an operator could add a `file://` source for any path on the hub's
// host and have the hub read it. Local sources are off unless the hub is started allowing them.
jest.setTimeout(180_000);

describe('local (file://) sources (hub process)', () => {
  let fleet: Fleet;

  beforeAll(async () => {
    // The test environment allows local sources for every other hub; this one is started as
    // a hub is by default.
    fleet = await startFleet({ hubEnv: { FLOTILLA_HUB_GIT_ALLOW_LOCAL_SOURCES: 'false' } });
  }, 150_000);
  afterAll(async () => {
    await fleet?.close();
  });

  it('refuses a file:// source on a hub not started with FLOTILLA_HUB_GIT_ALLOW_LOCAL_SOURCES=true, and records nothing', async () => {
    const before = (await fleet.events()).length;
    const answer = await fleet.api('POST', '/api/v1/sources', { name: 'etc', url: 'file:///etc', branch: 'main' });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ field: 'url', message: expect.stringMatching(/ALLOW_LOCAL_SOURCES/) });
    expect(await fleet.events()).toHaveLength(before);
    // A remote source is still accepted.
    const remote = await fleet.api('POST', '/api/v1/sources', {
      name: 'remote',
      url: 'https://127.0.0.1:9/r.git',
      branch: 'main',
    });
    expect(remote.status).toBeLessThan(300);
  });
});
