import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EventStore, NewEvent } from '@flotilla/event-store';
import { fold, sourceDecider, sourceStreamId, type FetchOutcome, type SourceState } from '@flotilla/domain';
import { decidedAgainOnConflict, loadAggregate } from '../../common/aggregate';
import { CLOCK, type Clock } from '../../common/clock';
import { EVENT_STORE } from '../../event-store.provider';
import { SourceSecrets } from '../source-secrets';
import { SOURCES_CONFIG, type SourcesConfig } from '../sources.config';
import { gitAuthFor } from './git-auth';
import { GitMirror, scrub } from './git-mirror';
import { SourceLease } from './source-lease';

/** A push of thousands of commits is recorded in slices of this many, oldest first, one append each. */
export const maxCommitsPerObservation = 200;
export const gitPollerActor = 'system:git-poller';

export type ObserveResult =
  { status: 'busy' } | { status: 'inactive' } | { status: 'observed'; ok: boolean; recorded: string[] };

interface InFlight {
  promise: Promise<ObserveResult>;
  again: boolean;
  waitMs: number;
}

/**
 * Fetches a source and records what changed, under the source's lease. The poller calls it
 * on each source's interval, the webhook on a push; both only ever ask for "a fetch after
 * now", so requests arriving during a fetch fold into one more fetch after it.
 */
@Injectable()
export class SourceObserver {
  private readonly logger = new Logger('SourceObserver');
  private readonly inFlight = new Map<string, InFlight>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SOURCES_CONFIG) private readonly config: SourcesConfig,
    private readonly lease: SourceLease,
    private readonly secrets: SourceSecrets,
  ) {}

  /**
   * Fetches now (or right after the fetch in flight). `waitForLeaseMs` 0 gives up at once when
   * another replica holds the lease: that replica's fetch is as good as ours.
   */
  request(name: string, waitForLeaseMs = 0): Promise<ObserveResult> {
    const current = this.inFlight.get(name);
    if (current) {
      current.again = true;
      current.waitMs = Math.max(current.waitMs, waitForLeaseMs);
      return current.promise;
    }
    const entry: InFlight = { promise: Promise.resolve({ status: 'busy' }), again: false, waitMs: waitForLeaseMs };
    entry.promise = (async () => {
      try {
        let result: ObserveResult;
        let more: boolean;
        do {
          entry.again = false;
          ({ result, more } = await this.observeOnce(name, entry.waitMs));
        } while (entry.again || more);
        return result;
      } finally {
        this.inFlight.delete(name);
      }
    })();
    this.inFlight.set(name, entry);
    return entry.promise;
  }

  isObserving(name: string): boolean {
    return this.inFlight.has(name);
  }

  /** Waits for the fetches in flight (shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()].map((entry) => entry.promise));
  }

  private async observeOnce(name: string, waitMs: number): Promise<{ result: ObserveResult; more: boolean }> {
    const lease = waitMs > 0 ? await this.lease.acquire(name, waitMs) : await this.lease.tryAcquire(name);
    if (!lease) return { result: { status: 'busy' }, more: false };
    try {
      // Our own append lost to a non-fetch event (a rejected webhook): decide again.
      return await decidedAgainOnConflict(() => this.fetchAndRecord(name));
    } finally {
      await lease.release();
    }
  }

  private async fetchAndRecord(name: string): Promise<{ result: ObserveResult; more: boolean }> {
    const streamId = sourceStreamId(name);
    // Loaded under the lease: another replica's last append is visible here.
    const { state, version } = await loadAggregate(this.store, streamId, sourceDecider);
    if (state.status !== 'active') return { result: { status: 'inactive' }, more: false };

    let outcome: FetchOutcome;
    let more = false;
    let mirror: GitMirror | undefined;
    try {
      // A local source added while the hub allowed them is not read once it no longer does.
      if (!this.config.allowLocalSources && /^\s*file:/i.test(state.url!))
        throw new Error('local (file://) sources are off on this hub (FLOTILLA_HUB_GIT_ALLOW_LOCAL_SOURCES)');
      const auth = await gitAuthFor(
        { url: state.url!, credentialsRef: state.credentialsRef },
        this.secrets,
        this.config.dataDir,
      );
      mirror = new GitMirror(this.config.dataDir, { name, url: state.url!, branch: state.branch }, auth);
      const headSha = await mirror.fetch();
      ({ outcome, more } = await this.inspect(mirror, state, headSha));
    } catch (err) {
      outcome = { ok: false, reason: scrub((err as Error).message ?? String(err)) };
    }
    if (!outcome.ok) this.logger.warn(`fetching source ${name} failed: ${outcome.reason}`);

    const events = sourceDecider.decide({ type: 'RecordFetch', data: { outcome, now: this.clock.now() } }, state);
    if (events.length > 0) {
      await this.store.append(streamId, events as NewEvent[], {
        expectedVersion: version,
        metadata: { actor: gitPollerActor },
      });
      const after = fold(sourceDecider, events).lastObservedSha;
      if (mirror && after) await mirror.markObserved(after).catch(() => undefined);
      this.logger.log(`source ${name}: ${events.map((e) => e.type).join(', ')}`);
    }
    return { result: { status: 'observed', ok: outcome.ok, recorded: events.map((e) => e.type) }, more };
  }

  /** Works out, from the mirror, which commits are new since the last observed one. */
  private async inspect(
    mirror: GitMirror,
    state: SourceState,
    headSha: string,
  ): Promise<{ outcome: FetchOutcome; more: boolean }> {
    const last = state.lastObservedSha;
    if (last === null)
      return {
        outcome: { ok: true, headSha, rewritten: false, commits: await mirror.describe([headSha]) },
        more: false,
      };
    if (last === headSha) return { outcome: { ok: true, headSha, rewritten: false, commits: [] }, more: false };
    // After a fetch, everything the branch reaches is here: a missing last commit is not an ancestor.
    const known = await mirror.hasCommit(last);
    const descends = known && (await mirror.isAncestor(last, headSha));
    let shas: string[];
    if (descends) {
      shas = await mirror.commitsBetween(last, headSha);
    } else {
      const base = known ? await mirror.mergeBase(last, headSha) : undefined;
      // Unrelated history (or a mirror that never saw the old commit): the head alone is new.
      shas = base ? await mirror.commitsBetween(base, headSha) : [headSha];
    }
    const more = shas.length > maxCommitsPerObservation;
    const slice = shas.slice(0, maxCommitsPerObservation);
    return {
      outcome: { ok: true, headSha, rewritten: !descends, commits: await mirror.describe(slice) },
      more,
    };
  }
}
