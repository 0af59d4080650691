// One active processor per stream name: a lease document renewed before it expires; a
// standby acquires it once it lapses.

export interface LeaseInfo {
  readonly streamName: string;
  readonly holder: string;
  readonly expiresAt: Date;
}

export interface LeaseStore {
  /** Takes or renews the lease for `holder`; false when someone else holds a live lease. */
  tryAcquire(streamName: string, holder: string, ttlMs: number, now: Date): Promise<boolean>;
  release(streamName: string, holder: string): Promise<void>;
  current(streamName: string): Promise<LeaseInfo | null>;
}
