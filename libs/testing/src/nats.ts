import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';

/** The shared NATS (with JetStream) the integration tests use. */
export const testNatsUrl = process.env.FLOTILLA_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/**
 * Connects to the test NATS, failing with how to start it when it is down. A loaded machine
 * makes single attempts fail (timeouts, `write EPIPE`): they are retried for a while.
 */
export async function connectTestNats(options: { timeoutMs?: number } = {}): Promise<NatsConnection> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    try {
      return await connect({ servers: testNatsUrl, timeout: 3000 });
    } catch (err) {
      if (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      throw new Error(
        `NATS is not answering at ${testNatsUrl}: ${(err as Error).message}. ` +
          'Start it with `bash scripts/ensure-services.sh` (or set FLOTILLA_TEST_NATS_URL).',
        { cause: err },
      );
    }
  }
}

/** A name no other test or run uses, for streams, consumers, buckets and subject prefixes. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}
