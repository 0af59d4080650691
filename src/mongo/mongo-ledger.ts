// Ledger over `edi_batches`, `processing_history` and `edi_counters`. `reserve` is the one
// multi-document transaction of claimflow: the batch row (with its content) and one history
// row per claim version commit together or not at all, and the unique {claim_number, version}
// index turns every race between processors, restarts and replays into a duplicate-key error.
import { type ClientSession, type Db, type Document, type MongoClient, Timestamp } from "mongodb";
import type { ClaimVersionRef } from "../domain/joined-claim.js";
import { type ClusterTime, compareClusterTime, laterOf } from "../ports/change-feed.js";
import { type ContentCodec, ContentUnreadableError, plainContentCodec } from "../ports/content-codec.js";
import {
  assertSameClaims,
  BatchConflictError,
  BatchNotFoundError,
  BatchNotReissuableError,
  type BatchRecord,
  type BatchState,
  DuplicateClaimsError,
  type HistoryLookup,
  type Ledger,
  MARK_LEAD_SECONDS,
  type ReserveConflict,
  reserveEach,
} from "../ports/ledger.js";
import { fromTimestamp, toTimestamp } from "./cluster-time.js";
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
  total_charge_cents?: number;
  created_at: Date;
  written_at?: Date;
  content_purged_at?: Date;
  reissue_of?: string;
  superseded_by?: string;
  superseded_at?: Date;
}

/**
 * One row per claim version, naming its batch; written once, never updated (ledger v2): the
 * version is emitted exactly when that batch is `written`. Rows written before v2 may still
 * carry `state`/`emitted_at`; nothing reads them.
 */
export interface HistoryDoc {
  claim_number: string;
  version: number;
  batch_id: string;
  stream_name: string;
  group_id: string;
  client_id: string;
  reserved_at: Date;
}

