import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Msg } from '@nats-io/transport-node';
import { BOOTSTRAP_INBOX_PREFIX } from '@flotilla/contracts';
import { startFleet, type Fleet } from '../e2e/registration-harness';
import { connectAsBootstrap } from './security-harness';

// Finding 4 (issue 10): every holder of the shared bootstrap user could subscribe to
// `_INBOX_REGISTER.>` and read each registration reply: cluster ids, names, labels, JWTs.
jest.setTimeout(180_000);

describe('registration replies (hub and agent processes, NATS in operator mode)', () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet();
  }, 150_000);
  afterAll(async () => {
    await fleet?.close();
  });

  it('a bootstrap user watching every registration reply learns nothing of a real agent’s registration', async () => {
    const spy = await connectAsBootstrap(fleet);
    const seen: Msg[] = [];
    spy.subscribe(`${BOOTSTRAP_INBOX_PREFIX}.>`, {
      callback: (_err, msg) => {
        seen.push(msg);
      },
    });
    await spy.flush();

    const token = await fleet.createToken({ labels: { tier: 'secret-tier' } });
    const credentialsFile = path.join(fleet.dir, 'victim', 'credentials.json');
    const agent = fleet.startAgent({ name: 'victim-cluster', token, credentialsFile });
    await agent.waitFor(/connected/);
    const creds = JSON.parse(readFileSync(credentialsFile, 'utf8')) as { clusterId: string; userJwt: string };
    await spy.flush();
    await spy.close();

    // The spy did see the reply go by (the test watches the right place)...
    expect(seen.length).toBeGreaterThan(0);
    // ...and could read nothing in it.
    for (const msg of seen) {
      const text = Buffer.from(msg.data).toString('latin1');
      for (const secret of [creds.clusterId, 'victim-cluster', 'secret-tier', creds.userJwt.slice(0, 40)])
        expect(text).not.toContain(secret);
    }
  });
});
