// `npm run bench:agent`: the agent's footprint and apply latency against the real
// kube-apiserver. The idle RSS is measured in a separate process that loads only what an
// agent loads (client-node and the reconciler, compiled to plain JS: the swc hook this
// script runs under would otherwise add its own native module to the figure).
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { transformSync } from '@swc/core';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Reconciler, type KubeObject, type SyncPolicy } from '@flotilla/kube';
// Not exported from @flotilla/testing's index yet: import the harness from its folder.
import { startKubeApiServer, KUBE_VERSION } from '@flotilla/testing';

const CONFIG_MAPS = 50;
const DEPLOYMENTS = 3;
const ROUNDS = 20;
const IDLE_MS = 2_000;
const ROOT = resolve(__dirname, '../..');

function p50(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

/** Compiles libs/kube to CommonJS under node_modules/.cache so the child needs no transpiler. */
function compileKube(): string {
  const out = join(ROOT, 'node_modules/.cache/flotilla-bench/kube');
  mkdirSync(out, { recursive: true });
  const src = join(ROOT, 'libs/kube/src');
  for (const f of readdirSync(src)) {
    if (!f.endsWith('.ts') || f.endsWith('.spec.ts')) continue;
    const { code } = transformSync(readFileSync(join(src, f), 'utf8'), {
      filename: f,
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'commonjs' },
    });
    writeFileSync(join(out, f.replace(/\.ts$/, '.js')), code);
  }
  writeFileSync(
    join(out, 'idle-agent.js'),
    `const { KubeConfig } = require('@kubernetes/client-node');
const { Reconciler } = require('./index.js');
const kc = new KubeConfig();
kc.loadFromFile(process.argv[2]);
const r = new Reconciler(kc, { scope: { namespaces: ['*'], kinds: ['*'] } });
setTimeout(() => {
  global.gc();
  setTimeout(() => {
    global.gc();
    process.stdout.write(JSON.stringify({ rss: process.memoryUsage().rss, apps: r.applications().length }));
  }, 100);
}, ${IDLE_MS});
`,
  );
  return join(out, 'idle-agent.js');
}

function idleRss(script: string, kubeconfigPath: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', script, kubeconfigPath], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`idle agent exited with ${code}`));
      resolvePromise((JSON.parse(out) as { rss: number }).rss);
    });
  });
}

function bundleObjects(ns: string, round: number): KubeObject[] {
  const objects: KubeObject[] = [];
  for (let i = 0; i < CONFIG_MAPS; i++) {
    objects.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `cm-${i}`, namespace: ns },
      data: { round: String(round), index: String(i) },
    });
  }
  for (let i = 0; i < DEPLOYMENTS; i++) {
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `web-${i}`, namespace: ns },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: `web-${i}` } },
        template: {
          metadata: { labels: { app: `web-${i}` }, annotations: { round: String(round) } },
          spec: { containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] },
        },
      },
    });
  }
  return objects;
}

async function main(): Promise<void> {
  if (process.env.FLOTILLA_BENCH_EMULATOR === '1') {
    // @flotilla/kube-emulator has no server to offer yet; say so rather than pretend.
    console.log(
      'FLOTILLA_BENCH_EMULATOR=1: @flotilla/kube-emulator is not available yet; using the real kube-apiserver',
    );
  }
  console.log(`starting the real kube-apiserver ${KUBE_VERSION} (etcd + kube-apiserver, no controllers)...`);
  const server = await startKubeApiServer();
  try {
    console.log(`kube-apiserver ready at ${server.url}`);
    const script = compileKube();
    const rss = await idleRss(script, server.kubeconfigPath);
    console.log(`idle agent process (client-node + reconciler, after GC): RSS ${(rss / 1024 / 1024).toFixed(1)} MB`);

    const kc = new KubeConfig();
    kc.loadFromFile(server.kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);
    const suffix = randomBytes(3).toString('hex');
    const ns = `bench-${suffix}`;
    const inventoryNamespace = `flotilla-system-${suffix}`;
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespace({ body: { metadata: { name: inventoryNamespace } } });
    const reconciler = new Reconciler(kc, { scope: { namespaces: ['*'], kinds: ['*'] }, inventoryNamespace });
    const policy: SyncPolicy = { prune: true, driftMode: 'detect', ignoredFields: {} };
    const n = CONFIG_MAPS + DEPLOYMENTS;

    const timed = async (round: number): Promise<number> => {
      const t0 = performance.now();
      const res = await reconciler.sync(
        'bench',
        { digest: `sha256:round-${round}`, objects: bundleObjects(ns, round) },
        policy,
      );
      const ms = performance.now() - t0;
      if (!res.ok)
        throw new Error(`round ${round} failed: ${JSON.stringify(res.results.filter((r) => r.action === 'failed'))}`);
      return ms;
    };

    const create = await timed(0);
    console.log(`first apply (create ${n} objects): ${create.toFixed(0)} ms`);
    const changed: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) changed.push(await timed(round));
    // Baseline in the same run: the same bundle again, where every object is 'unchanged'.
    const unchanged: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await reconciler.sync('bench', { digest: `sha256:round-${ROUNDS}`, objects: bundleObjects(ns, ROUNDS) }, policy);
      unchanged.push(performance.now() - t0);
    }
    const changedP50 = p50(changed);
    const unchangedP50 = p50(unchanged);
    console.log(
      `apply of ${n} changed objects x${ROUNDS}: p50 ${changedP50.toFixed(0)} ms, min ${Math.min(...changed).toFixed(0)} ms, max ${Math.max(...changed).toFixed(0)} ms`,
    );
    console.log(
      `baseline, re-apply of ${n} unchanged objects x${unchanged.length}: p50 ${unchangedP50.toFixed(0)} ms (changed/unchanged ratio ${(changedP50 / unchangedP50).toFixed(2)})`,
    );
    await reconciler.remove('bench');
    console.log(
      `agent: idle RSS ${(rss / 1024 / 1024).toFixed(0)} MB, apply of ${n} objects p50 ${changedP50.toFixed(0)} ms (real kube-apiserver ${KUBE_VERSION})`,
    );
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
