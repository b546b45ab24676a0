// Sizing, not timing: 500 clusters of ~20 objects each in one emulator, and the RSS it
// costs. Prints the figure; asserts only that the objects are there and the cost bounded.
import { startKubeEmulator } from './index';

jest.setTimeout(120_000);

it('holds 500 clusters of 20 objects each in one process', async () => {
  const before = process.memoryUsage().rss;
  const emulator = await startKubeEmulator({ controllers: false });
  try {
    for (let c = 0; c < 500; c++) {
      const cluster = emulator.addCluster(`c${c}`).api;
      const cm = cluster.typeOf('', 'configmaps')!;
      const deploy = cluster.typeOf('apps', 'deployments')!;
      const ns = cluster.typeOf('', 'namespaces')!;
      cluster.create(ns, undefined, { metadata: { name: 'app' } }, { fieldManager: 'seed' });
      for (let i = 0; i < 10; i++)
        cluster.create(
          cm,
          'app',
          { metadata: { name: `cm-${i}`, labels: { app: 'x' } }, data: { key: 'v'.repeat(100) } },
          { fieldManager: 'seed' },
        );
      for (let i = 0; i < 5; i++) {
        cluster.create(
          deploy,
          'app',
          {
            metadata: { name: `d-${i}` },
            spec: {
              replicas: 2,
              selector: { matchLabels: { app: `d-${i}` } },
              template: {
                metadata: { labels: { app: `d-${i}` } },
                spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] },
              },
            },
          },
          { fieldManager: 'seed' },
        );
      }
    }
    global.gc?.();
    const rssMb = (process.memoryUsage().rss - before) / 1024 / 1024;
    const objects = emulator.clusterNames().reduce((n, name) => n + emulator.cluster(name).api.store.count(), 0);
    process.stdout.write(`kube-emulator memory: 500 clusters, ${objects} objects, +${rssMb.toFixed(0)} MiB RSS\n`);
    expect(objects).toBe(500 * 20);
    expect(rssMb).toBeLessThan(1024);
  } finally {
    await emulator.stop();
  }
});
