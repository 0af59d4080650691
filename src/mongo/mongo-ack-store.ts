// AckStore over `acknowledgements` (rows) and, read-only, `edi_batches` / `processing_history`
// (what we sent). Row ids are deterministic (`<sha256>:<segment>`), so recording a file twice,
// or again after a crash half-way, writes nothing new; the file row goes last and marks it done.
import type { AnyBulkWriteOperation, Db, Document } from "mongodb";
import type {
  AckFileRow,
  AckListFilter,
  AckRow,
  AckStore,
  AckSummary,
  BatchAckRow,
  ClaimAckRow,
  ClaimWriteBack,
  EmittedVersion,
  SentBatch,
} from "../ports/acknowledgements.js";
import { COLLECTIONS } from "./collections.js";

const FILE_PREFIX = "file:";
const EMITTED_CHUNK = 1000;

/** Stored field names are snake_case, like every claimflow collection. */
function snake(key: string): string {
  return key.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);
}

function camel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function convert(value: unknown, rename: (k: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => convert(v, rename));
  if (value === null || typeof value !== "object" || value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[rename(k)] = convert(v, rename);
  return out;
}

/** A value as claimflow stores it: every key snake_case, undefined fields left out. */
export function storedShape(value: unknown): unknown {
  return convert(value, snake);
}

function toDoc(row: AckRow): Document {
  const { id, ...rest } = row;
  return { _id: id, ...(convert(rest, snake) as Document) };
}

function fromDoc<T>(doc: Document): T {
  const { _id, ...rest } = doc;
  return { id: _id, ...(convert(rest, camel) as object) } as T;
}

export class MongoAckStore implements AckStore {
  constructor(private readonly db: Db) {}

  private get col() {
    return this.db.collection<Document & { _id: string }>(COLLECTIONS.acknowledgements);
  }

  async findFile(sha256: string): Promise<AckFileRow | null> {
    const d = await this.col.findOne({ _id: FILE_PREFIX + sha256 });
    if (!d) return null;
    const { id: _id, ...rest } = fromDoc<AckFileRow & { id: string; row: string }>(d);
    const { row: _row, ...file } = rest;
    return file;
  }

  async batchesByControlNumber(field: "isa" | "gs", controlNumber: number): Promise<SentBatch[]> {
    const key = field === "isa" ? "isa_control_number" : "gs_control_number";
    const docs = await this.db
      .collection(COLLECTIONS.batches)
      .find(
        { [key]: controlNumber },
        {
          projection: {
            _id: 0,
            batch_id: 1,
            sender_id: 1,
            isa_control_number: 1,
            gs_control_number: 1,
            state: 1,
            written_at: 1,
          },
        },
      )
      .toArray();
    return docs.map((d) => ({
      batchId: d.batch_id as string,
      senderId: d.sender_id as string,
      isaControlNumber: d.isa_control_number as number,
      gsControlNumber: d.gs_control_number as number,
      state: d.state as string,
      writtenAt: d.written_at as Date | undefined,
    }));
  }

  async emittedVersions(claimNumbers: readonly string[]): Promise<Map<string, EmittedVersion[]>> {
    const out = new Map<string, EmittedVersion[]>();
    const unique = [...new Set(claimNumbers)];
    // Chunks keep each `$in` (and its reply) small whatever the size of the 277CA.
    for (let i = 0; i < unique.length; i += EMITTED_CHUNK) {
      const chunk = unique.slice(i, i + EMITTED_CHUNK);
      const rows = await this.db
        .collection(COLLECTIONS.history)
        .find(
          { claim_number: { $in: chunk } },
          { projection: { _id: 0, claim_number: 1, version: 1, batch_id: 1 } },
        )
        .toArray();
      if (rows.length === 0) continue;
      // Ledger v2: a version is emitted exactly when the batch its history row names is written.
      const written = await this.db
        .collection(COLLECTIONS.batches)
        .find(
          { batch_id: { $in: [...new Set(rows.map((r) => r.batch_id as string))] }, state: "written" },
          { projection: { _id: 0, batch_id: 1 } },
        )
        .toArray();
      const ok = new Set(written.map((b) => b.batch_id as string));
      for (const r of rows) {
        if (!ok.has(r.batch_id as string)) continue;
        const n = r.claim_number as string;
        const list = out.get(n) ?? [];
        list.push({ claimNumber: n, version: r.version as number, batchId: r.batch_id as string });
        out.set(n, list);
      }
    }
    for (const list of out.values()) list.sort((a, b) => b.version - a.version);
    return out;
  }

  async record(rows: readonly AckRow[], file: AckFileRow): Promise<void> {
    if (rows.length > 0) {
      const ops: AnyBulkWriteOperation<Document & { _id: string }>[] = rows.map((r) => {
        const { _id, ...doc } = toDoc(r);
        return { updateOne: { filter: { _id: _id as string }, update: { $setOnInsert: doc }, upsert: true } };
      });
      await this.col.bulkWrite(ops, { ordered: false });
    }
    const { sha256, ...rest } = file;
    await this.col.updateOne(
      { _id: FILE_PREFIX + sha256 },
      { $setOnInsert: { row: "file", sha256, ...(convert(rest, snake) as Document) } },
      { upsert: true },
    );
  }

  async list(filter: AckListFilter): Promise<AckRow[]> {
    const q: Document = { row: { $in: ["batch", "claim", "unmatched"] } };
    if (filter.rejectedOnly) q.result = "rejected";
    if (filter.since) q.recorded_at = { $gte: filter.since };
    const docs = await this.col.find(q, { sort: { recorded_at: -1, _id: 1 }, limit: filter.limit }).toArray();
    return docs.map((d) => fromDoc<AckRow>(d));
  }

  async forClaim(claimNumber: string): Promise<ClaimAckRow[]> {
    const docs = await this.col
      .find({ row: "claim", claim_number: claimNumber }, { sort: { recorded_at: -1, _id: -1 } })
      .toArray();
    return docs.map((d) => fromDoc<ClaimAckRow>(d));
  }

  async forBatch(batchId: string): Promise<BatchAckRow[]> {
    const docs = await this.col
      .find({ row: "batch", batch_id: batchId }, { sort: { recorded_at: -1, _id: -1 } })
      .toArray();
    return docs.map((d) => fromDoc<BatchAckRow>(d));
  }

  async countAwaiting999(before: Date, notBefore: Date): Promise<number> {
    const [res] = await this.db
      .collection(COLLECTIONS.batches)
      .aggregate<{ n: number }>([
        // created_at, not written_at: state_1_created_at_1 serves it (a file is written seconds
        // after its batch is created).
        { $match: { state: "written", created_at: { $gte: notBefore, $lt: before } } },
        {
          $lookup: {
            from: COLLECTIONS.acknowledgements,
            let: { b: "$batch_id" },
            pipeline: [
              { $match: { $expr: { $and: [{ $eq: ["$batch_id", "$$b"] }, { $eq: ["$kind", "999"] }] } } },
              { $limit: 1 },
              { $project: { _id: 1 } },
            ],
            as: "acks",
          },
        },
        { $match: { acks: { $size: 0 } } },
        { $count: "n" },
      ])
      .toArray();
    return res?.n ?? 0;
  }

  async payerClaimControlNumber(claimNumber: string): Promise<string | undefined> {
    const d = await this.col.findOne(
      {
        row: "claim",
        claim_number: claimNumber,
        result: "accepted",
        payer_claim_control_number: { $type: "string" },
      },
      { sort: { version: -1, recorded_at: -1 }, projection: { payer_claim_control_number: 1 } },
    );
    return (d?.payer_claim_control_number as string | undefined) ?? undefined;
  }

  async writeBack(entries: readonly { claimNumber: string; edi: ClaimWriteBack }[]): Promise<number> {
    if (entries.length === 0) return 0;
    const res = await this.db.collection(COLLECTIONS.claims).bulkWrite(
      entries.map(({ claimNumber, edi }) => ({
        updateOne: {
          // Upstream may leave `version` out on version 1 (SPEC section 2: default 1).
          filter:
            edi.version === 1
              ? { claim_number: claimNumber, $or: [{ version: 1 }, { version: { $exists: false } }] }
              : { claim_number: claimNumber, version: edi.version },
          update: { $set: { edi: storedShape(edi) } },
        },
      })),
      { ordered: false },
    );
    return res.matchedCount;
  }

  async summary(): Promise<AckSummary> {
    const [byKind, byCategory, unmatched] = await Promise.all([
      this.col
        .aggregate<{ _id: { kind: string; result: string }; n: number }>([
          { $match: { row: { $in: ["batch", "claim"] } } },
          { $group: { _id: { kind: "$kind", result: "$result" }, n: { $sum: 1 } } },
        ])
        .toArray(),
      this.col
        .aggregate<{ _id: string; n: number }>([
          { $match: { row: "claim", result: "rejected" } },
          { $unwind: "$status_codes" },
          { $group: { _id: "$status_codes.category", n: { $sum: 1 } } },
        ])
        .toArray(),
      this.col.countDocuments({ row: "unmatched" }),
    ]);
    return {
      byKindResult: byKind.map((r) => ({
        kind: r._id.kind as AckSummary["byKindResult"][number]["kind"],
        result: r._id.result as AckSummary["byKindResult"][number]["result"],
        count: r.n,
      })),
      rejectedByCategory: byCategory.map((r) => ({ category: r._id, count: r.n })),
      unmatched,
    };
  }
}
