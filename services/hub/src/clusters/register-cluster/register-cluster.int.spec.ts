import { RegisterClusterCommand, RegistrationRefusedError } from '..';
import { fakeUserPublicKey, startHubTestApp, type HubTestApp } from '../../testing/hub-test-app';

describe('RegisterClusterCommand against the real event store', () => {
  let hub: HubTestApp;
  beforeAll(async () => {
    hub = await startHubTestApp();
  });
  afterAll(async () => {
    await hub?.close();
  });

  const createToken = async (body: object = {}) => {
    const res = await hub.request('POST', '/api/v1/registration-tokens', { body });
    expect(res.status).toBe(201);
    return res.body as { tokenId: string; token: string; expiresAt: string };
  };
  const register = (token: string, name: string, key = fakeUserPublicKey(name.length * 7 + name.charCodeAt(0))) =>
    hub.commands.execute(new RegisterClusterCommand(token, name, key, '0.1.0', 'v1.20.2'));
  const refusalOf = async (promise: Promise<unknown>) => {
    try {
      await promise;
    } catch (err) {
      expect(err).toBeInstanceOf(RegistrationRefusedError);
      return err as RegistrationRefusedError;
    }
    throw new Error('expected a refusal');
  };

  it('registers with a fresh token: ClusterRegistered, token used, name claimed, in one append', async () => {
    const { token, tokenId } = await createToken({ labels: { env: 'prod' } });
    const key = fakeUserPublicKey(1);
    const result = await register(token, 'alpha', key);
    expect(result).toEqual({
      clusterId: expect.stringMatching(/^c[0-9a-f]{16}$/),
      name: 'alpha',
      labels: { env: 'prod' },
    });
    const [registered] = await hub.store.readStream(`cluster-${result.clusterId}`);
    expect(registered).toMatchObject({
      type: 'ClusterRegistered',
      data: {
        clusterId: result.clusterId,
        name: 'alpha',
        labels: { env: 'prod' },
        publicKey: key,
        tokenId,
        agentVersion: '0.1.0',
        kubernetesVersion: 'v1.20.2',
      },
    });
    expect(registered!.metadata.actor).toBe(`agent:${result.clusterId}`);
    const tokenEvents = await hub.store.readStream(`registration-token-${tokenId}`);
    expect(tokenEvents.map((e) => e.type)).toEqual(['RegistrationTokenCreated', 'RegistrationTokenUsed']);
    expect(JSON.stringify(tokenEvents)).not.toContain(token.split('_').pop());
    const nameEvents = await hub.store.readStream('cluster-name-alpha');
    expect(nameEvents[0]!.position).toBe(registered!.position + 1);
  });

  it('refuses garbage, unknown ids, wrong secrets, reuse and expiry; records each; changes nothing else', async () => {
    const { token, tokenId } = await createToken();
    await register(token, 'bravo', fakeUserPublicKey(2));
    const head = await hub.store.headPosition();

    const garbage = await refusalOf(register('not-a-token', 'x1'));
    expect(garbage.reason).toBe('malformed');
    const unknown = await refusalOf(register(`flt_reg_ffffffffffff_${'A'.repeat(43)}`, 'x2'));
    expect(unknown.reason).toBe('unknown');
    const wrongSecret = await refusalOf(register(`flt_reg_${tokenId}_${'B'.repeat(43)}`, 'x3'));
    expect(wrongSecret.reason).toBe('invalid-secret');
    const reused = await refusalOf(register(token, 'x4', fakeUserPublicKey(4)));
    expect(reused.reason).toBe('used');
    expect(reused.message).toMatch(/already used/);

    const fresh = await createToken({ ttlSeconds: 60 });
    hub.clock.advance(61_000);
    const expired = await refusalOf(register(fresh.token, 'x5'));
    expect(expired.reason).toBe('expired');

    const after = await hub.store.readAll({ after: head });
    // The only new events: one token created, and one refusal per attempt.
    expect(after.map((e) => e.type).sort()).toEqual([
      'RegistrationRefused',
      'RegistrationRefused',
      'RegistrationRefused',
      'RegistrationRefused',
      'RegistrationRefused',
      'RegistrationTokenCreated',
    ]);
    const refusals = after.filter((e) => e.type === 'RegistrationRefused');
    expect(refusals.map((e) => [e.streamId, (e.data as { reason: string }).reason])).toEqual([
      ['registration-refusals', 'malformed'],
      ['registration-refusals', 'unknown'],
      [`registration-token-${tokenId}`, 'invalid-secret'],
      [`registration-token-${tokenId}`, 'used'],
      [`registration-token-${fresh.tokenId}`, 'expired'],
    ]);
    expect(JSON.stringify(after)).not.toContain('not-a-token');
    expect((refusals[1]!.data as { tokenId?: string }).tokenId).toBe('ffffffffffff');
    expect(refusals[0]!.data).not.toHaveProperty('tokenId');
  });

  it('refuses a taken name without burning the token, and the token still works with another name', async () => {
    const first = await createToken();
    await register(first.token, 'charlie', fakeUserPublicKey(3));
    const second = await createToken();
    const refusal = await refusalOf(register(second.token, 'charlie', fakeUserPublicKey(33)));
    expect(refusal.reason).toBe('name-taken');
    await expect(register(second.token, 'charlie-2', fakeUserPublicKey(33))).resolves.toMatchObject({
      name: 'charlie-2',
    });
  });

  it('refuses a malformed name or key without burning the token', async () => {
    const { token } = await createToken();
    expect((await refusalOf(register(token, 'Bad Name'))).reason).toBe('malformed');
    expect(
      await refusalOf(hub.commands.execute(new RegisterClusterCommand(token, 'delta', 'not-a-key', '0.1.0', 'v1'))),
    ).toMatchObject({ reason: 'malformed' });
    await expect(register(token, 'delta', fakeUserPublicKey(5))).resolves.toMatchObject({ name: 'delta' });
  });

  it('answers a retried registration (same token, name and key) with the same cluster', async () => {
    const { token } = await createToken();
    const key = fakeUserPublicKey(6);
    const first = await register(token, 'echo', key);
    await expect(register(token, 'echo', key)).resolves.toEqual(first);
  });

  it('lets exactly one of two racing registrations use a token', async () => {
    const { token } = await createToken();
    const results = await Promise.allSettled([
      register(token, 'race-a', fakeUserPublicKey(7)),
      register(token, 'race-b', fakeUserPublicKey(8)),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(RegistrationRefusedError);
    expect((rejected.reason as RegistrationRefusedError).reason).toBe('used');
  });

  it('frees the name when the cluster is deregistered', async () => {
    const { token } = await createToken();
    const { clusterId } = await register(token, 'foxtrot', fakeUserPublicKey(9));
    expect((await hub.request('DELETE', `/api/v1/clusters/${clusterId}`)).status).toBe(200);
    const again = await createToken();
    await expect(register(again.token, 'foxtrot', fakeUserPublicKey(10))).resolves.toMatchObject({ name: 'foxtrot' });
  });
});
