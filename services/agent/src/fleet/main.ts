// The simulated fleet as a command: N agents in this process against emulated Kubernetes
// APIs, registered with a hub through real one-time tokens, until Ctrl-C. See ../../FLEET.md.
//
//   node tools/run-ts.js services/agent/src/fleet/main.ts --hub http://127.0.0.1:8080 \
//     --nats-url nats://127.0.0.1:4222 --clusters 100 --labels env=prod     (FLOTILLA_TOKEN=<operator token>)
import { loadFleetConfig } from './fleet.config';
import { fleetDurations } from './fleet.durations';
import { FleetConfigError } from './fleet.errors';
import { hubRegistrationTokens } from './hub-registration-tokens';
import { startSimulatedFleet, type FleetMemory, type SimulatedFleet } from './simulated-fleet';

const say = (line: string) => process.stdout.write(`${new Date().toISOString()} flotilla-fleet: ${line}\n`);
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const describeMemory = (m: FleetMemory) =>
  `rss ${mib(m.rssBytes)} with ${m.agents} agents (${mib(m.baselineRssBytes)} before the first agent started, ${mib(m.perAgentBytes)} per agent), heap used ${mib(m.heapUsedBytes)}`;
/** How often progress is printed while the agents register. */
const progressIntervalMs = 2_000;

async function main(): Promise<number> {
  const config = loadFleetConfig(process.argv.slice(2));
  const abort = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => abort.abort());

  const started = Date.now();
  const fleet: SimulatedFleet = await startSimulatedFleet({
    natsUrl: config.natsUrl,
    clusters: { count: config.clusters, namePrefix: config.namePrefix, labels: config.labels },
    registrationToken: config.apiToken
      ? hubRegistrationTokens({ hubUrl: config.hubUrl, apiToken: config.apiToken, ttlSeconds: config.tokenTtlSeconds })
      : async (cluster) => {
          throw new FleetConfigError(
            `cluster ${cluster.name} has no credentials in ${config.stateDir} yet: give an operator API token (FLOTILLA_TOKEN or --token) to register it`,
          );
        },
    ...(config.bootstrapCreds ? { bootstrapCreds: config.bootstrapCreds } : {}),
    stateDir: config.stateDir,
    emulator: { port: config.emulatorPort },
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    registrationConcurrency: config.registrationConcurrency,
    ...(config.verbose ? { log: say } : {}),
  });
  say(
    `Kubernetes API emulator on ${fleet.emulator.url} (clusters under /clusters/<name>), state in ${config.stateDir}`,
  );
  say(`${config.clusters} agents starting (${config.namePrefix}-...), labels ${JSON.stringify(config.labels)}`);

  const progress = setInterval(() => {
    const agents = fleet.agents();
    const connected = agents.filter((a) => a.state === 'connected').length;
    const registered = agents.filter((a) => a.clusterId).length;
    say(`registered ${registered}/${agents.length}, connected ${connected}/${agents.length}`);
  }, progressIntervalMs);
  let memoryReports: NodeJS.Timeout | undefined;
  try {
    const ready = fleet.whenConnected().then(
      () => 'connected' as const,
      (err: Error) => err,
    );
    const stopped = new Promise<'stopped'>((resolve) =>
      abort.signal.addEventListener('abort', () => resolve('stopped')),
    );
    const outcome = await Promise.race([ready, stopped]);
    clearInterval(progress);
    if (outcome instanceof Error) {
      // The others keep running: a fleet with a few failed agents still loads the hub.
      const failed = fleet.agents().filter((a) => a.state === 'failed');
      if (failed.length === 0) say(outcome.message);
      for (const agent of failed) say(`cluster ${agent.name} failed: ${agent.error ?? 'unknown error'}`);
    } else if (outcome === 'connected') {
      say(`${config.clusters} agents registered and connected in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    if (!abort.signal.aborted) {
      say(describeMemory(fleet.memory()));
      memoryReports = setInterval(() => say(describeMemory(fleet.memory())), fleetDurations.memoryReportIntervalMs);
      say('running until Ctrl-C');
      await stopped;
    }
  } finally {
    clearInterval(progress);
    clearInterval(memoryReports);
    say('stopping the agents (each flushes its status outbox) and the emulator');
    await fleet.stop();
  }
  const failed = fleet.agents().filter((a) => a.state === 'failed').length;
  say(`stopped${failed ? ` (${failed} of ${config.clusters} agents had failed)` : ''}`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`flotilla-fleet: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof FleetConfigError ? 2 : 1);
  },
);
