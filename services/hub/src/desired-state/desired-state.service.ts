import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { headers as natsHeaders, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { context as otelContext, trace } from '@opentelemetry/api';
import { DataSource } from 'typeorm';
import { create } from '@bufbuild/protobuf';
import {
  allBundleRequestsSubject,
  allDesiredStateRequestsSubject,
  BundleRefusalReason,
  BundleRequestSchema,
  BundleResponseSchema,
  bundleQueueGroup,
  clusterIdOfAgentRequestSubject,
  isReplyOfCluster,
  decodeMessage,
  desiredStateQueueGroup,
  desiredStateSubject,
  encodeMessage,
  Headers,
  messageMeta,
  type BundleResponse,
} from '@flotilla/contracts';
import { ProjectionRunner, type PostgresEventStore } from '@flotilla/event-store';
import { Attr, extractTraceContext, injectTraceContext } from '@flotilla/telemetry';
import { CLOCK, type Clock } from '../common/clock';
import { EVENT_STORE } from '../event-store.provider';
import { NatsAuthority } from '../nats/nats-authority';
import { NATS_CONNECTION } from '../nats/nats-connection';
import { SourceFilesPort } from '../sources';
import { ApplicationRenderer } from '@flotilla/render';
import { ToolBundleRenderer } from './bundle-renderer';
import { HubMetrics } from '../metrics/hub-metrics';
import { measuredRenderer } from '../metrics/measured-renderer';
import { encodeDesiredStatePayload, encodeSignedDesiredState, signedDesiredState } from './desired-state.codec';
import { DESIRED_STATE_CONFIG, type DesiredStateConfig } from './desired-state.config';
import { DesiredStateReactor } from './desired-state.reactor';
import { desiredStateDurations, reactorBatchSize } from '../durations';

const digestPattern = /^sha256:[0-9a-f]{64}$/;
// Room for the envelope around a bundle's bytes in one NATS message.
const bundleEnvelopeBytes = 4 * 1024;

/**
 * The desired-state capability's running parts: the reactor loop (renders and assigns,
 * then publishes the signed state of every cluster it changed, after its batch commits),
 * and, on a hub with NATS, the `desired.get` and `bundle.get` responders (queue groups: one
 * replica answers each request). Signing happens here, with the hub key NatsAuthority
 * holds: the tables keep the unsigned payload (ed25519 signatures are deterministic).
 */
@Injectable()
export class DesiredStateService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('DesiredState');
  readonly reactor: DesiredStateReactor;
  readonly runner: ProjectionRunner;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private unsubscribeNotifier: (() => void) | undefined;
  private readonly subscriptions: Subscription[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    @Inject(EVENT_STORE) store: PostgresEventStore,
    private readonly dataSource: DataSource,
    @Inject(DESIRED_STATE_CONFIG) private readonly config: DesiredStateConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    sourceFiles: SourceFilesPort,
    tools: ApplicationRenderer,
    @Optional() private readonly authority?: NatsAuthority,
    @Optional() @Inject(NATS_CONNECTION) private readonly nc?: NatsConnection,
    @Optional() metrics?: HubMetrics,
  ) {
    // The one place rendering is chosen: the reactor only knows the BundleRenderer port.
    const renderer = measuredRenderer(
      new ToolBundleRenderer(sourceFiles, tools, { maxBundleBytes: config.maxBundleBytes }),
      metrics,
    );
    this.reactor = new DesiredStateReactor(store, renderer, this.logger);
    this.runner = new ProjectionRunner(store, this.reactor, { batchSize: reactorBatchSize });
    this.store = store;
  }

  private readonly store: PostgresEventStore;

  onApplicationBootstrap(): void {
    if (this.nc && this.authority) this.startResponders(this.nc);
    if (this.config.reactor) {
      this.running = true;
      this.unsubscribeNotifier = this.store.notifier.subscribe(() => this.wake?.());
      this.loop = this.follow();
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.running = false;
    this.wake?.();
    this.unsubscribeNotifier?.();
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    await Promise.race([
      Promise.allSettled([this.loop, ...this.inFlight]),
      sleep(desiredStateDurations.reactorStopTimeoutMs, undefined, { ref: false }),
    ]);
  }

  /** Runs the reactor up to the head of the log, then publishes what changed. Tests call it to wait for the reactor. */
  async catchUp(): Promise<number> {
    try {
      return await this.runner.catchUp();
    } finally {
      // After commit (or rollback: then the stored, older state is re-sent, which agents ignore).
      await this.publish(this.reactor.takeTouched());
    }
  }

  /** Whether the reactor stopped on an error (surfaced by readiness and logs). */
  problem(): string | undefined {
    return this.runner.lastError?.message;
  }

  private async follow(): Promise<void> {
    while (this.running) {
      let wait: number = desiredStateDurations.reactorPollMs;
      try {
        await this.store.notifier.ensureListening();
        await this.catchUp();
      } catch (err) {
        // Never skip an event: a failed batch (git remote down, database restart) is retried from its checkpoint.
        wait = desiredStateDurations.reactorRetryMs;
        this.logger.error(`desired-state reactor: ${(err as Error).message}; retrying in ${wait} ms`);
      }
      if (!this.running) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, wait);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wake = done;
      });
      this.wake = undefined;
    }
  }

  /** Pushes each cluster's latest signed state; best effort (agents also pull on start, reconnect and every resync). */
  private async publish(clusterIds: string[]): Promise<void> {
    if (!this.nc || !this.authority || clusterIds.length === 0) return;
    for (const clusterId of clusterIds) {
      const span = trace
        .getTracer('flotilla-hub')
        .startSpan('flotilla.desired.push', { attributes: { [Attr.clusterId]: clusterId } });
      try {
        const bytes = await this.signedStateOf(clusterId);
        const h = natsHeaders();
        h.set(Headers.messageId, randomUUID());
        // The agent's sync of this state joins the push's trace.
        injectTraceContext(h, trace.setSpan(otelContext.active(), span));
        this.nc.publish(desiredStateSubject(clusterId), bytes, { headers: h });
      } catch (err) {
        this.logger.warn(
          `cluster ${clusterId}: desired state not pushed (${(err as Error).message}); the agent pulls it`,
        );
      } finally {
        span.end();
      }
    }
  }

  /** The latest signed desired state of a cluster: revision 0 and no applications when none was assigned. */
  async signedStateOf(clusterId: string): Promise<Uint8Array> {
    if (!this.authority) throw new Error('this hub has no signing key (no NATS side)');
    const [row] = await this.dataSource.query(`SELECT payload FROM desired_states WHERE cluster_id = $1`, [clusterId]);
    const payload: Uint8Array = row
      ? new Uint8Array(row.payload as Buffer)
      : encodeDesiredStatePayload({ clusterId, revision: 0, applications: [] });
    const authority = this.authority;
    return encodeSignedDesiredState(
      signedDesiredState({
        payload,
        clusterId,
        sign: (bytes) => authority.sign(bytes),
        messageId: randomUUID(),
        now: this.clock.now(),
      }),
    );
  }

  private startResponders(nc: NatsConnection): void {
    const maxPayload = nc.info?.max_payload;
    if (maxPayload !== undefined && this.config.maxBundleBytes + bundleEnvelopeBytes > maxPayload) {
      this.logger.error(
        `FLOTILLA_HUB_BUNDLE_MAX_BYTES (${this.config.maxBundleBytes}) does not fit the NATS server's max_payload (${maxPayload}): agents cannot fetch the largest bundles; lower it or raise max_payload`,
      );
    }
    const serve = (subject: string, queue: string, handle: (msg: Msg) => Promise<void>) => {
      this.subscriptions.push(
        nc.subscribe(subject, {
          queue,
          callback: (err, msg) => {
            if (err) {
              this.logger.error(`${subject}: subscription failed: ${err.message}`);
              return;
            }
            const work = handle(msg).catch((e: unknown) =>
              this.logger.error(`${msg.subject}: reply failed: ${(e as Error).message}`),
            );
            this.inFlight.add(work);
            void work.finally(() => this.inFlight.delete(work));
          },
        }),
      );
    };
    serve(allDesiredStateRequestsSubject(), desiredStateQueueGroup, (msg) => this.answerDesiredState(msg));
    serve(allBundleRequestsSubject(), bundleQueueGroup, (msg) => this.answerBundle(msg));
    this.logger.log(`answering ${allDesiredStateRequestsSubject()} and ${allBundleRequestsSubject()}`);
  }

  private async answerDesiredState(msg: Msg): Promise<void> {
    // The subject, not the body, names the cluster: NATS lets only its agent publish there.
    const clusterId = clusterIdOfAgentRequestSubject(msg.subject, 'desired');
    // Only to the requester's own inbox: NATS does not check a reply against its permissions.
    if (!clusterId || !isReplyOfCluster(msg.reply, clusterId)) return;
    const parent = extractTraceContext(msg.headers);
    const span = trace
      .getTracer('flotilla-hub')
      .startSpan(
        'flotilla.desired.get',
        { attributes: { [Attr.clusterId]: clusterId, [Attr.messagingDestination]: msg.subject } },
        parent,
      );
    try {
      const bytes = await otelContext.with(trace.setSpan(parent, span), () => this.signedStateOf(clusterId));
      msg.respond(bytes);
    } finally {
      span.end();
    }
  }

  private async answerBundle(msg: Msg): Promise<void> {
    const clusterId = clusterIdOfAgentRequestSubject(msg.subject, 'bundle');
    if (!clusterId || !isReplyOfCluster(msg.reply, clusterId)) return;
    const reply = (result: BundleResponse['result']) => {
      const response = create(BundleResponseSchema, {
        meta: messageMeta({ id: randomUUID(), clusterId, sentAt: this.clock.now() }),
        result,
      });
      const h = natsHeaders();
      h.set(Headers.messageId, response.meta!.id);
      msg.respond(encodeMessage(BundleResponseSchema, response), { headers: h });
    };
    let digest: string;
    try {
      digest = decodeMessage(BundleRequestSchema, msg.data).digest;
    } catch (err) {
      reply({
        case: 'refused',
        value: {
          $typeName: 'flotilla.v1.BundleRefused',
          reason: BundleRefusalReason.MALFORMED,
          message: (err as Error).message,
        },
      });
      return;
    }
    if (!digestPattern.test(digest)) {
      reply({
        case: 'refused',
        value: {
          $typeName: 'flotilla.v1.BundleRefused',
          reason: BundleRefusalReason.MALFORMED,
          message: `digest ${JSON.stringify(digest.slice(0, 80))} is not sha256:<64 hex digits>`,
        },
      });
      return;
    }
    // Only bundles assigned to this cluster: an agent cannot read another cluster's manifests by guessing digests.
    const [row] = await this.dataSource.query(
      `SELECT b.content FROM desired_state_bundles a JOIN bundles b ON b.digest = a.digest
       WHERE a.cluster_id = $1 AND a.digest = $2`,
      [clusterId, digest],
    );
    if (!row) {
      reply({
        case: 'refused',
        value: {
          $typeName: 'flotilla.v1.BundleRefused',
          reason: BundleRefusalReason.NOT_ASSIGNED,
          message: `bundle ${digest} was never assigned to cluster ${clusterId}`,
        },
      });
      return;
    }
    reply({ case: 'content', value: Buffer.from(row.content as string, 'utf8') });
  }
}
