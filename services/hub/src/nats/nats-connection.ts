import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { natsDurations } from '../durations';

/** DI token of the hub's own NATS connection (a user of the application account). */
export const NATS_CONNECTION = 'NATS_CONNECTION';

export class NatsUnavailableError extends Error {
  override readonly name = 'NatsUnavailableError';
}

const transientConnectFailure = /authentication timeout|timeout|EPIPE|ECONNRESET/i;

/**
 * Connects once at start-up (failing start-up with the reason when NATS is not there) and
 * then reconnects forever: a NATS outage must not take the hub's API down.
 */
export async function connectNats(options: {
  servers: string[];
  creds: string;
  name: string;
  /** Called at every reconnection (the hub counts them in /metrics). */
  onReconnect?: () => void;
}): Promise<NatsConnection> {
  const logger = new Logger('Nats');
  let nc: NatsConnection;
  for (let attempt = 1; ; attempt++) {
    try {
      nc = await connect({
        servers: options.servers,
        name: options.name,
        authenticator: credsAuthenticator(new TextEncoder().encode(options.creds)),
        timeout: natsDurations.connectTimeoutMs,
        maxReconnectAttempts: -1,
        reconnectTimeWait: natsDurations.reconnectWaitMs,
      });
      break;
    } catch (err) {
      // A loaded machine (or server) fails a first attempt without anything being wrong:
      // `Authentication Timeout` is the server tired of waiting for our CONNECT, not a refusal.
      if (attempt < 3 && transientConnectFailure.test((err as Error).message ?? '')) {
        logger.warn(`${options.name}: connecting to NATS failed (${(err as Error).message}); retrying`);
        await sleep(natsDurations.reconnectWaitMs);
        continue;
      }
      throw new NatsUnavailableError(
        `cannot connect to NATS at ${options.servers.join(', ')} as ${options.name}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') logger.warn(`${options.name}: disconnected from NATS`);
      else if (status.type === 'reconnect') {
        logger.log(`${options.name}: reconnected to NATS`);
        options.onReconnect?.();
      } else if (status.type === 'error') logger.error(`${options.name}: NATS error: ${String(status.error)}`);
    }
  })();
  return nc;
}

/** Drains (finishes in-flight handlers) but never blocks shutdown for longer than the budget. */
export async function closeNats(nc: NatsConnection): Promise<void> {
  if (nc.isClosed()) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    nc.drain().catch(() => nc.close()),
    new Promise<void>((resolve) => {
      timer = setTimeout(() => void nc.close().finally(resolve), natsDurations.drainTimeoutMs);
    }),
  ]);
  clearTimeout(timer);
}
