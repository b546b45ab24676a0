import { spawn } from 'node:child_process';

/**
 * GET /healthz every ~50 ms until stopped, from a small process of its own (Jest's own event
 * loop stalls while it reads the log, which would be charged to the hub), beside an idle Node
 * server of its own process polled alongside: what the machine's load alone costs an answer.
 * The same measure as test/e2e/render-hostile.spec.ts.
 */
const pollerScript = `
const urls = process.argv.slice(1);
let running = true;
process.on('SIGTERM', () => (running = false));
(async () => {
  for (const url of urls) await fetch(url).then((r) => r.text(), () => undefined);
  process.stdout.write('ready\\n');
  const t0 = performance.now();
  while (running) {
    const line = [Math.round(performance.now() - t0)];
    for (const url of urls) {
      const started = performance.now();
      let ms = Infinity;
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
        await response.text();
        if (response.ok) ms = performance.now() - started;
      } catch {}
      line.push(ms);
    }
    process.stdout.write(line.join(' ') + '\\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
})();
`;

const controlServerScript = `
const server = require('node:http').createServer((req, res) => res.end('{"status":"ok"}'));
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

export interface HealthzLatencies {
  /** ms since the poller started, the hub's latency, the idle server's latency (Infinity: no answer). */
  samples: Array<[number, number, number]>;
  max: number;
  p99: number;
  controlMax: number;
  /** One line for the test's output. */
  summary: string;
}

export async function pollHealthz(hubUrl: string): Promise<{ stop(): Promise<HealthzLatencies> }> {
  const control = spawn(process.execPath, ['-e', controlServerScript], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const controlExited = new Promise<void>((resolve) => control.on('close', () => resolve()));
  const port = await new Promise<string>((resolve, reject) => {
    control.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
    control.once('error', reject);
  });
  const child = spawn(process.execPath, ['-e', pollerScript, `${hubUrl}/healthz`, `http://127.0.0.1:${port}/`], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const ready = new Promise<void>((resolve) =>
    child.stdout.on('data', (d) => {
      out += d;
      if (out.startsWith('ready\n')) resolve();
    }),
  );
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  await Promise.race([ready, exited]);
  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
      control.kill('SIGTERM');
      await controlExited;
      const samples = out
        .split('\n')
        .filter((line) => line !== '' && line !== 'ready')
        .map((line) => line.split(' ').map(Number) as [number, number, number]);
      const latencies = samples.map(([, hub]) => hub);
      const max = latencies.length ? Math.max(...latencies) : Infinity;
      const p99 = latencies.length
        ? [...latencies].sort((a, b) => a - b)[Math.ceil(latencies.length * 0.99) - 1]!
        : Infinity;
      const controlMax = samples.length ? Math.max(...samples.map(([, , c]) => c)) : Infinity;
      const slow = samples.filter(([, hub]) => hub > 100);
      const summary =
        `/healthz ${latencies.length} answers, ${slow.length} over 100 ms, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms ` +
        `(an idle server beside it: max ${controlMax.toFixed(1)} ms)` +
        (slow.length > 0
          ? `; slow (ms after start: hub/idle): ${slow
              .slice(0, 20)
              .map(([at, hub, c]) => `${at}: ${hub.toFixed(0)}/${c.toFixed(0)}`)
              .join(', ')}`
          : '');
      return { samples, max, p99, controlMax, summary };
    },
  };
}
