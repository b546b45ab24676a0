import { Watch, type KubeConfig } from '@kubernetes/client-node';
import type { RawObjectApi } from './object-api.client';
import type { KubeObject } from './resource-ref';

export interface CollectionWatchOptions {
  kubeConfig: KubeConfig;
  api: RawObjectApi;
  collection: string;
  labelSelector: string;
  /**
   * Objects that changed (added, modified, deleted), as the watch saw them. `listed` is true for
   * the whole collection after a (re-)list: events may have been missed, so the receiver compares.
   */
  onObjects(objects: KubeObject[], listed: boolean): void;
  restartMinMs: number;
  restartMaxMs: number;
  timeoutMs: number;
}

/** Counters of what the watches did (tests and diagnostics). */
export interface WatchStats {
  lists: number;
  resumes: number;
}

/**
 * A list-then-watch of one collection that survives the end of its watch the way client-go's
 * reflector does: it asks for bookmarks (so its resourceVersion keeps up while nothing it
 * selects changes), resumes from the last resourceVersion when the server ends the watch, and
 * lists again only when that version is too old (410 Gone). A watch opened without a version
 * replays every object as ADDED: re-opening that way every time would re-check everything.
 */
export class CollectionWatch {
  private resourceVersion: string | undefined;
  private abort: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private backoff: number;

  constructor(
    private readonly options: CollectionWatchOptions,
    private readonly stats: WatchStats,
  ) {
    this.backoff = options.restartMinMs;
  }

  start(): void {
    void this.open();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort?.abort();
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    const o = this.options;
    const openedAt = Date.now();
    try {
      if (this.resourceVersion === undefined) {
        const list = await o.api.listCollection(o.collection, o.labelSelector);
        this.stats.lists++;
        if (this.stopped) return;
        this.resourceVersion = list.resourceVersion;
        o.onObjects(list.items, true);
      } else {
        this.stats.resumes++;
      }
      const watch = new Watch(o.kubeConfig);
      // client-node aborts a watch that sent nothing for requestTimeoutMs (30 s, private, no
      // option to set it); the server ends ours at timeoutSeconds, so a quiet collection is not a failure.
      (watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs = o.timeoutMs + 30_000;
      const abort = await watch.watch(
        o.collection,
        {
          labelSelector: o.labelSelector,
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: Math.max(1, Math.round(o.timeoutMs / 1000)),
        },
        (phase: string, obj: KubeObject & { code?: number }) => {
          if (phase === 'ERROR') {
            // 410 Gone: the version fell out of the server's window; anything else, start over too.
            this.resourceVersion = undefined;
            return;
          }
          const version = obj?.metadata?.resourceVersion;
          if (version) this.resourceVersion = version;
          this.backoff = o.restartMinMs;
          if (phase !== 'BOOKMARK') o.onObjects([obj], false);
        },
        (err: unknown) => this.ended(err, openedAt),
      );
      this.abort = abort;
      if (this.stopped) abort.abort();
    } catch (err) {
      this.ended(err, openedAt);
    }
  }

  private ended(err: unknown, openedAt: number): void {
    if (this.stopped) return;
    if ((err as { statusCode?: number } | null)?.statusCode === 410) this.resourceVersion = undefined;
    // A watch the server ended after a while (its timeout) resumes at once; one that failed,
    // or ended as soon as it opened, backs off so a broken server is not hammered.
    const clean = !err && Date.now() - openedAt >= this.options.restartMinMs;
    const delay = clean ? 0 : this.backoff;
    if (!clean) this.backoff = Math.min(this.backoff * 2, this.options.restartMaxMs);
    this.timer = setTimeout(() => void this.open(), delay);
    this.timer.unref?.();
  }
}
