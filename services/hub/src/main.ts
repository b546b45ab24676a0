import 'reflect-metadata';
import { Logger, type INestApplication } from '@nestjs/common';
import {
  apiTokenDecider,
  apiTokenPrefix,
  formatSecretToken,
  hashSecret,
  validateDnsLabel,
  type ApiRole,
} from '@flotilla/domain';
import type { NewEvent } from '@flotilla/event-store';
import { startTelemetry, type Telemetry } from '@flotilla/telemetry';
import { randomIds, systemClock } from './common/clock';
import { loadHubConfig, type HubConfig } from './config/hub.config';
import { openHubDatabase, type HubDatabase } from './database/hub-data-source';
import { durations } from './durations';
import {
  runApplicationParserWorker,
  startApplicationParser,
  stopApplicationParser,
} from './applications/application-parser';
import { createHubApp } from './hub.app';
import { LivenessModule, loadNatsConfig, NATS_CONNECTION, NatsModule, RegistrationModule } from './nats';
import { ReadModelsService } from './projections/read-models.service';
import { natsInit } from './nats/nats-init';
import { StatusModule } from './status';
import { appendApiTokenWithName } from './api-tokens/api-token-names';

/**
 * The hub's entry point.
 *   npm run hub                                  serve: migrate, catch up read models, HTTP, NATS
 *   npm run hub -- create-admin-token [--name N] print a new admin API token once
 *   npm run hub -- rebuild-read-models           empty every read model and replay the log into it
 *   npm run hub -- nats init [--dir D] ...       NATS operator keys and nats-server config (see nats-init.ts)
 */
const logger = new Logger('Hub');

async function serve(config: HubConfig): Promise<void> {
  // Both configs are validated before anything connects, so a bad variable fails fast.
  const natsConfig = loadNatsConfig();
  const telemetry = startTelemetry({
    serviceName: 'flotilla-hub',
    exporter: config.FLOTILLA_HUB_TRACES_EXPORTER,
    ...(config.FLOTILLA_HUB_OTLP_ENDPOINT ? { otlpEndpoint: config.FLOTILLA_HUB_OTLP_ENDPOINT } : {}),
  });
  const database = await openHubDatabase({
    url: config.FLOTILLA_HUB_DATABASE_URL,
    poolSize: config.FLOTILLA_HUB_DATABASE_POOL_SIZE,
    connectTimeoutMs: durations.databaseConnectTimeoutMs,
  });
  let app: INestApplication | undefined;
  try {
    startApplicationParser(process.argv[1]!);
    app = await createHubApp({
      config,
      dataSource: database.dataSource,
      eventStore: database.eventStore,
      natsModules: [NatsModule.forConfig(natsConfig), RegistrationModule, LivenessModule, StatusModule],
      natsConnectionToken: NATS_CONNECTION,
    });
    await app.listen(config.FLOTILLA_HUB_HTTP_PORT, config.FLOTILLA_HUB_HTTP_HOST);
  } catch (err) {
    // Said first, then cleaned up within a bound: a hub that cannot serve (port taken, NATS
    // refused) must exit non-zero so that its supervisor restarts it, even if a close hangs.
    logger.error(`cannot start: ${(err as Error).message ?? String(err)}`);
    exitAfterCleanup(1, async () => {
      await app?.close().catch(() => undefined);
      await stopApplicationParser().catch(() => undefined);
      await database.close().catch(() => undefined);
      await telemetry.shutdown().catch(() => undefined);
    });
    return;
  }
  logger.log(`hub listening on http://${config.FLOTILLA_HUB_HTTP_HOST}:${config.FLOTILLA_HUB_HTTP_PORT}`);
  onShutdown(app, database, telemetry);
}

/** Runs the cleanup, then exits with `code`; exits 1 if it fails or outlasts the shutdown timeout. */
function exitAfterCleanup(code: number, cleanup: () => Promise<void>): void {
  const timer = setTimeout(() => {
    logger.error(`shutdown did not finish within ${durations.shutdownTimeoutMs} ms, exiting`);
    process.exit(1);
  }, durations.shutdownTimeoutMs);
  timer.unref();
  cleanup().then(
    () => process.exit(code),
    (err: unknown) => {
      logger.error(`shutdown failed: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}

function onShutdown(app: INestApplication, database: HubDatabase, telemetry: Telemetry): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: shutting down`);
    exitAfterCleanup(0, async () => {
      await app.close();
      await stopApplicationParser();
      await database.close();
      // Last, so the spans of the shutdown itself are exported too.
      await telemetry.shutdown();
    });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

/** The first admin token without an existing one: appended as ApiTokenCreated, printed once, never stored in clear. */
async function createAdminToken(config: HubConfig, args: string[]): Promise<void> {
  const nameIndex = args.indexOf('--name');
  const name = validateDnsLabel(nameIndex >= 0 ? args[nameIndex + 1] : 'bootstrap-admin', '--name');
  const role: ApiRole = 'admin';
  const database = await openHubDatabase({
    url: config.FLOTILLA_HUB_DATABASE_URL,
    poolSize: 1,
    connectTimeoutMs: durations.databaseConnectTimeoutMs,
  });
  try {
    const tokenId = randomIds.tokenId();
    const secret = randomIds.secret();
    const events = apiTokenDecider.decide(
      { type: 'CreateApiToken', data: { tokenId, name, role, secretHash: hashSecret(secret), now: systemClock.now() } },
      apiTokenDecider.initialState(),
    );
    await appendApiTokenWithName(
      database.eventStore,
      { tokenId, name },
      events as NewEvent[],
      'system:create-admin-token',
    );
    process.stdout.write(`${formatSecretToken(apiTokenPrefix, { tokenId, secret })}\n`);
    process.stderr.write(`admin API token "${name}" (${tokenId}) created; it is shown only this once.\n`);
  } finally {
    await database.close();
  }
}

/** Safe beside running replicas: each projection's reset and every batch lock its checkpoint row. */
async function rebuildReadModels(config: HubConfig): Promise<void> {
  const database = await openHubDatabase({
    url: config.FLOTILLA_HUB_DATABASE_URL,
    poolSize: 2,
    connectTimeoutMs: durations.databaseConnectTimeoutMs,
  });
  try {
    const readModels = new ReadModelsService(database.eventStore);
    await readModels.rebuild();
    process.stderr.write(
      `rebuilt ${readModels.runners.map((r) => r.projection.name).join(', ')} up to position ${await database.eventStore.headPosition()}\n`,
    );
  } finally {
    await database.close();
  }
}

async function main(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  // Before the hub's config: setting NATS up needs no database and no keys yet.
  if (command === 'nats' && rest[0] === 'init')
    return natsInit(rest.slice(1), {
      stdout: (s) => process.stdout.write(s),
      stderr: (s) => process.stderr.write(s),
    });
  const config = loadHubConfig();
  if (command === undefined || command === 'serve') return serve(config);
  if (command === 'create-admin-token') return createAdminToken(config, rest);
  if (command === 'rebuild-read-models') return rebuildReadModels(config);
  throw new Error(`unknown command "${command}" (serve, create-admin-token, rebuild-read-models, nats init)`);
}

// This script is also the application parser's worker thread (applications/application-parser.ts).
if (!runApplicationParserWorker())
  main(process.argv.slice(2)).catch((err: unknown) => {
    // The message names the bad variable or unreachable server; config errors never carry values.
    logger.error((err as Error).message ?? String(err));
    process.exit(1);
  });