export class MongoLedger implements Ledger {
  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    private readonly codec: ContentCodec = plainContentCodec,
    /** Control numbers taken per edi_counters round trip (1: one at a time, no gap at exit). */
    private readonly blockSize = CONTROL_NUMBER_BLOCK,
    /** How far ahead of a batch's newest event its stream's mark is raised (see coverMark). */
    private readonly markLeadSeconds = MARK_LEAD_SECONDS,
  ) {
    if (!Number.isInteger(blockSize) || blockSize < 1) throw new RangeError("blockSize must be >= 1");
    if (!Number.isInteger(markLeadSeconds) || markLeadSeconds < 0)
      throw new RangeError("markLeadSeconds must be >= 0");
  }

  private get batches() {
    return this.db.collection<BatchDoc>(COLLECTIONS.batches);
  }
  private get history() {
    return this.db.collection<HistoryDoc>(COLLECTIONS.history);
  }

  async findEmitted(refs: readonly ClaimVersionRef[]): Promise<ClaimVersionRef[]> {
    return (await this.lookupHistory(refs)).emitted;
  }

  async lookupHistory(refs: readonly ClaimVersionRef[]): Promise<HistoryLookup> {
    if (refs.length === 0) return { emitted: [], superseded: [] };
    // One `$in` on the unique index's prefix, versions matched here: cheaper than a 500-way `$or`,
    // and it returns every version of each claim, which is what "superseded" needs.
    const found = await this.history
      .find(
        { claim_number: { $in: [...new Set(refs.map((r) => r.claim_number))] } },
        { projection: { _id: 0, claim_number: 1, version: 1, batch_id: 1 } },
      )
      .toArray();
    if (found.length === 0) return { emitted: [], superseded: [] };
    const newest = new Map<string, number>();
    const batchOf = new Map<string, string>();
    for (const d of found) {
      const v = newest.get(d.claim_number);
      if (v === undefined || d.version > v) newest.set(d.claim_number, d.version);
      batchOf.set(refKey(d), d.batch_id);
    }
    const superseded = refs
      .filter((r) => (newest.get(r.claim_number) ?? Number.NEGATIVE_INFINITY) > r.version)
      .map((r) => ({ claim_number: r.claim_number, version: r.version }));
    const candidates = refs.filter((r) => batchOf.has(refKey(r)));
    if (candidates.length === 0) return { emitted: [], superseded };
    // Emitted means "its batch is written" (the file exists); a row under a batch still
    // `reserved` is not, and must never be billed as if it were.
    const written = new Set(
      (
        await this.batches
          .find(
            {
              batch_id: { $in: [...new Set(candidates.map((r) => batchOf.get(refKey(r)) as string))] },
              state: "written",
            },
            { projection: { _id: 0, batch_id: 1 } },
          )
          .toArray()
      ).map((b) => b.batch_id),
    );
    const emitted = candidates
      .filter((r) => written.has(batchOf.get(refKey(r)) as string))
      .map((r) => ({ claim_number: r.claim_number, version: r.version }));
    return { emitted, superseded };
  }

  async nextControlNumber(senderKey: string): Promise<number> {
    // One `$inc` at a time per sender from this process: concurrent batches of one sender
    // would otherwise collide on the same counter document and burn time in server-side
    // write-conflict retries (seen stalling for seconds). Other processors still race safely.
    const prev = this.counterQueue.get(senderKey) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => this.incrementCounter(senderKey));
    this.counterQueue.set(senderKey, next);
    try {
      return await next;
    } finally {
      if (this.counterQueue.get(senderKey) === next) this.counterQueue.delete(senderKey);
    }
  }

  /** Sender keys whose counter has been raised past every legacy counter (once per process). */
  private readonly seeded = new Set<string>();

  private readonly counterQueue = new Map<string, Promise<number>>();

  private async incrementCounter(senderKey: string): Promise<number> {
    const counters = this.db.collection<{ _id: string; seq: number }>(COLLECTIONS.counters);
    const id = `${COUNTER_PREFIX}${senderKey}`;
    if (!this.seeded.has(senderKey)) {
      // Counters used to be keyed by the raw sender_id (`isa:<sender_id>`), so `acme pharm` and
      // `ACME PHARM` counted apart though they render the same ISA06. Before the first number of
      // a key, raise it to at least every legacy counter that renders to it ($max: never lowers,
      // safe with other processors doing the same): a number is never reused across the change.
      const isa06 = senderKey.slice(senderKey.indexOf(":") + 1).trim();
      const legacy = await counters
        .find(
          { _id: { $regex: `^isa:\\s*${escapeRegex(isa06)}\\s*$`, $options: "i" } },
          { projection: { seq: 1 } },
        )
        .toArray();
      const floor = legacy.reduce((m, d) => Math.max(m, d.seq), 0);
      if (floor > 0) await counters.updateOne({ _id: id }, { $max: { seq: floor } }, { upsert: true });
      this.seeded.add(senderKey);
    }
    const block = this.blocks.get(senderKey);
    if (block && block.next <= block.last) return block.next++;
    // A block of numbers per round trip: the $inc is atomic, so no number is ever handed out
    // twice (here or by another processor); the unused rest of a block is a gap when the process
    // ends (gaps are allowed, reuse never). Busy senders then cost one round trip per block.
    const res = await counters.findOneAndUpdate(
      { _id: id },
      { $inc: { seq: this.blockSize } },
      { upsert: true, returnDocument: "after" },
    );
    if (!res) throw new Error(`edi_counters returned no document for sender ${senderKey}`);
    this.blocks.set(senderKey, { next: res.seq - this.blockSize + 2, last: res.seq });
    return res.seq - this.blockSize + 1;
  }

  /** Control numbers taken from edi_counters and not handed out yet, per sender key. */
  private readonly blocks = new Map<string, { next: number; last: number }>();

  async reserve(batch: BatchRecord): Promise<void> {
    const keys = new Set(batch.claims.map(refKey));
    if (keys.size !== batch.claims.length) throw new BatchConflictError(batch.batchId, "repeated_claim");
    const doc = this.toDoc(batch);
    const rows = historyRows(batch);
    await this.coverMarks([batch]);
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

  async reserveMany(batches: readonly BatchRecord[]): Promise<(ReserveConflict | undefined)[]> {
    if (batches.length <= 1) return reserveEach(this, batches);
    // Two batches of the group listing one claim version (or one listing it twice) would fail
    // the whole transaction; one at a time, exactly the second is the duplicate.
    const seen = new Set<string>();
    for (const b of batches)
      for (const c of b.claims) {
        const k = refKey(c);
        if (seen.has(k)) return reserveEach(this, batches);
        seen.add(k);
      }
    const docs = batches.map((b) => this.toDoc(b));
    const rows = batches.flatMap(historyRows);
    await this.coverMarks(batches);
    const session = this.client.startSession();
    try {
      // One transaction, two inserts, for every batch row and history row of the group.
      await session.withTransaction(
        async (s: ClientSession) => {
          await this.batches.insertMany(docs, { session: s, ordered: true });
          await this.history.insertMany(rows, { session: s, ordered: true });
        },
        { writeConcern: { w: "majority" }, readConcern: { level: "snapshot" } },
      );
      return batches.map(() => undefined);
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      // Some batch conflicts (or a lost reply committed them all): nothing of this attempt
      // landed, or all of it did; one at a time tells each batch's outcome exactly, and the
      // batches that do not conflict are reserved.
      return reserveEach(this, batches);
    } finally {
      await session.endSession();
    }
  }

  /**
   * Before a reservation: each stream's mark must already cover the newest event its batches
   * hold (a mark ahead of what was reserved only costs a later run a few needless lookups; one
   * behind would let a repeat through unlooked). It used to be raised inside the reserving
   * transaction, but every transaction of a stream then wrote the same document, and the group
   * commits in flight together aborted each other on the write conflict and ran again (measured:
   * 58 of 224 transactions aborted, a third of the history rows inserted twice). Raised here, to
   * the event plus `markLeadSeconds` of cluster time, it is one write per lead's worth of events,
   * not one per commit: later batches find their events covered and write nothing.
   */
  private async coverMarks(batches: readonly BatchRecord[]): Promise<void> {
    for (const [stream, ct] of newestEventPerStream(batches)) await this.coverMark(stream, ct);
  }

  /** What this process knows each stream's mark to be at least (it is never lowered). */
  private readonly covered = new Map<string, ClusterTime>();
  /** A raise in flight per stream: concurrent commits wait for it instead of writing again. */
  private readonly raising = new Map<string, Promise<void>>();

  private async coverMark(stream: string, ct: ClusterTime): Promise<void> {
    for (;;) {
      const known = this.covered.get(stream);
      if (known && compareClusterTime(known, ct) >= 0) return;
      const inFlight = this.raising.get(stream);
      if (inFlight) {
        // Its target may fall short of ct (an older batch started it): look again after it.
        await inFlight.catch(() => undefined);
        continue;
      }
      const target: ClusterTime = { t: ct.t + this.markLeadSeconds, i: ct.i };
      const raise = this.marks
        .findOneAndUpdate(
          { _id: `${STREAM_MARK_PREFIX}${stream}` },
          { $max: { events_through: toTimestamp(target) } },
          { upsert: true, returnDocument: "after", projection: { events_through: 1 } },
        )
        // `$max`: the stored mark is at least the target (or a racing processor's higher one).
        .then((d) => this.noteCovered(stream, d ? fromTimestamp(d.events_through) : target))
        .finally(() => this.raising.delete(stream));
      this.raising.set(stream, raise);
      await raise;
    }
  }

  private noteCovered(stream: string, ct: ClusterTime): void {
    this.covered.set(stream, laterOf(this.covered.get(stream), ct) as ClusterTime);
  }

  async reservedThrough(streamName: string): Promise<ClusterTime | null> {
    const id = `${STREAM_MARK_PREFIX}${streamName}`;
    const found = await this.marks.findOne({ _id: id });
    if (found) {
      if (isZero(found.events_through)) return null;
      const mark = fromTimestamp(found.events_through);
      this.noteCovered(streamName, mark);
      return mark;
    }
    // First start of this stream with the mark (a new stream, or one that ran before the mark
    // existed). With no batch of the stream anywhere, nothing was reserved: the mark starts at
    // zero. Otherwise (or when that cannot be told quickly) every event up to now may have been
    // reserved, and is looked up like before. $setOnInsert: a racing processor's value stands.
    const zero = new Timestamp({ t: 0, i: 0 });
    let start = zero;
    if ((await this.batches.estimatedDocumentCount()) > 0) {
      const any = await this.batches
        .findOne({ stream_name: streamName }, { projection: { _id: 1 }, maxTimeMS: 2_000 })
        .catch(() => "unknown" as const);
      if (any !== null) {
        const res = await this.db.command({ ping: 1 });
        start = (res.operationTime ?? res.$clusterTime?.clusterTime ?? MAX_TIMESTAMP) as Timestamp;
      }
    }
    const mark = await this.marks.findOneAndUpdate(
      { _id: id },
      { $setOnInsert: { events_through: start } },
      { upsert: true, returnDocument: "after" },
    );
    const ts = mark?.events_through ?? start;
    if (isZero(ts)) return null;
    const at = fromTimestamp(ts);
    this.noteCovered(streamName, at);
    return at;
  }

  private get marks() {
    return this.db.collection<{ _id: string; events_through: Timestamp }>(COLLECTIONS.counters);
  }

  async markWrittenMany(batchIds: readonly string[], at: Date): Promise<void> {
    const ids = [...new Set(batchIds)];
    if (ids.length === 0) return;
    // One write for the whole group; the history rows are not touched (see markWritten).
    const res = await this.batches.updateMany({ batch_id: { $in: ids } }, [
      { $set: { state: "written", written_at: { $ifNull: ["$written_at", at] } } },
    ] as Document[]);
    if (res.matchedCount < ids.length) {
      const found = new Set(
        (await this.batches.find({ batch_id: { $in: ids } }, { projection: { batch_id: 1 } }).toArray()).map(
          (d) => d.batch_id,
        ),
      );
      throw new BatchNotFoundError(ids.find((id) => !found.has(id)) as string);
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
    // Any history row collides, whatever its batch's state (findEmitted sees written ones only).
    const wanted = new Set(batch.claims.map(refKey));
    const duplicates = (
      await this.history
        .find(
          { claim_number: { $in: batch.claims.map((c) => c.claim_number) } },
          { projection: { _id: 0, claim_number: 1, version: 1 } },
        )
        .toArray()
    )
      .filter((r) => wanted.has(refKey(r)))
      .map((r) => ({ claim_number: r.claim_number, version: r.version }));
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
    // One write: the batch's state is the only per-file state. History rows are never updated,
    // so no crash can leave them disagreeing with their batch (v1 updated both, in two writes).
    const res = await this.batches.updateOne({ batch_id: batchId }, [
      { $set: { state: "written", written_at: { $ifNull: ["$written_at", at] } } },
    ] as Document[]);
    if (res.matchedCount === 0) throw new BatchNotFoundError(batchId);
  }

  async reissue(oldBatchId: string, replacement: BatchRecord, at: Date): Promise<void> {
    const doc = this.toDoc({ ...replacement, state: "reserved", reissueOf: oldBatchId });
    const session = this.client.startSession();
    try {
      await session.withTransaction(
        async (s: ClientSession) => {
          const old = await this.batches.findOne(
            { batch_id: oldBatchId },
            { session: s, projection: { _id: 0, state: 1, claims: 1, superseded_by: 1 } },
          );
          if (!old) throw new BatchNotFoundError(oldBatchId);
          if (old.state === "superseded") {
            // The same reissue committed before (its reply was lost): nothing to do.
            if (old.superseded_by === replacement.batchId) return;
            throw new BatchNotReissuableError(oldBatchId, "superseded", old.superseded_by);
          }
          if (old.state !== "written") throw new BatchNotReissuableError(oldBatchId, "reserved");
          assertSameClaims(oldBatchId, old.claims, replacement.claims);
          // The state in the filter: a concurrent reissue of the same batch conflicts here (a
          // write conflict the transaction retries, then sees `superseded`).
          await this.batches.updateOne(
            { batch_id: oldBatchId, state: "written" },
            { $set: { state: "superseded", superseded_by: replacement.batchId, superseded_at: at } },
            { session: s },
          );
          await this.batches.insertOne(doc, { session: s });
          await this.history.updateMany(
            { batch_id: oldBatchId },
            { $set: { batch_id: replacement.batchId } },
            { session: s },
          );
        },
        { writeConcern: { w: "majority" }, readConcern: { level: "snapshot" } },
      );
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const sameId = await this.batches.findOne(
        { batch_id: replacement.batchId },
        { projection: { _id: 1 } },
      );
      throw new BatchConflictError(replacement.batchId, sameId ? "batch_id" : "control_number");
    } finally {
      await session.endSession();
    }
  }

  async findReserved(streamName?: string, createdBefore?: Date): Promise<BatchRecord[]> {
    const q: Document = { state: "reserved" };
    if (streamName !== undefined) q.stream_name = streamName;
    if (createdBefore !== undefined) q.created_at = { $lt: createdBefore };
    const docs = await this.batches.find(q, { sort: { created_at: 1 } }).toArray();
    return docs.map((d) => this.fromDoc(d));
  }

  async findBatch(batchId: string): Promise<BatchRecord | null> {
    const d = await this.batches.findOne({ batch_id: batchId });
    return d ? this.fromDoc(d) : null;
  }

  async oldestReserved(): Promise<Date | null> {
    const d = await this.batches.findOne(
      { state: "reserved" },
      { sort: { created_at: 1 }, projection: { _id: 0, created_at: 1 } },
    );
    return d ? d.created_at : null;
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
    if (b.totalChargeCents !== undefined) doc.total_charge_cents = b.totalChargeCents;
    if (b.reissueOf !== undefined) doc.reissue_of = b.reissueOf;
    if (b.supersededBy !== undefined) doc.superseded_by = b.supersededBy;
    if (b.supersededAt !== undefined) doc.superseded_at = b.supersededAt;
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
      totalChargeCents: d.total_charge_cents,
      createdAt: d.created_at,
      writtenAt: d.written_at,
      reissueOf: d.reissue_of,
      supersededBy: d.superseded_by,
      supersededAt: d.superseded_at,
    };
  }
}

