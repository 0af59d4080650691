// The lease twin: one lease per stream name; a live lease held by someone else refuses, an
// expired one is taken over, the holder renews its own.
import type { LeaseInfo, LeaseStore } from "../ports/lease.js";

export class MemoryLeaseStore implements LeaseStore {
  private readonly leases = new Map<string, LeaseInfo>();

  async tryAcquire(streamName: string, holder: string, ttlMs: number, now: Date): Promise<boolean> {
    const cur = this.leases.get(streamName);
    if (cur && cur.holder !== holder && cur.expiresAt.getTime() > now.getTime()) return false;
    this.leases.set(streamName, { streamName, holder, expiresAt: new Date(now.getTime() + ttlMs) });
    return true;
  }

  async release(streamName: string, holder: string): Promise<void> {
    if (this.leases.get(streamName)?.holder === holder) this.leases.delete(streamName);
  }

  async current(streamName: string): Promise<LeaseInfo | null> {
    const cur = this.leases.get(streamName);
    return cur ? { ...cur, expiresAt: new Date(cur.expiresAt) } : null;
  }
}
