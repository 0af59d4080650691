// StatsSource: the oplog window (age of the oldest oplog entry: how far back any resume token
// can still resume) and the ready backlog. Both are optional figures: a user without `find` on
// local.oplog.rs (or a mongos) gets null, never an error loop.
import type { Db, MongoClient, Timestamp } from "mongodb";
import type { FeedFilter } from "../ports/change-feed.js";
import type { StatsSource } from "../ports/stats.js";
import { readyClaimQuery } from "./change-feed-filter.js";
import { COLLECTIONS } from "./collections.js";

export class MongoStats implements StatsSource {
  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
  ) {}

  async oplogWindowSeconds(): Promise<number | null> {
    try {
      const oplog = this.client.db("local").collection("oplog.rs");
      const [first] = await oplog
        .find({}, { sort: { $natural: 1 }, limit: 1, projection: { ts: 1 } })
        .toArray();
      const ts = first?.ts as Timestamp | undefined;
      if (!ts) return null;
      return Math.max(0, Date.now() / 1000 - ts.t);
    } catch {
      return null;
    }
  }

  async readyBacklog(filter: FeedFilter): Promise<number> {
    return this.db.collection(COLLECTIONS.claims).countDocuments(readyClaimQuery(filter));
  }
}
