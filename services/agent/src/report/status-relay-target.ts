import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { statusRelaySubjectOf } from '@flotilla/contracts';
import type { OutboxPublishTarget } from './outbox';

/**
 * Where an agent's outbox publishes: through the hub's status relay, never straight into the
 * stream (NATS denies agents that; see `statusRelaySubject`). The journal keeps stream
 * subjects and they are mapped here, at publish, so journals written by older agents drain too.
 * The relay answers with the stream's PubAck, so the outbox's ack handling is unchanged.
 */
export function statusRelayTarget(nc: NatsConnection): OutboxPublishTarget {
  const js = jetstream(nc);
  return { publish: (subject, payload, opts) => js.publish(statusRelaySubjectOf(subject), payload, opts) };
}
