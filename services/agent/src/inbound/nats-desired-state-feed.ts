import { randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  BundleRequestSchema,
  BundleResponseSchema,
  DesiredStateRequestSchema,
  bundleRequestSubject,
  desiredStateRequestSubject,
  desiredStateSubject,
  messageMeta,
} from '@flotilla/contracts';
import type { KubeObject } from '@flotilla/kube';
import { durations } from '../durations';
import { AgentError } from '../errors';
import { BundleCache, contentDigest, digestHex } from './bundle-cache';
import {
  DesiredStateRefusedError,
  hubPublicKey,
  verifyDesiredState,
  type DesiredStateFeed,
  type RefusalReason,
  type VerifiedDesiredState,
} from './desired-state';
import { DesiredStateStore } from './desired-state-store';

/** The hub did not answer a bundle request, or refused it: try again later. */
export class BundleUnavailableError extends AgentError {
  readonly retryable = true;
}

export interface Refusal {
  reason: RefusalReason;
  message: string;
  /** `push`, `pull`, `stored` (the state file) or `bundle`. */
  via: 'push' | 'pull' | 'stored' | 'bundle';
}

export interface NatsDesiredStateFeedOptions {
  nc: NatsConnection;
  clusterId: string;
  /** The hub's signing key pinned at registration (base64url, 32 bytes). */
  hubSigningPublicKey: string;
  /** Where the last accepted state and the bundle cache live (the agent's own, 0700). */
  stateDir: string;
  log: (line: string) => void;
  /**
   * Called for every refused state or bundle, after it is logged. The agent passes none today:
   * refusals are only logged (no status event carries them to the hub); tests observe them here.
   */
  onRefused?: (refusal: Refusal) => void;
  resyncIntervalMs?: number;
  retryIntervalMs?: number;
  requestTimeoutMs?: number;
  bundleRequestTimeoutMs?: number;
}

/**
 * The agent's inbound side: its cluster's desired state over NATS, verified before anything
 * sees it. It asks at start, on every reconnect and every resync interval, and listens for
 * the hub's pushes; a state whose signature does not verify with the pinned hub key, that
 * names another cluster, or whose revision is older than the last accepted one is refused
 * and logged (not reported to the hub), and changes nothing. The last accepted state is kept on disk, so a
 * restart (even without NATS) resumes from it and still refuses replays. Handlers get
 * states one at a time, newest wins: a state arriving during a slow reconcile replaces any
 * state still waiting.
 */
