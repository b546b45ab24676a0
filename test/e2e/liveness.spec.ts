import path from 'node:path';
import { readFileSync } from 'node:fs';
import type { RecordedEvent } from '@flotilla/event-store';
import { flotilla } from './cli-process';
import { eventually, startFleet, type Fleet } from './registration-harness';

// Liveness across real processes: an agent's heartbeats (500 ms, offline after 3 missed)
// turn into ClusterConnected / ClusterDisconnected on its stream, recorded once even with
// two hub replicas hearing every heartbeat.
jest.setTimeout(180_000);

const heartbeatIntervalMs = 500;
const missedHeartbeats = 3;
const windowMs = heartbeatIntervalMs * missedHeartbeats;

describe('liveness (hub replicas and an agent process)', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet({ heartbeatIntervalMs, missedHeartbeats });
    await fleet.startHubReplica();
  }, 150_000);
  afterAll(async () => {
    await fleet?.close();
  });

  const transitions = async (clusterId: string): Promise<RecordedEvent[]> =>
    (await fleet.store.readStream(`cluster-${clusterId}`)).filter(
      (e) => e.type === 'ClusterConnected' || e.type === 'ClusterDisconnected',
    );

  const viewState = async (clusterId: string): Promise<string> =>
    (await fleet.api('GET', `/api/v1/clusters/${clusterId}`)).body.state;

  it('records Disconnected within the window after the agent stops, and Connected when it comes back, once each', async () => {
    const file = path.join(fleet.dir, 'live', 'credentials.json');
    const agent = fleet.startAgent({ name: 'echo', token: await fleet.createToken(), credentialsFile: file });
    await agent.waitFor(/connected/);
    const { clusterId } = JSON.parse(readFileSync(file, 'utf8')) as { clusterId: string };

    await eventually(
      async () => ((await transitions(clusterId)).length === 1 ? true : undefined),
      15_000,
      'ClusterConnected',
    );
    expect((await transitions(clusterId)).map((e) => e.type)).toEqual(['ClusterConnected']);
    await eventually(
      async () => ((await viewState(clusterId)) === 'connected' ? true : undefined),
      10_000,
      'the view to say connected',
    );

    // Several windows of steady heartbeats: nothing more is appended (heartbeats are not logged),
    // yet LAST SEEN follows them (batched into the clusters view), not the connection time.
    await new Promise((r) => setTimeout(r, windowMs * 2));
    const connectedAt = (await transitions(clusterId))[0]!.recordedAt.getTime();
    const seen = await eventually(
      async () => {
        const at = Date.parse((await fleet.api('GET', `/api/v1/clusters/${clusterId}`)).body.lastSeenAt);
        return at > connectedAt + windowMs ? at : undefined;
      },
      30_000,
      'LAST SEEN to follow the heartbeats',
    );
    expect(Date.now() - seen).toBeLessThan(20_000);
    const listed = await flotilla(['clusters', 'list'], {
      FLOTILLA_HUB_URL: fleet.hubUrl,
      FLOTILLA_TOKEN: fleet.adminToken,
      HOME: fleet.dir,
    });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^echo\s+connected\s+\d{1,2}s\s/m);
    expect((await transitions(clusterId)).map((e) => e.type)).toEqual(['ClusterConnected']);

    const stoppedAt = Date.now();
    expect(await agent.stop()).toBe(0);
    const disconnected = await eventually(
      async () => (await transitions(clusterId)).find((e) => e.type === 'ClusterDisconnected'),
      windowMs + 10_000,
      'ClusterDisconnected',
    );
    // Offline after N missed beats: not before the window has passed since the last beat, and
    // not long after (the bound is generous for a loaded 2-core machine).
    const lastSeenAt = Date.parse((disconnected.data as { lastSeenAt: string }).lastSeenAt);
    expect(lastSeenAt).toBeLessThanOrEqual(stoppedAt + 200);
    expect(disconnected.recordedAt.getTime() - lastSeenAt).toBeGreaterThanOrEqual(windowMs);
    expect(disconnected.recordedAt.getTime() - stoppedAt).toBeLessThan(windowMs + 5_000);
    expect(disconnected.metadata.actor).toBe('system:liveness');
    await eventually(
      async () => ((await viewState(clusterId)) === 'disconnected' ? true : undefined),
      10_000,
      'the view to say disconnected',
    );

    const again = fleet.startAgent({ name: 'echo', credentialsFile: file });
    await again.waitFor(/connected/);
    await eventually(
      async () => ((await transitions(clusterId)).length === 3 ? true : undefined),
      15_000,
      'ClusterConnected again',
    );
    await eventually(
      async () => ((await viewState(clusterId)) === 'connected' ? true : undefined),
      10_000,
      'the view to say connected again',
    );
    // Give the second replica every chance to double-append: it must not.
    await new Promise((r) => setTimeout(r, windowMs));
    expect((await transitions(clusterId)).map((e) => e.type)).toEqual([
      'ClusterConnected',
      'ClusterDisconnected',
      'ClusterConnected',
    ]);
  });
});
