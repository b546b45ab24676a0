import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ProjectionRunner, type PostgresEventStore } from '@flotilla/event-store';
import { durations } from '../durations';
import { EVENT_STORE } from '../event-store.provider';
import { clusterGroupsProjection } from './cluster-groups.projection';
import { clustersProjection } from './clusters.projection';
import { sourcesProjection } from '../sources/sources.projection';
import { applicationsProjection } from '../applications/applications.projection';
import { driftProjection } from '../drift/drift.projection';
import { clusterStateHistoryProjection } from '../time-travel/cluster-state.projection';
import { applicationStatusProjection } from '../applications/status/application-status.projection';

/**
 * Keeps the hub's read models in step with the log (checkpointed runners, safe with several
 * replicas: the checkpoint row is locked per batch). After a write, controllers call
 * `catchUp` so the writer reads its own write.
 */
@Injectable()
export class ReadModelsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ReadModels');
  readonly runners: ProjectionRunner[];

  constructor(@Inject(EVENT_STORE) store: PostgresEventStore) {
    this.runners = [
      clustersProjection,
      clusterGroupsProjection,
      sourcesProjection,
      applicationsProjection,
      driftProjection,
      clusterStateHistoryProjection,
      applicationStatusProjection,
    ].map((projection) => new ProjectionRunner(store, projection));
  }

  async onApplicationBootstrap(): Promise<void> {
    // Catch up before serving, so a fresh replica never answers from an empty read model.
    await Promise.all(this.runners.map((runner) => runner.catchUp()));
    for (const runner of this.runners) runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.stop()));
  }

  /** Best effort: the write is durable whatever happens here; a late read model only lags. */
  async catchUp(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.all(this.runners.map((runner) => runner.catchUp())),
        new Promise((resolve) => {
          timer = setTimeout(resolve, durations.readYourWritesTimeoutMs);
        }),
      ]);
    } catch (err) {
      this.logger.error(`read models did not catch up: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Empties every read model and replays the whole log into it (`npm run hub -- rebuild-read-models`,
   * or after fixing a projection that stopped). Runners following the log are paused meanwhile.
   */
  async rebuild(): Promise<void> {
    const wasRunning = this.runners.filter((runner) => runner.isRunning);
    await Promise.all(wasRunning.map((runner) => runner.stop()));
    try {
      for (const runner of this.runners) await runner.rebuild();
    } finally {
      for (const runner of wasRunning) runner.start();
    }
  }

  /** Unhealthy when a projection stopped on an event it cannot apply (it never skips one). */
  problems(): string[] {
    return this.runners
      .filter((runner) => !runner.isRunning && runner.lastError)
      .map((runner) => `${runner.projection.name}: ${runner.lastError!.message}`);
  }
}
