// Read-only figures for gauges and `status`: cheap, sampled periodically, optional per backend.
import type { FeedFilter } from "./change-feed.js";

export interface StatsSource {
  /** Age in seconds of the oldest oplog entry (how far back a token can resume), or null if unknown. */
  oplogWindowSeconds(): Promise<number | null>;
  /** Claims currently `ready` in claim_detail (within the group filter). */
  readyBacklog(filter: FeedFilter): Promise<number>;
}
