import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { durations } from '../../durations';
import { SOURCES_CONFIG, type SourcesConfig } from '../sources.config';
import { SourcesReadModel } from '../sources.read-model';
import { GitMirror } from './git-mirror';
import { SourceObserver } from './source-observer';

interface Scheduled {
  url: string;
  dueAt: number;
}

/**
 * Runs on every replica: each tick it fetches the sources whose interval has passed. Two
 * replicas both finding a source due is expected; the lease makes one of them fetch and
 * the other skip. Timers use the real clock (the injected Clock stamps events only).
 */
@Injectable()
export class SourcesPoller implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('SourcesPoller');
  private readonly scheduled = new Map<string, Scheduled>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;

  constructor(
    @Inject(SOURCES_CONFIG) private readonly config: SourcesConfig,
    private readonly readModel: SourcesReadModel,
    private readonly observer: SourceObserver,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.polling) {
      this.logger.log('git polling is off on this replica (FLOTILLA_HUB_GIT_POLLING=false)');
      return;
    }
    this.schedule(0);
  }

  /** Before the shutdown hooks close the lease connection and the projection runner. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    await this.observer.drain();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch((err: unknown) => this.logger.error(`git poller tick failed: ${(err as Error).message}`))
        .finally(() => this.schedule(durations.sourceSchedulerTickMs));
    }, delayMs);
  }

  private async tick(): Promise<void> {
    const sources = await this.readModel.schedule();
    const now = Date.now();
    const live = new Set(sources.map((s) => s.name));
    for (const [name, entry] of this.scheduled) {
      // A fetch still running keeps the entry, so the next tick reclaims the mirror: dropping
      // it now would leave the removed source's mirror on disk for good.
      if (live.has(name) || this.observer.isObserving(name)) continue;
      this.scheduled.delete(name);
      // The mirror of a removed source is nobody's: reclaim the disk.
      await new GitMirror(this.config.dataDir, { name, url: entry.url, branch: 'unused' })
        .remove()
        .catch(() => undefined);
    }
    for (const source of sources) {
      let entry = this.scheduled.get(source.name);
      if (!entry || entry.url !== source.url) {
        entry = { url: source.url, dueAt: now };
        this.scheduled.set(source.name, entry);
      }
      if (entry.dueAt > now || this.observer.isObserving(source.name)) continue;
      const intervalMs = source.pollIntervalSeconds * 1000;
      entry.dueAt = now + intervalMs + Math.floor(Math.random() * intervalMs * durations.sourcePollJitterRatio);
      void this.observer.request(source.name).catch((err: unknown) => {
        this.logger.error(`observing source ${source.name} failed: ${(err as Error).message}`);
      });
    }
  }
}
