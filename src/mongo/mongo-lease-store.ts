// LeaseStore over `stream_leases`: `_id` = stream name. Taking the lease is one upsert with an
// update pipeline that takes it when it is ours or lapsed and otherwise leaves it as it is; the
// returned holder says who has it. Lapsed and the new expiry are both computed on the server
// (`$$NOW`): a processor whose clock is off by a minute neither takes a live lease nor writes
// an expiry a minute off.
import type { Db } from "mongodb";
import type { LeaseInfo, LeaseOptions, LeaseStore } from "../ports/lease.js";
import { COLLECTIONS } from "./collections.js";
import { isDuplicateKeyError } from "./connect.js";

interface LeaseDoc {
  _id: string;
  holder: string;
  expires_at: Date;
  renewed_at: Date;
}

export class MongoLeaseStore implements LeaseStore {
  constructor(private readonly db: Db) {}

  private get col() {
    return this.db.collection<LeaseDoc>(COLLECTIONS.leases);
  }

  async tryAcquire(
    streamName: string,
    holder: string,
    ttlMs: number,
    opts: LeaseOptions = {},
  ): Promise<boolean> {
    const me = { $literal: holder };
    // `$expr` is not allowed in an upsert's filter, so the "ours or lapsed" test lives in the
    // update pipeline: it takes the lease when it may and leaves someone else's live one as is.
    const take = {
      $or: [
        { $eq: ["$holder", me] },
        { $eq: [{ $type: "$expires_at" }, "missing"] },
        { $lte: ["$expires_at", "$$NOW"] },
      ],
    };
    try {
      const after = await this.col.findOneAndUpdate(
        { _id: streamName },
        [
          { $set: { _take: take } },
          {
            $set: {
              holder: { $cond: ["$_take", me, "$holder"] },
              expires_at: { $cond: ["$_take", { $add: ["$$NOW", ttlMs] }, "$expires_at"] },
              renewed_at: { $cond: ["$_take", "$$NOW", "$renewed_at"] },
            },
          },
          { $unset: "_take" },
        ],
        {
          upsert: true,
          returnDocument: "after",
          projection: { holder: 1 },
          // Server side: give up rather than apply a renewal long after it was sent. The client
          // side bound is the caller's (LeaseKeeper), which also covers server selection.
          ...(opts.timeoutMs !== undefined ? { maxTimeMS: opts.timeoutMs } : {}),
        },
      );
      return after?.holder === holder;
    } catch (err) {
      // Two first-ever upserts at once: the other one created it, so it is theirs.
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  async release(streamName: string, holder: string): Promise<void> {
    await this.col.deleteOne({ _id: streamName, holder });
  }

  async current(streamName: string): Promise<LeaseInfo | null> {
    const [d] = await this.col
      .aggregate<LeaseDoc & { live: boolean }>([
        { $match: { _id: streamName } },
        { $addFields: { live: { $gt: ["$expires_at", "$$NOW"] } } },
      ])
      .toArray();
    return d ? { streamName, holder: d.holder, expiresAt: d.expires_at, live: d.live } : null;
  }
}
