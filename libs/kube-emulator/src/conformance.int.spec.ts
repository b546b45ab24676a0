// Fidelity measured, not assumed: the same client-node scenarios run against the real
// kube-apiserver (v1.20.2 built from source, see STACK.md) and against the emulator, and
// their normalised outcomes must be equal. Explicit assertions pin the outcomes that
// matter most to the agent, so that a change on both sides cannot pass unnoticed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startKubeApiServer, uniqueName, type KubeApiServer } from '@flotilla/testing';
import { startKubeEmulator, type KubeEmulator } from './index';
import { ALL_SCENARIOS, type Scenario } from './conformance/scenarios';

jest.setTimeout(120_000);

let real: KubeApiServer;
let emulator: KubeEmulator;
let realKc: KubeConfig;
let emuKc: KubeConfig;

beforeAll(async () => {
  try {
    real = await startKubeApiServer();
  } catch (err) {
    throw new Error(
      `the conformance suite needs the real kube-apiserver: build it once with \`bash test/kube/build.sh\` (see STACK.md), or point FLOTILLA_TEST_KUBECONFIG at a cluster. Cause: ${(err as Error).message}`,
      { cause: err },
    );
  }
  realKc = new KubeConfig();
  realKc.loadFromFile(real.kubeconfigPath);
  // The real server runs without kube-controller-manager here, so the emulator's simulated
  // controllers are off too: both leave status alone.
  emulator = await startKubeEmulator({ clusters: ['conformance'], controllers: false });
  emuKc = new KubeConfig();
  emuKc.loadFromString(emulator.cluster('conformance').kubeconfigYaml());
}, 180_000);

afterAll(async () => {
  await emulator?.stop();
  await real?.stop();
});

async function runOn(kc: KubeConfig, scenario: Scenario): Promise<unknown> {
  const core = kc.makeApiClient(CoreV1Api);
  const ns = uniqueName('conf')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 40);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  try {
    const outcome = await scenario.run(kc, ns);
    // Namespaces (and the CRD groups derived from them) are unique per run: compare them as <ns>.
    return JSON.parse(JSON.stringify(outcome ?? null).replaceAll(ns, '<ns>')) as unknown;
  } finally {
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
  }
}

const outcomes = new Map<string, { real: unknown; emulator: unknown }>();

async function both(scenario: Scenario): Promise<{ real: unknown; emulator: unknown }> {
  const cached = outcomes.get(scenario.name);
  if (cached) return cached;
  const result = { real: await runOn(realKc, scenario), emulator: await runOn(emuKc, scenario) };
  if (process.env.FLOTILLA_CONFORMANCE_DUMP) {
    writeFileSync(
      join(process.env.FLOTILLA_CONFORMANCE_DUMP, `${scenario.name.replace(/[^a-z0-9]+/gi, '-')}.json`),
      JSON.stringify(result, null, 2),
    );
  }
  outcomes.set(scenario.name, result);
  return result;
}

describe.each(ALL_SCENARIOS.map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
  it('has the same outcome on the emulator as on the real kube-apiserver', async () => {
    const { real: onReal, emulator: onEmulator } = await both(scenario);
    expect(onEmulator).toEqual(onReal);
  });
});

describe('explicit outcomes (on both servers)', () => {
  it('answers errors with Status bodies: 404, 409 AlreadyExists, 409 Conflict, 422 Invalid', async () => {
    const scenario = ALL_SCENARIOS.find((s) => s.name === 'status codes and reasons')!;
    for (const outcome of Object.values(await both(scenario))) {
      const o = outcome as Record<string, { error?: { httpCode: number; reason: string; kind: string } }>;
      expect(o.missing!.error).toMatchObject({ httpCode: 404, reason: 'NotFound', kind: 'Status' });
      expect(o.duplicate!.error).toMatchObject({ httpCode: 409, reason: 'AlreadyExists' });
      expect(o.staleUpdate!.error).toMatchObject({ httpCode: 409, reason: 'Conflict' });
      expect(o.invalidName!.error).toMatchObject({ httpCode: 422, reason: 'Invalid' });
      expect(o.missingName!.error).toMatchObject({ httpCode: 422, reason: 'Invalid' });
    }
  });

  it('conflicts between appliers unless forced, and re-applying is a no-op', async () => {
    const scenario = ALL_SCENARIOS.find((s) => s.name === 'server-side apply with two field managers')!;
    for (const outcome of Object.values(await both(scenario))) {
      const o = outcome as {
        conflict: { error: { httpCode: number; details: { causes: { field: string }[] } } };
        reapplyIsNoop: boolean;
        forced: { data: Record<string, string> };
      };
      expect(o.conflict.error.httpCode).toBe(409);
      expect(o.conflict.error.details.causes.map((c) => c.field)).toEqual(['.data.a']);
      expect(o.forced.data.a).toBe('forced');
      expect(o.reapplyIsNoop).toBe(true);
    }
  });

  it('streams ADDED, MODIFIED, DELETED for one ConfigMap', async () => {
    const scenario = ALL_SCENARIOS.find((s) => s.name === 'watch event sequence for a ConfigMap')!;
    for (const outcome of Object.values(await both(scenario))) {
      expect((outcome as { type: string }[]).map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    }
  });

  it('leaves nothing behind on dry run', async () => {
    const scenario = ALL_SCENARIOS.find((s) => s.name === 'dry run leaves nothing behind')!;
    for (const outcome of Object.values(await both(scenario))) {
      const o = outcome as {
        afterCreate: { error: { httpCode: number } };
        afterApply: { error: { httpCode: number } };
        afterUpdateAndDelete: Record<string, string>;
      };
      expect(o.afterCreate.error.httpCode).toBe(404);
      expect(o.afterApply.error.httpCode).toBe(404);
      expect(o.afterUpdateAndDelete).toEqual({ a: '1' });
    }
  });
});
