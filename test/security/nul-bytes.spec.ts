import { startFleet, type Fleet } from '../e2e/registration-harness';

// Finding 10 (issue 10): a NUL byte in a path or query parameter reached Postgres, which
// refuses 0x00, and the hub answered 500. It is the caller's mistake: 400 naming the parameter.
jest.setTimeout(180_000);

describe('NUL bytes in parameters (hub process)', () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet();
  }, 150_000);
  afterAll(async () => {
    await fleet?.close();
  });

  it.each([
    ['GET', '/api/v1/clusters/c%00', 'clusterId'],
    ['GET', '/api/v1/clusters/%00/state', 'clusterId'],
    ['GET', '/api/v1/clusters?selector=env%3D%00', 'selector'],
    ['GET', '/api/v1/sources/a%00b', 'name'],
    ['GET', '/api/v1/applications?source=%00', 'source'],
    ['GET', '/api/v1/applications/web%00', 'name'],
    ['GET', '/api/v1/applications/web%00/status', 'name'],
    ['GET', '/api/v1/cluster-groups/%00', 'name'],
    ['GET', '/api/v1/history?cluster=c%00', 'cluster'],
    ['GET', '/api/v1/history?type=%00', 'type'],
    ['GET', '/api/v1/drift?cluster=%00', 'cluster'],
    ['GET', '/api/v1/drift/history?application=%00', 'application'],
    ['DELETE', '/api/v1/cluster-groups/x%00', 'name'],
    ['DELETE', '/api/v1/api-tokens/%00', 'tokenId'],
    ['POST', '/api/v1/applications/web%00/pin', 'name'],
  ])('%s %s answers 400 naming %s', async (method, url, field) => {
    const answer = await fleet.api(method, url, method === 'POST' ? {} : undefined);
    expect({ status: answer.status, field: answer.body?.field }).toEqual({ status: 400, field });
    expect(answer.body.message).toMatch(/NUL/);
  });

  it('a NUL byte inside a JSON body is refused with 400 too, naming the field', async () => {
    const answer = await fleet.api('POST', '/api/v1/cluster-groups', { name: 'g\u0000', selector: 'env=prod' });
    expect({ status: answer.status, field: answer.body?.field }).toEqual({ status: 400, field: 'name' });
  });
});
