// The lease twin: one lease per stream name; a live lease held by someone else refuses, an
// expired one is taken over, the holder renews its own. Time is the twin's own clock (the
// in-memory "server"), never the caller's, like `$$NOW` in the Mongo store.
import type { Clock } from "../../src/ports/clock.js";
import type { LeaseInfo, LeaseStore } from "../../src/ports/lease.js";

interface Held {
  readonly holder: string;
  readonly expiresAt: Date;
}

export class MemoryLeaseStore implements LeaseStore {
  private readonly leases = new Map<string, Held>();

  constructor(private readonly clock: Clock) {}

  async tryAcquire(streamName: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.clock.now().getTime();
    const cur = this.leases.get(streamName);
    if (cur && cur.holder !== holder && cur.expiresAt.getTime() > now) return false;
    this.leases.set(streamName, { holder, expiresAt: new Date(now + ttlMs) });
    return true;
  }

  async release(streamName: string, holder: string): Promise<void> {
    if (this.leases.get(streamName)?.holder === holder) this.leases.delete(streamName);
  }

  async current(streamName: string): Promise<LeaseInfo | null> {
    const cur = this.leases.get(streamName);
    if (!cur) return null;
    const live = cur.expiresAt.getTime() > this.clock.now().getTime();
    return { streamName, holder: cur.holder, expiresAt: new Date(cur.expiresAt), live };
  }
}
