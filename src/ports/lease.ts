// One active processor per stream name: a lease document renewed before it expires; a
// standby acquires it once it lapses. Expiry is judged by the store's clock (MongoDB's `$$NOW`),
// never by the caller's: two processors whose clocks disagree still agree on who holds it.

export interface LeaseInfo {
  readonly streamName: string;
  readonly holder: string;
  readonly expiresAt: Date;
  /** The lease has not expired by the store's clock at the time of the read. */
  readonly live: boolean;
}

export interface LeaseOptions {
  /**
   * Longest the store may spend on one take/renew (server and client side): a renewal that
   * cannot finish in time fails, so the holder stops before its lease could lapse unnoticed.
   */
  readonly timeoutMs?: number;
}

export interface LeaseStore {
  /**
   * Takes or renews the lease for `holder` until the store's now + `ttlMs`; false when someone
   * else holds a lease that is live by the store's clock.
   */
  tryAcquire(streamName: string, holder: string, ttlMs: number, opts?: LeaseOptions): Promise<boolean>;
  release(streamName: string, holder: string): Promise<void>;
  current(streamName: string): Promise<LeaseInfo | null>;
}
