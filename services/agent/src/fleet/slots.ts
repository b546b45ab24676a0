/** A counting semaphore whose waiters give up when their signal aborts or the slots close. */
export class Slots {
  private free: number;
  private readonly waiting: Array<(release: (() => void) | undefined) => void> = [];
  private closed = false;

  constructor(size: number) {
    this.free = size;
  }

  /** A release function (idempotent), or undefined when aborted or closed first. */
  acquire(signal: AbortSignal): Promise<(() => void) | undefined> {
    if (this.closed || signal.aborted) return Promise.resolve(undefined);
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => {
      const waiter = (release: (() => void) | undefined) => {
        signal.removeEventListener('abort', onAbort);
        resolve(release);
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve(undefined);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  close(): void {
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter(undefined);
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next(this.releaser());
      else this.free += 1;
    };
  }
}
