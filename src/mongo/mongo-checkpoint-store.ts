// CheckpointStore over `stream_checkpoints`: one document per stream name (`_id`).
import type { Db, Document, Timestamp } from "mongodb";
import type { ResumeToken } from "../ports/change-feed.js";
import type { Checkpoint, CheckpointStore } from "../ports/checkpoint-store.js";
import { fromTimestamp, toTimestamp } from "./cluster-time.js";
import { COLLECTIONS } from "./collections.js";

interface CheckpointDoc {
  _id: string;
  token?: ResumeToken;
  cluster_time?: Timestamp;
  updated_at: Date;
  source: string;
}

export class MongoCheckpointStore implements CheckpointStore {
  constructor(private readonly db: Db) {}

  private get col() {
    return this.db.collection<CheckpointDoc>(COLLECTIONS.checkpoints);
  }

  async load(streamName: string): Promise<Checkpoint | null> {
    const doc = await this.col.findOne({ _id: streamName });
    if (!doc) return null;
    return {
      streamName,
      token: doc.token ?? undefined,
      clusterTime: doc.cluster_time ? fromTimestamp(doc.cluster_time) : undefined,
      updatedAt: doc.updated_at,
      source: doc.source,
    };
  }

  async save(cp: Checkpoint): Promise<void> {
    const doc: Document = { updated_at: cp.updatedAt, source: cp.source };
    if (cp.token) doc.token = cp.token;
    if (cp.clusterTime) doc.cluster_time = toTimestamp(cp.clusterTime);
    await this.col.replaceOne({ _id: cp.streamName }, doc as CheckpointDoc, { upsert: true });
  }

  async clear(streamName: string): Promise<void> {
    await this.col.deleteOne({ _id: streamName });
  }
}
