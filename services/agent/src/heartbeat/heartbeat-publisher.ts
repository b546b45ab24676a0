import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { Headers, HeartbeatSchema, encodeMessage, heartbeatSubject, messageMeta } from '@flotilla/contracts';
import { injectTraceContext } from '@flotilla/telemetry';

/**
 * Publishes a heartbeat at a fixed interval (core NATS, fire and forget: a lost beat is
 * what the hub's missed-beats window is for). While disconnected the client buffers a
 * few; the hub judges by arrival time, so late beats never make a dead agent look alive.
 */
export class HeartbeatPublisher {
  private timer: NodeJS.Timeout | undefined;
  private sequence = 0n;
  private readonly startedAt = new Date();

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: { clusterId: string; agentVersion: string; intervalMs: number },
  ) {}

  start(): void {
    this.beat();
    this.timer = setInterval(() => this.beat(), this.options.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private beat(): void {
    if (this.nc.isClosed()) return;
    const id = randomUUID();
    this.sequence += 1n;
    const message = create(HeartbeatSchema, {
      meta: messageMeta({ id, clusterId: this.options.clusterId, sentAt: new Date() }),
      agentVersion: this.options.agentVersion,
      sequence: this.sequence,
      startedAt: timestampFromDate(this.startedAt),
    });
    const h = natsHeaders();
    h.set(Headers.messageId, id);
    injectTraceContext(h);
    try {
      this.nc.publish(heartbeatSubject(this.options.clusterId), encodeMessage(HeartbeatSchema, message), {
        headers: h,
      });
    } catch {
      // Closed between the check and the publish: the agent is stopping or revoked.
    }
  }
}
