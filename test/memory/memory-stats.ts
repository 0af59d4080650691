// The stats twin: the oplog window and the ready backlog, read from the in-memory collection.
import type { FeedFilter } from "../../src/ports/change-feed.js";
import type { StatsSource } from "../../src/ports/stats.js";
import type { MemoryClaimDetail } from "./claim-detail.js";

export class MemoryStats implements StatsSource {
  constructor(private readonly coll: MemoryClaimDetail) {}

  async oplogWindowSeconds(): Promise<number | null> {
    const oldest = this.coll.events()[0]?.clusterTime ?? this.coll.historyStart;
    if (oldest.t === 0) return null;
    return Math.max(0, this.coll.clusterTime().t - oldest.t);
  }

  async readyBacklog(filter: FeedFilter): Promise<number> {
    const regex = filter.groupFilter ? new RegExp(filter.groupFilter) : undefined;
    let n = 0;
    for (const d of this.coll.liveDocs()) {
      if (d.status !== "ready") continue;
      if (regex && !(typeof d.group_id === "string" && regex.test(d.group_id))) continue;
      n++;
    }
    return n;
  }
}
