import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { jwtAuthenticator, connect, type NatsConnection } from '@nats-io/transport-node';
import {
  agentInboxPrefix,
  desiredStateSubject,
  heartbeatSubject,
  registerSubject,
  BOOTSTRAP_INBOX_PREFIX,
} from '@flotilla/contracts';
import { eventually, startFleet, type Fleet } from './registration-harness';

// Registration, isolation, token abuse and revocation across real processes: nats-server in
// operator mode, Postgres, the hub and agents started from source.
jest.setTimeout(180_000);

interface StoredCredentials {
  clusterId: string;
  clusterName: string;
  seed: string;
  userJwt: string;
  hubSigningPublicKey: string;
}

const readCredentials = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as StoredCredentials;

/** Connects with an agent's stored credentials, collecting the permission errors the server sends. */
async function connectAs(fleet: Fleet, creds: StoredCredentials): Promise<{ nc: NatsConnection; errors: string[] }> {
  const nc = await connect({
    servers: fleet.nats.url,
    authenticator: jwtAuthenticator(creds.userJwt, new TextEncoder().encode(creds.seed)),
    inboxPrefix: agentInboxPrefix(creds.clusterId),
    reconnect: false,
    timeout: 5000,
  });
  const errors: string[] = [];
  void (async () => {
    for await (const s of nc.status()) if (s.type === 'error') errors.push(String(s.error));
  })();
  return { nc, errors };
}