export class NatsDesiredStateFeed implements DesiredStateFeed {
  private readonly key: KeyObject;
  private readonly store: DesiredStateStore;
  private readonly bundles: BundleCache;
  private readonly handlers: Array<(state: VerifiedDesiredState) => Promise<void>> = [];
  private current: { state: VerifiedDesiredState; payload: Uint8Array } | undefined;
  private receiving: Promise<void> = Promise.resolve();
  private pending: VerifiedDesiredState | undefined;
  private delivering: Promise<void> | undefined;
  private subscription: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: NatsDesiredStateFeedOptions) {
    this.key = hubPublicKey(options.hubSigningPublicKey);
    this.store = new DesiredStateStore(options.stateDir);
    this.bundles = new BundleCache(options.stateDir);
  }

  /** The last accepted state, if any. */
  get state(): VerifiedDesiredState | undefined {
    return this.current?.state;
  }

  onDesiredState(handler: (state: VerifiedDesiredState) => Promise<void>): void {
    this.handlers.push(handler);
    if (this.current) this.deliver(this.current.state);
  }

  /** Resumes from the stored state, subscribes to pushes, asks for the latest, keeps asking. */
  async start(): Promise<void> {
    await this.resumeStored();
    const { nc, clusterId } = this.options;
    this.subscription = nc.subscribe(desiredStateSubject(clusterId), {
      callback: (err, msg) => {
        if (err) {
          this.options.log(`desired state subscription failed: ${err.message}`);
          return;
        }
        void this.receive(msg.data, 'push');
      },
    });
    void (async () => {
      for await (const status of nc.status()) {
        if (this.stopped) break;
        // Pushes sent while disconnected are lost: ask as soon as the connection is back.
        if (status.type === 'reconnect') void this.resync();
      }
    })();
    await this.resync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.subscription?.unsubscribe();
    await this.receiving;
    await this.delivering;
  }

  /** Asks the hub for the latest state now; schedules the next ask (sooner after a failure). */
  async resync(): Promise<void> {
    if (this.stopped) return;
    clearTimeout(this.timer);
    let ok = false;
    try {
      const request = create(DesiredStateRequestSchema, {
        meta: messageMeta({ id: randomUUID(), clusterId: this.options.clusterId, sentAt: new Date() }),
        knownRevision: BigInt(this.current?.state.revision ?? 0),
      });
      const reply = await this.options.nc.request(
        desiredStateRequestSubject(this.options.clusterId),
        toBinary(DesiredStateRequestSchema, request),
        { timeout: this.options.requestTimeoutMs ?? durations.desiredStateRequestTimeoutMs },
      );
      await this.receive(reply.data, 'pull');
      ok = true;
    } catch (err) {
      this.options.log(
        `desired state request failed (${(err as Error).message}); keeping revision ${this.current?.state.revision ?? 0}`,
      );
    }
    if (this.stopped) return;
    const wait = ok
      ? (this.options.resyncIntervalMs ?? durations.desiredStateResyncMs)
      : (this.options.retryIntervalMs ?? durations.desiredStateRetryMs);
    this.timer = setTimeout(() => void this.resync(), wait);
    this.timer.unref();
  }

  /** Verifies and, if newer, persists and delivers. One at a time, in arrival order. */
  receive(bytes: Uint8Array, via: 'push' | 'pull'): Promise<void> {
    const next = this.receiving.then(() => this.accept(bytes, via));
    this.receiving = next.catch(() => undefined);
    return next;
  }

  private async accept(bytes: Uint8Array, via: 'push' | 'pull' | 'stored'): Promise<void> {
    let verified;
    try {
      verified = verifyDesiredState(bytes, {
        key: this.key,
        clusterId: this.options.clusterId,
        ...(this.current ? { lastRevision: this.current.state.revision, lastPayload: this.current.payload } : {}),
      });
    } catch (err) {
      if (err instanceof DesiredStateRefusedError) {
        this.refuse({ reason: err.reason, message: err.message, via });
        return;
      }
      throw err;
    }
    if (this.current && verified.state.revision === this.current.state.revision) return;
    if (via !== 'stored') {
      // Persisted before anything applies it: after a crash the agent resumes here, not from older.
      await this.store.save({ clusterId: this.options.clusterId, revision: verified.state.revision, message: bytes });
    }
    this.current = verified;
    this.options.log(
      `desired state revision ${verified.state.revision} accepted (${verified.state.applications.length} applications, via ${via})`,
    );
    this.deliver(verified.state);
  }

  private async resumeStored(): Promise<void> {
    const stored = await this.store.load().catch((err: unknown) => {
      this.options.log(`cannot read ${this.store.file}: ${(err as Error).message}; starting without a stored state`);
      return undefined;
    });
    if (!stored) return;
    if (stored.clusterId !== this.options.clusterId) {
      this.refuse({
        reason: 'foreign-cluster',
        message: `${this.store.file} belongs to cluster ${stored.clusterId}`,
        via: 'stored',
      });
      return;
    }
    await this.accept(new Uint8Array(Buffer.from(stored.message, 'base64')), 'stored');
  }

  private refuse(refusal: Refusal): void {
    this.options.log(`${refusal.message} (via ${refusal.via}); nothing applied`);
    try {
      this.options.onRefused?.(refusal);
    } catch (err) {
      this.options.log(`reporting a refusal failed: ${(err as Error).message}`);
    }
  }

  private deliver(state: VerifiedDesiredState): void {
    this.pending = state;
    if (this.delivering) return;
    this.delivering = (async () => {
      while (this.pending && !this.stopped) {
        const next = this.pending;
        this.pending = undefined;
        for (const handler of this.handlers) {
          try {
            await handler(next);
          } catch (err) {
            this.options.log(`desired state revision ${next.revision}: handler failed: ${(err as Error).message}`);
          }
        }
      }
    })().finally(() => {
      this.delivering = undefined;
    });
  }

  /**
   * A bundle by digest: from the disk cache, else from the hub (which answers only digests
   * assigned to this cluster); its sha256 must equal the digest before anything uses it.
   */
  async fetchBundle(digest: string): Promise<{ digest: string; objects: KubeObject[] }> {
    if (!digestHex(digest)) {
      throw new DesiredStateRefusedError('malformed', `bundle digest ${JSON.stringify(digest)} is not sha256:<hex>`);
    }
    let content = await this.bundles.get(digest);
    if (!content) {
      content = await this.requestBundle(digest);
      if (contentDigest(content) !== digest) {
        const message = `bundle ${digest} refused: its content hashes to ${contentDigest(content)} (tampered or corrupted)`;
        this.refuse({ reason: 'bundle-digest-mismatch', message, via: 'bundle' });
        throw new DesiredStateRefusedError('bundle-digest-mismatch', message);
      }
      await this.bundles.put(digest, content);
    }
    return { digest, objects: JSON.parse(Buffer.from(content).toString('utf8')) as KubeObject[] };
  }

  private async requestBundle(digest: string): Promise<Uint8Array> {
    const request = create(BundleRequestSchema, {
      meta: messageMeta({ id: randomUUID(), clusterId: this.options.clusterId, sentAt: new Date() }),
      digest,
    });
    let data: Uint8Array;
    try {
      const reply = await this.options.nc.request(
        bundleRequestSubject(this.options.clusterId),
        toBinary(BundleRequestSchema, request),
        { timeout: this.options.bundleRequestTimeoutMs ?? durations.bundleRequestTimeoutMs },
      );
      data = reply.data;
    } catch (err) {
      throw new BundleUnavailableError(`bundle ${digest}: the hub did not answer (${(err as Error).message})`, {
        cause: err,
      });
    }
    let response;
    try {
      response = fromBinary(BundleResponseSchema, data);
    } catch (err) {
      throw new BundleUnavailableError(`bundle ${digest}: undecodable answer (${(err as Error).message})`, {
        cause: err,
      });
    }
    if (response.result.case === 'content') return response.result.value;
    const message =
      response.result.case === 'refused' ? response.result.value.message : 'the hub answered without content';
    this.refuse({
      reason: 'bundle-refused',
      message: `bundle ${digest} refused by the hub: ${message}`,
      via: 'bundle',
    });
    throw new BundleUnavailableError(`bundle ${digest} refused by the hub: ${message}`);
  }
}
