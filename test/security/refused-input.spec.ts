import { createUser } from '@nats-io/nkeys';
import { startFleet, type Fleet } from '../e2e/registration-harness';
import { register } from './security-harness';

// Finding 5 (issue 10): a live registration token pasted as the cluster name and a NATS
// seed pasted as the public key were written into RegistrationRefused (readable by viewers)
// and the hub's log line; the token was then used by someone else.
jest.setTimeout(180_000);

describe('refused registrations record no secrets (hub, NATS in operator mode)', () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet();
  }, 150_000);
  afterAll(async () => {
    await fleet?.close();
  });

  it('records a reason and a fingerprint, never a token, seed or JWT pasted into a field', async () => {
    const liveToken = await fleet.createToken();
    const victimToken = await fleet.createToken();
    const seed = new TextDecoder().decode(createUser().getSeed());
    const jwt = `eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.${'eyJqdGkiOiJ4In0'}.c2lnbmF0dXJl`;
    const wrongSecret = victimToken.replace(/_[^_]+$/, '_wrongsecretwrongsecretwrongsecret');
    const attempts = [
      // Unknown token, a live token as the name, a seed as the key.
      { token: 'flt_reg_nosuchtoken_secret', clusterName: liveToken, publicKey: seed },
      // A valid token, a malformed (secret) name: refused as malformed.
      { token: victimToken, clusterName: seed, publicKey: seed },
      // The right token id with a wrong secret (the decider's refusal), a JWT as the name.
      { token: wrongSecret, clusterName: jwt, publicKey: jwt },
      // Garbage as the token itself.
      { token: liveToken.replace('flt_reg_', 'flt_reg__'), clusterName: 'ok-name', publicKey: seed },
    ];
    for (const attempt of attempts) {
      expect(await register(fleet, attempt)).toMatchObject({ case: 'refused' });
    }

    const refused = await fleet.events({ types: ['RegistrationRefused'] });
    expect(refused).toHaveLength(attempts.length);
    const recorded = JSON.stringify(refused);
    const logged = fleet.hub.output();
    for (const secret of [liveToken, liveToken.split('_').pop()!, seed, seed.slice(0, 20), jwt, wrongSecret]) {
      expect(recorded).not.toContain(secret);
      expect(logged).not.toContain(secret);
    }
    // Each refusal still says why and carries a bounded fingerprint of what was sent.
    for (const e of refused) {
      const data = e.data as { reason: string; clusterName: string; publicKey: string };
      expect(data.reason).toMatch(/^[a-z-]+$/);
      expect(data.clusterName.length).toBeLessThanOrEqual(80);
      expect(data.publicKey.length).toBeLessThanOrEqual(80);
    }
    expect(refused.map((e) => (e.data as { clusterName: string }).clusterName)).toContain('ok-name');
    // The token pasted as a name was not spent by anyone.
    expect(await register(fleet, { token: liveToken, clusterName: 'rightful' })).toMatchObject({ case: 'accepted' });
  });
});
