// StatsSource: the oplog window (age of the oldest oplog entry: how far back any resume token
// can still resume) and the ready backlog. The window comes from `serverStatus`'s `oplog`
// section (earliestOptime), which needs the cluster `serverStatus` action and no document
// access: reading local.oplog.rs would mean reading every write of the cluster, PHI included.
// A user without the action (or a mongos, which has no oplog section) gets null, never an
// error loop.
import type { Db, MongoClient, Timestamp } from "mongodb";
import type { FeedFilter } from "../ports/change-feed.js";
import type { StatsSource } from "../ports/stats.js";
import { readyClaimQuery } from "./change-feed-filter.js";
import { COLLECTIONS } from "./collections.js";

/** serverStatus sections left out of the oplog-window query (they are big and unused). */
const SKIPPED_SECTIONS = [
  "repl",
  "metrics",
  "locks",
  "wiredTiger",
  "tcmalloc",
  "transactions",
  "network",
  "opcounters",
];

export class MongoStats implements StatsSource {
  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
  ) {}

  async oplogWindowSeconds(): Promise<number | null> {
    try {
      // Only the oplog section: the others are large and none is needed.
      const status = await this.client.db("admin").command({
        serverStatus: 1,
        oplog: 1,
        ...Object.fromEntries(SKIPPED_SECTIONS.map((s) => [s, 0])),
      });
      const ts = (status.oplog as { earliestOptime?: Timestamp } | undefined)?.earliestOptime;
      if (!ts || typeof ts.t !== "number") return null;
      return Math.max(0, Date.now() / 1000 - ts.t);
    } catch {
      return null;
    }
  }

  async readyBacklog(filter: FeedFilter): Promise<number> {
    return this.db.collection(COLLECTIONS.claims).countDocuments(readyClaimQuery(filter));
  }
}
