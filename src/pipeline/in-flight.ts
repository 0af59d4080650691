// Backpressure: the source takes a permit before it pulls one event from the cursor and the
// permit comes back only when that claim is durably batched, skipped or dead-lettered. At the
// bound, reading pauses; nothing is dropped and nothing piles up in a push buffer.

export class InFlightLimiter {
  private used = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError("capacity must be a positive integer");
  }

  get inFlight(): number {
    return this.used;
  }

  /** Resolves when a permit is free. */
  acquire(): Promise<void> {
    if (this.used < this.capacity) {
      this.used++;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiters.push(() => {
        this.used++;
        resolve();
      });
    });
  }

  release(n = 1): void {
    this.used -= n;
    if (this.used < 0) throw new Error("InFlightLimiter released more permits than it gave out");
    while (this.used < this.capacity && this.waiters.length > 0) this.waiters.shift()?.();
  }

  /**
   * Wakes every waiter for shutdown, over capacity: each counts the permit it now holds (its
   * closure does, as in `release`), sees the stop flag and gives it back. Counting it here as
   * well left one permit behind per waiter.
   */
  wakeAll(): void {
    while (this.waiters.length > 0) this.waiters.shift()?.();
  }
}
