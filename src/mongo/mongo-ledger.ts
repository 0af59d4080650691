// Ledger over `edi_batches`, `processing_history` and `edi_counters`. `reserve` is the one
// multi-document transaction of claimflow: the batch row (with its content) and one history
// row per claim version commit together or not at all, and the unique {claim_number, version}
// index turns every race between processors, restarts and replays into a duplicate-key error.
import type { ClientSession, Db, Document, MongoClient } from "mongodb";
import type { ClaimVersionRef } from "../domain/joined-claim.js";
import { type ContentCodec, ContentUnreadableError, plainContentCodec } from "../ports/content-codec.js";
import {
  BatchConflictError,
  BatchNotFoundError,
  type BatchRecord,
  type BatchState,
  DuplicateClaimsError,
  type Ledger,
} from "../ports/ledger.js";
import { COLLECTIONS } from "./collections.js";
import { isDuplicateKeyError } from "./connect.js";

export interface BatchDoc {
  batch_id: string;
  state: BatchState;
  stream_name: string;
  group_id: string;
  client_id: string;
  sender_id: string;
  isa_control_number: number;
  gs_control_number: number;
  path: string;
  content: unknown;
  sha256: string;
  claims: ClaimVersionRef[];
  claim_count: number;
  created_at: Date;
  written_at?: Date;
  content_purged_at?: Date;
}

export interface HistoryDoc {
  claim_number: string;
  version: number;
  batch_id: string;
  state: "reserved" | "emitted";
  stream_name: string;
  group_id: string;
  client_id: string;
  reserved_at: Date;
  emitted_at?: Date;
}

