import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@flotilla/testing';
import { openHubDatabase } from '../../services/hub/src/database/hub-data-source';
import { generateFleetLog, type FleetLog } from '../../services/hub/src/history/testing/fleet-log.generator';
import { startQueriesTestHub, type QueriesTestHub } from '../../services/hub/src/history/testing/queries-test-hub';
import { testAdminToken } from '../../services/hub/src/testing/hub-test-app';
import { runCli } from '../../services/cli/src/cli';
import type { CliIo } from '../../services/cli/src/cli-io';

/** `flotilla history|drift|state|audit` against the hub's real query API on a generated fleet log. */
let db: TestDatabase;
let hub: QueriesTestHub;
let log: FleetLog;
let dir: string;
let stdout = '';
let stderr = '';

async function flotilla(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  stdout = '';
  stderr = '';
  const io: CliIo = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    stdin: process.stdin,
    env: {
      FLOTILLA_CONFIG: path.join(dir, 'config.yaml'),
      FLOTILLA_HUB_URL: hub.baseUrl,
      FLOTILLA_TOKEN: testAdminToken,
    },
    now: () => new Date(),
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'flotilla-queries-cli-'));
  db = await createTestDatabase('queries_cli');
  const setup = await openHubDatabase({ url: db.url, poolSize: 2, connectTimeoutMs: 10_000 });
  try {
    log = await generateFleetLog(setup.dataSource, {
      clusters: 30,
      events: 3_000,
      spanMs: 3 * 86_400_000,
      batchEvents: 100,
    });
  } finally {
    await setup.close();
  }
  hub = await startQueriesTestHub(db.url);
}, 120_000);

afterAll(async () => {
  await hub?.close();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('flotilla history', () => {
  it('shows one cluster by name, filters by commit prefix, and prints JSON', async () => {
    const table = await flotilla('history', '--cluster', 'cl-0007', '--limit', '5');
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^TIME\s+TYPE\s+ACTOR\s+DETAILS/);
    expect(table.stdout.trimEnd().split('\n')).toHaveLength(6);
    expect(table.stdout).toContain('cl-0007');

    const json = await flotilla(
      'history',
      '--cluster',
      'cl-0007',
      '--type',
      'SyncSucceeded',
      '-o',
      'json',
      '--limit',
      '3',
    );
    const items = JSON.parse(json.stdout);
    expect(items).toHaveLength(3);
    expect(
      items.every(
        (e: { type: string; data: { clusterId: string } }) =>
          e.type === 'SyncSucceeded' && e.data.clusterId === log.clusterIds[7],
      ),
    ).toBe(true);

    const commit = log.commits[1]!;
    const byCommit = JSON.parse(
      (await flotilla('history', '--commit', commit.slice(0, 9), '--oldest-first', '-o', 'json', '--limit', '1000'))
        .stdout,
    );
    expect(byCommit[0]).toMatchObject({ type: 'CommitObserved', data: { sha: commit } });

    const recent = JSON.parse((await flotilla('history', '--since', '2h', '-o', 'json', '--limit', '1000')).stdout);
    expect(
      recent.every((e: { recordedAt: string }) => Date.now() - Date.parse(e.recordedAt) <= 2 * 3_600_000 + 60_000),
    ).toBe(true);

    const bad = await flotilla('history', '--since', 'last tuesday');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since');
  });

  it('follows new events until interrupted', async () => {
    const clusterId = log.clusterIds[3]!;
    const running = flotilla('history', '--cluster', clusterId, '--follow', '--limit', '2');
    const deadline = Date.now() + 20_000;
    while (!stdout.includes('TIME') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await hub.store.append(
      `cluster-${clusterId}`,
      [
        {
          type: 'HealthChanged',
          data: {
            clusterId,
            application: 'app-01',
            status: 'degraded',
            previous: 'healthy',
            message: 'followed-marker',
            at: new Date().toISOString(),
          },
        },
      ],
      { expectedVersion: 'any', metadata: { actor: `agent:${clusterId}` } },
    );
    while (!stdout.includes('followed-marker') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    process.emit('SIGINT');
    const result = await running;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('followed-marker');
    expect(result.stdout.trimEnd().split('\n').at(-1)).toContain('followed-marker');
  });
});

describe('flotilla drift', () => {
  it('lists drift now and the episodes of a period', async () => {
    const now = await flotilla('drift');
    expect(now.code).toBe(0);
    expect(now.stdout.split('\n')[0]).toMatch(/^CLUSTER\s+APPLICATION\s+RESOURCE\s+FIELDS\s+SINCE\s+CORRECTION/);
    expect(now.stdout).toContain('/spec/replicas');
    expect(now.stderr).toMatch(/drifted resource\(s\) in \d+ cluster\(s\)/);

    const episodes = await flotilla('drift', '--since', '7d', '-o', 'json');
    const body = JSON.parse(episodes.stdout);
    expect(body.summary.episodes).toBeGreaterThan(0);
    expect(body.items.some((e: { endReason: string | null }) => e.endReason === 'corrected')).toBe(true);
    const table = await flotilla('drift', '--since', '7d', '--application', body.items[0].application);
    expect(table.stdout.split('\n')[0]).toMatch(/^CLUSTER\s+APPLICATION\s+RESOURCE\s+DETECTED\s+ENDED\s+DURATION/);
  });
});

describe('flotilla state', () => {
  it('shows what a cluster was meant to run and had applied', async () => {
    const shown = await flotilla('state', 'cl-0004', '--at', '1h');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('cl-0004');
    expect(shown.stdout).toMatch(/APPLICATION\s+DESIRED COMMIT/);
    const json = JSON.parse((await flotilla('state', 'cl-0004', '-o', 'json')).stdout);
    expect(json.desired.applications.length).toBeGreaterThan(0);
    const before = JSON.parse(
      (await flotilla('state', 'cl-0004', '--at', '2000-01-01T00:00:00Z', '-o', 'json')).stdout,
    );
    expect(before).toMatchObject({ desired: null, applied: [] });
  });
});

describe('flotilla audit verify', () => {
  it('exits 0 on a whole chain and 1 on a broken one', async () => {
    const ok = await flotilla('audit', 'verify');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ok: \d+ events checked; head position \d+, head hash [0-9a-f]{64}/);
    await hub.dataSource.query(`ALTER TABLE events DISABLE TRIGGER events_append_only`);
    try {
      await hub.dataSource.query(`UPDATE events SET metadata = '{"actor":"token:mallory"}' WHERE position = 10`);
    } finally {
      await hub.dataSource.query(`ALTER TABLE events ENABLE TRIGGER events_append_only`);
    }
    const broken = await flotilla('audit', 'verify');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('broken at position 10');
  });
});
