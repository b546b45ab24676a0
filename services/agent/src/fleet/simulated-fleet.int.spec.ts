import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hubRegistrationTokens } from './hub-registration-tokens';
import { startSimulatedFleet, type SimulatedFleet } from './simulated-fleet';
import { GitRepository } from './testing/git-repository';
import { startHubUnderTest, type HubUnderTest } from './testing/hub-under-test';
import { deployWebApplication, syncedOn } from './testing/web-application';

// Five simulated clusters against a real hub process, operator-mode NATS and Postgres: each
// registers through a one-time token carrying its labels, connects, and syncs an application.
jest.setTimeout(240_000);

const heartbeatIntervalMs = 1_000;
let hub: HubUnderTest;
let repository: GitRepository;
let fleet: SimulatedFleet | undefined;
let stateDir: string;

beforeAll(async () => {
  hub = await startHubUnderTest({ heartbeatIntervalMs });
  repository = await GitRepository.create();
  stateDir = mkdtempSync(path.join(tmpdir(), 'flotilla-fleet-'));
});

afterAll(async () => {
  await fleet?.stop();
  await hub?.close();
  await repository?.dispose();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    hub.assertRunning();
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('five simulated clusters register with their labels, connect and sync an application', async () => {
  const regions = ['eu', 'us'];
  fleet = await startSimulatedFleet({
    natsUrl: hub.natsUrl,
    clusters: { count: 5, namePrefix: 'fleet', labels: (i) => ({ env: 'prod', region: regions[i % 2]! }) },
    registrationToken: hubRegistrationTokens({ hubUrl: hub.hubUrl, apiToken: hub.adminToken }),
    stateDir,
    emulator: { controllerDelayMs: 20 },
    heartbeatIntervalMs,
    registrationConcurrency: 3,
  });
  await fleet.whenConnected(120_000);

  const agents = fleet.agents();
  expect(agents.map((a) => a.name)).toEqual(['fleet-001', 'fleet-002', 'fleet-003', 'fleet-004', 'fleet-005']);
  expect(new Set(agents.map((a) => a.clusterId)).size).toBe(5);

  // The hub sees each cluster under its own id, with the labels its token carried, connected.
  const clusters = await eventually('every cluster connected on the hub', 60_000, async () => {
    const { body } = await hub.api('GET', '/api/v1/clusters');
    const items = body.items as Array<{ id: string; name: string; state: string; labels: Record<string, string> }>;
    return items.length === 5 && items.every((c) => c.state === 'connected') ? items : undefined;
  });
  for (const agent of agents) {
    const seen = clusters.find((c) => c.id === agent.clusterId);
    expect(seen).toMatchObject({ name: agent.name, labels: agent.labels });
  }
  expect(clusters.filter((c) => c.labels.region === 'eu')).toHaveLength(3);

  const deployment = await deployWebApplication(hub, repository, { source: 'fleet-src', application: 'web' });
  await eventually('every cluster synced and healthy on the first commit', 120_000, async () => {
    const { done, total } = await syncedOn(hub, 'web', deployment.firstCommit);
    return total === 5 && done === 5 ? true : undefined;
  });

  // The objects are really there, in each virtual cluster, rendered for that cluster.
  for (const agent of agents) {
    const api = fleet.emulator.cluster(agent.name).api;
    const config = api.get(api.typeOfKind('v1', 'ConfigMap')!, 'fleet-web', 'web-config') as {
      data?: Record<string, string>;
    };
    expect(config.data).toEqual({ round: '0', cluster: agent.name });
    expect(api.get(api.typeOfKind('apps/v1', 'Deployment')!, 'fleet-web', 'web')).toBeDefined();
  }

  const memory = fleet.memory();
  expect(memory.agents).toBe(5);
  // The figures are this process's own (the fleet runs in it), and per agent is their difference shared out.
  const rssNow = process.memoryUsage().rss;
  expect(memory.rssBytes).toBeGreaterThan(rssNow * 0.75);
  expect(memory.rssBytes).toBeLessThan(rssNow * 1.25);
  expect(memory.perAgentBytes).toBeCloseTo(Math.max(0, memory.rssBytes - memory.baselineRssBytes) / 5, 0);

  await fleet.stop();
  expect(fleet.agents().map((a) => a.state)).toEqual(Array(5).fill('stopped'));
  // Stopping disconnects every cluster from the hub's point of view (missed heartbeats).
  await eventually('every cluster disconnected on the hub', 60_000, async () => {
    const { body } = await hub.api('GET', '/api/v1/clusters');
    const items = body.items as Array<{ state: string }>;
    return items.length === 5 && items.every((c) => c.state === 'disconnected') ? true : undefined;
  });
});

test('a fleet started again on the same state directory reuses its registrations; a deregistered cluster stops alone', async () => {
  const asked: string[] = [];
  const provider = hubRegistrationTokens({ hubUrl: hub.hubUrl, apiToken: hub.adminToken });
  fleet = await startSimulatedFleet({
    natsUrl: hub.natsUrl,
    clusters: { count: 5, namePrefix: 'fleet', labels: { env: 'prod' } },
    registrationToken: async (cluster) => {
      asked.push(cluster.name);
      return provider(cluster);
    },
    stateDir,
    heartbeatIntervalMs,
  });
  await fleet.whenConnected(120_000);
  expect(asked).toEqual([]);
  const { body } = await hub.api('GET', '/api/v1/clusters');
  expect(body.items).toHaveLength(5);

  // Deregistering one cluster revokes its credentials: that agent stops, the others run on.
  const [revoked, ...others] = fleet.agents();
  expect((await hub.api('DELETE', `/api/v1/clusters/${revoked!.clusterId}`)).status).toBeLessThan(300);
  const running = fleet;
  await eventually('the deregistered agent to stop', 60_000, async () =>
    running.agents()[0]!.state === 'failed' ? true : undefined,
  );
  expect(running.agents()[0]!.error).toMatch(/deregistered/);
  expect(
    running
      .agents()
      .slice(1)
      .map((a) => a.state),
  ).toEqual(others.map(() => 'connected'));
  await fleet.stop();
});