export class MongoLedger implements Ledger {
  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    private readonly codec: ContentCodec = plainContentCodec,
  ) {}

  private get batches() {
    return this.db.collection<BatchDoc>(COLLECTIONS.batches);
  }
  private get history() {
    return this.db.collection<HistoryDoc>(COLLECTIONS.history);
  }

  async findEmitted(refs: readonly ClaimVersionRef[]): Promise<ClaimVersionRef[]> {
    if (refs.length === 0) return [];
    // One `$in` on the unique index's prefix, versions matched here: cheaper than a 500-way `$or`.
    const wanted = new Set(refs.map(refKey));
    const found = await this.history
      .find(
        { claim_number: { $in: [...new Set(refs.map((r) => r.claim_number))] } },
        { projection: { _id: 0, claim_number: 1, version: 1 } },
      )
      .toArray();
    return found
      .map((d) => ({ claim_number: d.claim_number, version: d.version }))
      .filter((r) => wanted.has(refKey(r)));
  }

  async nextControlNumber(senderId: string): Promise<number> {
    // One `$inc` at a time per sender from this process: concurrent batches of one sender
    // would otherwise collide on the same counter document and burn time in server-side
    // write-conflict retries (seen stalling for seconds). Other processors still race safely.
    const prev = this.counterQueue.get(senderId) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => this.incrementCounter(senderId));
    this.counterQueue.set(senderId, next);
    try {
      return await next;
    } finally {
      if (this.counterQueue.get(senderId) === next) this.counterQueue.delete(senderId);
    }
  }

  private readonly counterQueue = new Map<string, Promise<number>>();

  private async incrementCounter(senderId: string): Promise<number> {
    const res = await this.db
      .collection<{ _id: string; seq: number }>(COLLECTIONS.counters)
      .findOneAndUpdate(
        { _id: `isa:${senderId}` },
        { $inc: { seq: 1 } },
        { upsert: true, returnDocument: "after" },
      );
    if (!res) throw new Error(`edi_counters returned no document for sender ${senderId}`);
    return res.seq;
  }

  async reserve(batch: BatchRecord): Promise<void> {
    const keys = new Set(batch.claims.map(refKey));
    if (keys.size !== batch.claims.length) throw new BatchConflictError(batch.batchId, "repeated_claim");
    const doc = this.toDoc(batch);
    const rows: HistoryDoc[] = batch.claims.map((c) => ({
      claim_number: c.claim_number,
      version: c.version,
      batch_id: batch.batchId,
      state: "reserved",
      stream_name: batch.streamName,
      group_id: batch.groupId,
      client_id: batch.clientId,
      reserved_at: batch.createdAt,
    }));
    const session = this.client.startSession();
    try {
      await session.withTransaction(
        async (s: ClientSession) => {
          await this.batches.insertOne(doc, { session: s });
          await this.history.insertMany(rows, { session: s, ordered: true });
        },
        { writeConcern: { w: "majority" }, readConcern: { level: "snapshot" } },
      );
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      await this.explainConflict(batch);
    } finally {
      await session.endSession();
    }
  }

  /** After a duplicate key: say exactly which claims or which batch field collided. */
  private async explainConflict(batch: BatchRecord): Promise<void> {
    const existing = await this.batches.findOne({ batch_id: batch.batchId }, { projection: { claims: 1 } });
    if (existing) {
      const same =
        existing.claims.length === batch.claims.length &&
        existing.claims.every((c, i) => refKey(c) === refKey(batch.claims[i] as ClaimVersionRef));
      // A retry of a reservation that did commit (its reply was lost): nothing to do.
      if (same) return;
      throw new BatchConflictError(batch.batchId, "batch_id");
    }
    const duplicates = await this.findEmitted(batch.claims);
    if (duplicates.length > 0) throw new DuplicateClaimsError(duplicates);
    const used = await this.batches.findOne({
      sender_id: batch.senderId,
      isa_control_number: batch.isaControlNumber,
    });
    if (used) throw new BatchConflictError(batch.batchId, "control_number");
    // The conflicting row vanished in between (e.g. an operator purge): let the caller retry.
    throw new Error(`batch ${batch.batchId}: transient duplicate-key conflict; retry`);
  }

  async markWritten(batchId: string, at: Date): Promise<void> {
    // History first, the batch last: a crash between the two leaves the batch `reserved`, so the
    // next start writes it again (same content) and lands here again. The other order left rows
    // `reserved` under a `written` batch for good (seen with kill -9 in crash-restart.test.ts).
    await this.history.updateMany(
      { batch_id: batchId, state: "reserved" },
      { $set: { state: "emitted", emitted_at: at } },
    );
    const res = await this.batches.updateOne({ batch_id: batchId }, [
      { $set: { state: "written", written_at: { $ifNull: ["$written_at", at] } } },
    ] as Document[]);
    if (res.matchedCount === 0) throw new BatchNotFoundError(batchId);
  }

  async findReserved(streamName?: string): Promise<BatchRecord[]> {
    const q: Document = { state: "reserved" };
    if (streamName !== undefined) q.stream_name = streamName;
    const docs = await this.batches.find(q, { sort: { created_at: 1 } }).toArray();
    return docs.map((d) => this.fromDoc(d));
  }

  async findBatch(batchId: string): Promise<BatchRecord | null> {
    const d = await this.batches.findOne({ batch_id: batchId });
    return d ? this.fromDoc(d) : null;
  }

  async countReserved(): Promise<number> {
    return this.batches.countDocuments({ state: "reserved" });
  }

  private toDoc(b: BatchRecord): BatchDoc {
    const doc: BatchDoc = {
      batch_id: b.batchId,
      state: b.state,
      stream_name: b.streamName,
      group_id: b.groupId,
      client_id: b.clientId,
      sender_id: b.senderId,
      isa_control_number: b.isaControlNumber,
      gs_control_number: b.gsControlNumber,
      path: b.path,
      content: b.content === null ? null : this.codec.encode(b.batchId, b.content),
      sha256: b.sha256,
      claims: b.claims.map((c) => ({ claim_number: c.claim_number, version: c.version })),
      claim_count: b.claimCount,
      created_at: b.createdAt,
    };
    if (b.writtenAt) doc.written_at = b.writtenAt;
    return doc;
  }

  private fromDoc(d: BatchDoc): BatchRecord {
    // One batch whose content cannot be decrypted must not hide the others (recovery reads them
    // all at once): it is returned with the error in place of its content.
    let content: string | null = null;
    let contentError: ContentUnreadableError | undefined;
    if (d.content !== null && d.content !== undefined) {
      try {
        content = this.codec.decode(d.batch_id, d.content);
      } catch (err) {
        if (!(err instanceof ContentUnreadableError)) throw err;
        contentError = err;
      }
    }
    return {
      batchId: d.batch_id,
      state: d.state,
      streamName: d.stream_name,
      groupId: d.group_id,
      clientId: d.client_id,
      senderId: d.sender_id,
      isaControlNumber: d.isa_control_number,
      gsControlNumber: d.gs_control_number,
      path: d.path,
      content,
      contentError,
      contentPurgedAt: d.content_purged_at,
      sha256: d.sha256,
      claims: d.claims.map((c) => ({ claim_number: c.claim_number, version: c.version })),
      claimCount: d.claim_count,
      createdAt: d.created_at,
      writtenAt: d.written_at,
    };
  }
}

function refKey(r: ClaimVersionRef): string {
  return `${r.claim_number}\u0000${r.version}`;
}