describe('registration over NATS (hub and agent processes)', () => {
  let fleet: Fleet;
  let credsA: StoredCredentials;
  let credsB: StoredCredentials;
  let fileA: string;
  let fileB: string;

  beforeAll(async () => {
    fleet = await startFleet();
    fileA = path.join(fleet.dir, 'a', 'credentials.json');
    fileB = path.join(fleet.dir, 'b', 'credentials.json');
  }, 150_000);
  afterAll(async () => {
    await fleet?.close();
  });

  it('registers an agent with a token: credentials saved (0600), ClusterRegistered recorded, labels from the token applied', async () => {
    const token = await fleet.createToken({ labels: { env: 'prod', region: 'eu' } });
    const agent = fleet.startAgent({ name: 'alpha', token, credentialsFile: fileA });
    await agent.waitFor(/connected/);
    credsA = readCredentials(fileA);
    expect(statSync(fileA).mode & 0o777).toBe(0o600);
    expect(credsA.clusterName).toBe('alpha');
    expect(credsA.seed).toMatch(/^SU/);
    expect(credsA.hubSigningPublicKey).toBe(fleet.authority.signingPublicKey);
    // The private key never left the agent: the hub saw only the public key.
    const registered = await fleet.events({ types: ['ClusterRegistered'] });
    expect(registered).toHaveLength(1);
    expect(registered[0]!.streamId).toBe(`cluster-${credsA.clusterId}`);
    expect(registered[0]!.data).toMatchObject({
      clusterId: credsA.clusterId,
      name: 'alpha',
      labels: { env: 'prod', region: 'eu' },
    });
    expect(JSON.stringify(await fleet.events())).not.toContain(credsA.seed);
    expect(JSON.stringify(await fleet.events())).not.toContain(token);
    // The cluster view is a projection: eventually consistent with the log (a loaded machine may lag).
    const body = await eventually(
      async () => {
        const { status, body } = await fleet.api('GET', `/api/v1/clusters/${credsA.clusterId}`);
        return status === 200 ? body : undefined;
      },
      15_000,
      'the cluster view to show the new cluster',
    );
    expect(body).toMatchObject({ id: credsA.clusterId, name: 'alpha', labels: { env: 'prod', region: 'eu' } });

    // Restart: reuses the stored credentials, no token, no second registration.
    expect(await agent.stop()).toBe(0);
    const again = fleet.startAgent({ name: 'alpha', credentialsFile: fileA });
    await again.waitFor(/connected/);
    expect(again.output()).toMatch(/not registering again/);
    expect(readCredentials(fileA)).toEqual(credsA);
    expect(await fleet.events({ types: ['ClusterRegistered'] })).toHaveLength(1);
  });

  it("confines each agent to its own cluster's subjects, and the bootstrap user to registration", async () => {
    const agentB = fleet.startAgent({ name: 'bravo', token: await fleet.createToken(), credentialsFile: fileB });
    await agentB.waitFor(/connected/);
    credsB = readCredentials(fileB);

    const { nc, errors } = await connectAs(fleet, credsA);
    try {
      // Its own subjects work (the server sends no error for them).
      nc.publish(heartbeatSubject(credsA.clusterId), new Uint8Array());
      nc.subscribe(desiredStateSubject(credsA.clusterId));
      // B's subjects and registration are refused by the server.
      nc.publish(heartbeatSubject(credsB.clusterId), new Uint8Array());
      const sub = nc.subscribe(desiredStateSubject(credsB.clusterId));
      nc.publish(registerSubject(), new Uint8Array());
      await nc.flush();
      await eventually(() => (errors.length >= 3 ? true : undefined), 10_000, 'three permission violations');
      const text = errors.join('\n');
      expect(text).toMatch(
        new RegExp(
          `Permissions Violation for Publish to "${heartbeatSubject(credsB.clusterId).replace(/\./g, '\\.')}"`,
        ),
      );
      expect(text).toMatch(
        new RegExp(
          `Permissions Violation for Subscription to "${desiredStateSubject(credsB.clusterId).replace(/\./g, '\\.')}"`,
        ),
      );
      expect(text).toMatch(/Permissions Violation for Publish to "flotilla\.v1\.register"/);
      expect(text).not.toMatch(new RegExp(credsA.clusterId));
      await expect(sub.closed).resolves.toBeDefined();
    } finally {
      await nc.close();
    }

    const bootstrap = await fleet.nats.connect(readFileSync(fleet.bootstrapCredsFile, 'utf8'), {
      inboxPrefix: BOOTSTRAP_INBOX_PREFIX,
    });
    const bootErrors: string[] = [];
    void (async () => {
      for await (const s of bootstrap.status()) if (s.type === 'error') bootErrors.push(String(s.error));
    })();
    try {
      bootstrap.publish(heartbeatSubject(credsA.clusterId), new Uint8Array());
      bootstrap.subscribe(`${agentInboxPrefix(credsA.clusterId)}.>`);
      await bootstrap.flush();
      await eventually(
        () => (bootErrors.length >= 2 ? true : undefined),
        10_000,
        'two permission violations of the bootstrap user',
      );
      expect(bootErrors.join('\n')).toMatch(/Permissions Violation for Publish/);
      expect(bootErrors.join('\n')).toMatch(/Permissions Violation for Subscription/);
    } finally {
      await bootstrap.close();
    }
  });

  it('refuses reused, expired, unknown, garbage and wrong-secret tokens with a clear message, records each, and changes nothing else', async () => {
    const before = await fleet.events();
    const clustersBefore = (await fleet.events({ types: ['ClusterRegistered'] })).length;
    const used = await fleet.createToken();
    const ok = fleet.startAgent({
      name: 'charlie',
      token: used,
      credentialsFile: path.join(fleet.dir, 'c', 'credentials.json'),
    });
    await ok.waitFor(/connected/);

    const expired = await fleet.createToken({ ttlSeconds: 1 });
    await new Promise((r) => setTimeout(r, 2100));
    const valid = await fleet.createToken();
    const [, , tokenId] = valid.split('_');
    const wrongSecret = `flt_reg_${tokenId}_${'A'.repeat(43)}`;
    const unknown = `flt_reg_${'0'.repeat(12)}_${'B'.repeat(43)}`;

    const cases: Array<{ token: string; reason: string; message: RegExp }> = [
      { token: used, reason: 'used', message: /already used/ },
      { token: expired, reason: 'expired', message: /expired/ },
      { token: unknown, reason: 'unknown', message: /unknown/ },
      { token: 'not-a-token', reason: 'malformed', message: /malformed/ },
      { token: wrongSecret, reason: 'invalid-secret', message: /invalid/ },
    ];
    for (const [i, c] of cases.entries()) {
      const agent = fleet.startAgent({
        name: `refused-${i}`,
        token: c.token,
        credentialsFile: path.join(fleet.dir, `refused-${i}`, 'credentials.json'),
      });
      const code = await agent.exited;
      expect({ reason: c.reason, code }).toEqual({ reason: c.reason, code: 3 });
      expect(agent.output()).toMatch(/registration refused/);
      expect(agent.output()).toMatch(c.message);
      expect(() => statSync(path.join(fleet.dir, `refused-${i}`, 'credentials.json'))).toThrow();
    }

    const refusals = await fleet.events({ types: ['RegistrationRefused'] });
    expect(refusals.map((e) => (e.data as { reason: string }).reason).sort()).toEqual(
      cases.map((c) => c.reason).sort(),
    );
    for (const e of refusals) expect(JSON.stringify(e.data)).not.toMatch(/flt_reg_|not-a-token/);
    // The wrong secret is recorded against its token; the token still works afterwards.
    expect(refusals.find((e) => (e.data as { reason: string }).reason === 'invalid-secret')!.streamId).toBe(
      `registration-token-${tokenId}`,
    );
    expect(refusals.find((e) => (e.data as { reason: string }).reason === 'malformed')!.streamId).toBe(
      'registration-refusals',
    );

    // Nothing else changed: one new cluster (charlie); besides its registration and the
    // tokens created here, only the refusals were recorded.
    expect((await fleet.events({ types: ['ClusterRegistered'] })).length).toBe(clustersBefore + 1);
    const newEvents = (await fleet.events()).slice(before.length);
    const allowed = [
      'RegistrationTokenCreated',
      'RegistrationTokenUsed',
      'ClusterRegistered',
      'ClusterConnected',
      'RegistrationRefused',
    ];
    expect(
      newEvents
        .filter((e) => !allowed.includes(e.type) && !e.type.startsWith('ClusterName') && e.type !== 'ClusterKeyClaimed')
        .map((e) => e.type),
    ).toEqual([]);
    expect(newEvents.filter((e) => e.type === 'RegistrationTokenUsed')).toHaveLength(1);

    const stillValid = fleet.startAgent({
      name: 'delta',
      token: valid,
      credentialsFile: path.join(fleet.dir, 'd', 'credentials.json'),
    });
    await stillValid.waitFor(/connected/);
  });

  it('revokes a deregistered cluster: its agent is cut off and its credentials are refused from then on', async () => {
    const agentB = fleet.startAgent({ name: 'bravo', credentialsFile: fileB });
    await agentB.waitFor(/connected/);
    const { status, body } = await fleet.api('DELETE', `/api/v1/clusters/${credsB.clusterId}`);
    expect({ status, body }).toMatchObject({ status: 200 });
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      agentB.exited,
      new Promise((r) => (timer = setTimeout(() => r('still running'), 30_000))),
    ]);
    clearTimeout(timer);
    expect(code).toBe(4);
    expect(agentB.output()).toMatch(/deregistered/);

    await expect(connectAs(fleet, credsB)).rejects.toThrow(/revoked|Authorization/i);
    const restarted = fleet.startAgent({ name: 'bravo', credentialsFile: fileB });
    expect(await restarted.exited).toBe(4);

    const deregistered = await fleet.events({ types: ['ClusterDeregistered'] });
    expect(deregistered.map((e) => e.data)).toEqual([
      expect.objectContaining({ clusterId: credsB.clusterId, publicKey: expect.stringMatching(/^U/) }),
    ]);
    // Cluster A is untouched.
    const a = await connectAs(fleet, credsA);
    await a.nc.close();
  });

  it('keeps the revocation across a hub restart (rebuilt from the log) and a NATS server restart', async () => {
    await fleet.hub.stop();
    await fleet.nats.stop();
    await fleet.nats.restart();
    // The restarted server starts from its preloaded account claims, without the revocation...
    await fleet.startHub();
    // ...and the restarted hub rebuilds it from the log and pushes it again.
    await eventually(
      async () => {
        try {
          const c = await connectAs(fleet, credsB);
          await c.nc.close();
          return undefined;
        } catch (err) {
          return /revoked|Authorization/i.test((err as Error).message) ? true : undefined;
        }
      },
      30_000,
      'the revoked credentials to be refused again',
    );
    const a = await connectAs(fleet, credsA);
    await a.nc.close();
  });
});
