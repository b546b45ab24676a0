import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { headers as natsHeaders, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import {
  Headers,
  allStatusRelaySubjects,
  isReplyOfCluster,
  parseStatusRelaySubject,
  statusSubject,
} from '@flotilla/contracts';
import { NATS_CONNECTION } from '../nats-connection';

/** Hub replicas share the relay: each report is relayed once. */
export const statusRelayQueueGroup = 'flotilla-hub-status-relay';

/**
 * The agents' only way into the status stream. JetStream acknowledges a publish to whatever
 * reply subject it carries, and NATS does not check that reply against the publisher's
 * permissions: an agent publishing into the stream directly could make JetStream write onto
 * another cluster's subjects (or the JetStream API). Agents are denied the stream subjects;
 * they send each report here, the relay answers only under the sender's own inbox, publishes
 * into the stream on the same cluster's subject with the same headers (Nats-Msg-Id keeps
 * deduplication end to end) and answers with the stream's PubAck, which is what the agent's
 * JetStream client expects. Its outbox keeps reports while no hub is there to relay them.
 */
@Injectable()
export class StatusRelayService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('StatusRelay');
  private subscription: Subscription | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly js: JetStreamClient;

  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {
    this.js = jetstream(nc);
  }

  onApplicationBootstrap(): void {
    this.subscription = this.nc.subscribe(allStatusRelaySubjects(), {
      queue: statusRelayQueueGroup,
      callback: (err, msg) => {
        if (err) {
          this.logger.error(`status relay subscription failed: ${err.message}`);
          return;
        }
        const work = this.relay(msg).catch((e: unknown) =>
          this.logger.error(`status relay failed: ${(e as Error).message}`),
        );
        this.inFlight.add(work);
        void work.finally(() => this.inFlight.delete(work));
      },
    });
    this.logger.log(`relaying status reports from ${allStatusRelaySubjects()}`);
  }

  async onModuleDestroy(): Promise<void> {
    this.subscription?.unsubscribe();
    await Promise.allSettled([...this.inFlight]);
  }

  private async relay(msg: Msg): Promise<void> {
    const target = parseStatusRelaySubject(msg.subject);
    // The subject's cluster is the sender (NATS permissions); the reply must be its own inbox.
    if (!target || !isReplyOfCluster(msg.reply, target.clusterId)) return;
    const headers = natsHeaders();
    for (const [key, values] of msg.headers ?? []) for (const value of values) headers.append(key, value);
    const msgID = msg.headers?.get(Headers.messageId) || undefined;
    let answer: unknown;
    try {
      const ack = await this.js.publish(statusSubject(target.clusterId, target.kind), msg.data, {
        headers,
        ...(msgID ? { msgID } : {}),
      });
      answer = {
        stream: ack.stream,
        seq: ack.seq,
        duplicate: ack.duplicate,
        ...(ack.domain ? { domain: ack.domain } : {}),
      };
    } catch (err) {
      // In JetStream's own error shape, so the agent's client throws and its outbox retries.
      answer = { error: { code: 503, description: `the hub could not store the report: ${(err as Error).message}` } };
    }
    msg.respond(new TextEncoder().encode(JSON.stringify(answer)));
  }
}