/**
 * Control numbers per edi_counters round trip. A restart leaves at most this many minus one
 * unused per sender (a gap; the 837 guide allows gaps, never reuse).
 */
export const CONTROL_NUMBER_BLOCK = 16;

function historyRows(batch: BatchRecord): HistoryDoc[] {
  return batch.claims.map((c) => ({
    claim_number: c.claim_number,
    version: c.version,
    batch_id: batch.batchId,
    stream_name: batch.streamName,
    group_id: batch.groupId,
    client_id: batch.clientId,
    reserved_at: batch.createdAt,
  }));
}

/** edi_counters ids of the interchange sender keys (`isa:` ids are the legacy raw-sender ones). */
export const COUNTER_PREFIX = "isa2:";

/** edi_counters ids of the streams' `reservedThrough` marks (one per stream name). */
export const STREAM_MARK_PREFIX = "reserved-through:";

/** When the server tells no cluster time: every event may be a repeat (the mark's safe side). */
const MAX_TIMESTAMP = new Timestamp({ t: 0xffffffff, i: 0xffffffff });

function newestEventPerStream(batches: readonly BatchRecord[]): Map<string, ClusterTime> {
  const newest = new Map<string, ClusterTime>();
  for (const b of batches)
    if (b.eventsThrough)
      newest.set(b.streamName, laterOf(newest.get(b.streamName), b.eventsThrough) as ClusterTime);
  return newest;
}

function isZero(ts: Timestamp): boolean {
  return ts.t === 0 && ts.i === 0;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function refKey(r: ClaimVersionRef): string {
  return `${r.claim_number}\u0000${r.version}`;
}
