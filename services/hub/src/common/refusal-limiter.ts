/**
 * Bounds what refusals cost the log: per source of the attempts (a webhook's source, the
 * registration token tried), the first `recordedPerWindow` refusals of a window are recorded
 * one by one; the rest are only counted, and when the window closes the count (and how many
 * of each reason) is handed to `onSuppressed`, which records it as one aggregate event.
 * One mechanism for every kind of refusal (webhook rejections, registration refusals).
 *
 * In memory, per hub replica: a restart or another replica starts its own window, which at
 * worst records `recordedPerWindow` more events per window and replica.
 */
export interface SuppressedRefusals {
  key: string;
  /** Refusals counted, not recorded one by one. */
  count: number;
  /** How many of them per reason. */
  reasons: Record<string, number>;
  since: Date;
  until: Date;
}

interface Window {
  start: number;
  recorded: number;
  suppressed: number;
  reasons: Record<string, number>;
  timer?: NodeJS.Timeout;
}

export class RefusalLimiter {
  private readonly windows = new Map<string, Window>();
  private stopped = false;
  private readonly flushes = new Set<Promise<void>>();

  constructor(
    private readonly options: {
      windowMs: number;
      recordedPerWindow: number;
      onSuppressed: (suppressed: SuppressedRefusals) => Promise<void>;
      onError: (err: unknown, suppressed: SuppressedRefusals) => void;
      now?: () => number;
    },
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** Counts one refusal of `key`; true when it is to be recorded on its own. */
  admit(key: string, reason: string): boolean {
    const now = this.now();
    let window = this.windows.get(key);
    if (window && now - window.start >= this.options.windowMs) {
      this.close(key, window);
      window = undefined;
    }
    if (!window) {
      window = { start: now, recorded: 0, suppressed: 0, reasons: {} };
      this.windows.set(key, window);
    }
    if (window.recorded < this.options.recordedPerWindow) {
      window.recorded += 1;
      return true;
    }
    window.suppressed += 1;
    window.reasons[reason] = (window.reasons[reason] ?? 0) + 1;
    // The count is recorded when the window closes, even if no refusal follows.
    if (!window.timer && !this.stopped) {
      const w = window;
      w.timer = setTimeout(() => this.close(key, w), Math.max(0, w.start + this.options.windowMs - now));
      w.timer.unref?.();
    }
    return false;
  }

  private close(key: string, window: Window): void {
    clearTimeout(window.timer);
    if (this.windows.get(key) === window) this.windows.delete(key);
    if (window.suppressed === 0) return;
    const suppressed: SuppressedRefusals = {
      key,
      count: window.suppressed,
      reasons: window.reasons,
      since: new Date(window.start),
      until: new Date(this.now()),
    };
    const flush: Promise<void> = this.options
      .onSuppressed(suppressed)
      .catch((err: unknown) => this.options.onError(err, suppressed))
      .finally(() => this.flushes.delete(flush));
    this.flushes.add(flush);
  }

  /** Records every open window's count now (shutdown): nothing counted is lost to a stop. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const [key, window] of [...this.windows]) this.close(key, window);
    await Promise.allSettled([...this.flushes]);
  }
}
