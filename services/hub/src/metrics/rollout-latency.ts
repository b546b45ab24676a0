import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { AssignedApplication } from '@flotilla/domain';
import type { EventStore, RecordedEvent } from '@flotilla/event-store';
import { durations } from '../durations';
import { EVENT_STORE } from '../event-store.provider';
import { LogTail } from '../nats/log-tail';
import { HubMetrics } from './hub-metrics';

/** Commits remembered for their observation time; older ones are forgotten first (a bound, not a window). */
const rememberedCommits = 10_000;

/**
 * Rollout latencies read off the log as it grows: a commit's CommitObserved, each cluster's
 * DesiredStateAssigned carrying it and the cluster's SyncSucceeded of it. The log is the one
 * clock (recorded times), so a replica measures rollouts it did not drive; it follows the log
 * from its own start, so commits seen before it started are not measured.
 */
@Injectable()
export class RolloutLatency implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly observedAt = new Map<string, number>();
  /** Per (cluster, application): the commit assigned and not yet reported applied. */
  private readonly awaiting = new Map<string, { source: string; commit: string }>();
  private readonly tail: LogTail;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly metrics: HubMetrics,
  ) {
    this.tail = new LogTail(store, {
      name: 'RolloutLatency',
      types: ['CommitObserved', 'DesiredStateAssigned', 'SyncSucceeded'],
      pollMs: durations.metricsLogPollMs,
      onEvents: (events) => events.forEach((e) => this.apply(e)),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.tail.skipTo(await this.store.headPosition());
    this.tail.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.tail.stop();
  }

  /** One event of the log, in log order. */
  apply(event: RecordedEvent): void {
    const at = event.recordedAt.getTime();
    const data = (event.data ?? {}) as Record<string, unknown>;
    switch (event.type) {
      case 'CommitObserved': {
        const key = commitKey(String(data.source), String(data.sha));
        if (this.observedAt.has(key)) return;
        this.observedAt.set(key, at);
        if (this.observedAt.size > rememberedCommits) this.observedAt.delete(this.observedAt.keys().next().value!);
        return;
      }
      case 'DesiredStateAssigned': {
        const applications = (Array.isArray(data.applications) ? data.applications : []) as AssignedApplication[];
        for (const app of applications) {
          const pair = pairKey(String(data.clusterId), app.name);
          const previous = this.awaiting.get(pair);
          if (previous?.commit === app.commit && previous.source === app.source) continue;
          const seen = this.observedAt.get(commitKey(app.source, app.commit));
          if (seen === undefined) continue;
          this.metrics.commitToAssignedSeconds.observe((at - seen) / 1000);
          this.awaiting.set(pair, { source: app.source, commit: app.commit });
        }
        return;
      }
      case 'SyncSucceeded': {
        const pair = pairKey(String(data.clusterId), String(data.application));
        const awaited = this.awaiting.get(pair);
        if (!awaited || awaited.commit !== data.commit) return;
        this.awaiting.delete(pair);
        const seen = this.observedAt.get(commitKey(awaited.source, awaited.commit));
        if (seen !== undefined) this.metrics.commitToAppliedSeconds.observe((at - seen) / 1000);
        return;
      }
    }
  }
}

const commitKey = (source: string, commit: string) => `${source}\u0000${commit}`;
const pairKey = (clusterId: string, application: string) => `${clusterId}\u0000${application}`;
