// LeaseStore over `stream_leases`: `_id` = stream name. Taking the lease is one conditional
// upsert: it matches our own lease or a lapsed one; against a live lease of someone else the
// upsert collides on `_id`, which means "held".
import type { Db } from "mongodb";
import type { LeaseInfo, LeaseStore } from "../ports/lease.js";
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

  async tryAcquire(streamName: string, holder: string, ttlMs: number, now: Date): Promise<boolean> {
    try {
      await this.col.updateOne(
        { _id: streamName, $or: [{ holder }, { expires_at: { $lte: now } }] },
        { $set: { holder, expires_at: new Date(now.getTime() + ttlMs), renewed_at: now } },
        { upsert: true },
      );
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  async release(streamName: string, holder: string): Promise<void> {
    await this.col.deleteOne({ _id: streamName, holder });
  }

  async current(streamName: string): Promise<LeaseInfo | null> {
    const d = await this.col.findOne({ _id: streamName });
    return d ? { streamName, holder: d.holder, expiresAt: d.expires_at } : null;
  }
}
