import { RefusalReason } from '@flotilla/contracts';
import { startFleet, type Fleet } from '../e2e/registration-harness';
import { register, registerRaw, type ClusterCredentials } from './security-harness';

// Finding 3 (issue 10): a second cluster registered with an existing cluster's public key
// shares its NATS identity; deregistering the intruder then revoked the innocent cluster.
jest.setTimeout(180_000);

describe('one key, one cluster (hub, NATS in operator mode)', () => {
  let fleet: Fleet;
  let victim: ClusterCredentials;

  beforeAll(async () => {
    fleet = await startFleet();
    victim = await registerRaw(fleet, 'victim');
  }, 150_000);
  afterAll(async () => {
    await fleet?.close();
  });

  it('refuses a registration with a public key that is already registered, and records the attempt', async () => {
    const token = await fleet.createToken();
    const answer = await register(fleet, { token, clusterName: 'intruder', publicKey: victim.publicKey });
    expect(answer).toMatchObject({
      case: 'refused',
      reason: RefusalReason.KEY_TAKEN,
      message: expect.stringMatching(/public key is already registered/),
    });

    const registered = await fleet.events({ types: ['ClusterRegistered'] });
    expect(registered).toHaveLength(1);
    const refused = await fleet.events({ types: ['RegistrationRefused'] });
    expect(refused.map((e) => (e.data as { reason: string }).reason)).toEqual(['key-taken']);

    // The token was not burned: the same agent with its own key registers.
    const retried = await register(fleet, { token, clusterName: 'intruder' });
    expect(retried.case).toBe('accepted');
  });
});
