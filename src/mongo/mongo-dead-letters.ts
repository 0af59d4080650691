// DeadLetterStore over `dead_letters`: one row per claim version, upserted so a claim seen
// again (an update, a restart) bumps `attempts` and `last_seen` instead of piling up rows.
import type { AnyBulkWriteOperation, Db, Document } from "mongodb";
import type { DeadLetterReason, InputIssue } from "../domain/errors.js";
import type { DeadLetter, DeadLetterEntry, DeadLetterStore } from "../ports/dead-letters.js";
import { COLLECTIONS } from "./collections.js";

interface DeadLetterDoc {
  claim_number: string;
  version: number;
  reason: DeadLetterReason;
  issues: InputIssue[];
  group_id?: string;
  client_id?: string;
  first_seen: Date;
  last_seen: Date;
  attempts: number;
}

export class MongoDeadLetters implements DeadLetterStore {
  constructor(private readonly db: Db) {}

  private get col() {
    return this.db.collection<DeadLetterDoc>(COLLECTIONS.deadLetters);
  }

  async record(entries: readonly DeadLetterEntry[], at: Date): Promise<void> {
    if (entries.length === 0) return;
    const ops: AnyBulkWriteOperation<DeadLetterDoc>[] = entries.map((e) => {
      const set: Document = { reason: e.reason, issues: e.issues.map((i) => ({ ...i })), last_seen: at };
      if (e.groupId !== undefined) set.group_id = e.groupId;
      if (e.clientId !== undefined) set.client_id = e.clientId;
      return {
        updateOne: {
          filter: { claim_number: e.claimNumber, version: e.version },
          update: { $set: set, $setOnInsert: { first_seen: at }, $inc: { attempts: 1 } },
          upsert: true,
        },
      };
    });
    await this.col.bulkWrite(ops, { ordered: false });
  }

  async list(opts: { limit: number; reason?: DeadLetterReason | undefined }): Promise<DeadLetter[]> {
    const q: Document = opts.reason ? { reason: opts.reason } : {};
    const docs = await this.col.find(q, { sort: { last_seen: -1 }, limit: opts.limit }).toArray();
    return docs.map(fromDoc);
  }

  async get(claimNumber: string): Promise<DeadLetter[]> {
    const docs = await this.col.find({ claim_number: claimNumber }, { sort: { version: 1 } }).toArray();
    return docs.map(fromDoc);
  }

  async remove(claimNumber: string, version?: number): Promise<number> {
    const q: Document = { claim_number: claimNumber };
    if (version !== undefined) q.version = version;
    return (await this.col.deleteMany(q)).deletedCount;
  }

  async purgeBefore(before: Date): Promise<number> {
    return (await this.col.deleteMany({ last_seen: { $lt: before } })).deletedCount;
  }

  async count(): Promise<number> {
    return this.col.countDocuments({});
  }
}

function fromDoc(d: DeadLetterDoc): DeadLetter {
  return {
    claimNumber: d.claim_number,
    version: d.version,
    reason: d.reason,
    issues: d.issues,
    groupId: d.group_id,
    clientId: d.client_id,
    firstSeen: d.first_seen,
    lastSeen: d.last_seen,
    attempts: d.attempts,
  };
}
