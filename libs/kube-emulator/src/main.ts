// Standalone emulator: `npx node tools/run-ts.js libs/kube-emulator/src/main.ts --port 8080 --clusters a,b`
// Prints each cluster's server URL; `--kubeconfig-dir DIR` also writes DIR/<cluster>.yaml.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startKubeEmulator } from './server';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      clusters: { type: 'string', default: 'default' },
      'controller-delay-ms': { type: 'string' },
      token: { type: 'string' },
      'kubeconfig-dir': { type: 'string' },
      'root-cluster': { type: 'string' },
    },
  });
  const names = values.clusters
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const emulator = await startKubeEmulator({
    port: Number(values.port),
    host: values.host,
    clusters: names,
    controllerDelayMs: values['controller-delay-ms'] !== undefined ? Number(values['controller-delay-ms']) : undefined,
    token: values.token,
    rootCluster: values['root-cluster'] ?? (names.length === 1 ? names[0] : undefined),
  });
  for (const name of names) {
    const c = emulator.cluster(name);
    let line = `${name} ${c.url}`;
    if (values['kubeconfig-dir']) {
      mkdirSync(values['kubeconfig-dir'], { recursive: true });
      line += ` ${c.writeKubeconfig(join(values['kubeconfig-dir'], `${name}.yaml`))}`;
    }
    process.stdout.write(`${line}\n`);
  }
  const shutdown = (): void => {
    void emulator.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`kube-emulator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
