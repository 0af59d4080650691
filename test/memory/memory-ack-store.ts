// The acknowledgement-store twin: `acknowledgements` rows in memory, reading what we sent from
// the ledger twin (batches and processing_history) and writing back to the claim_detail twin,
// with MongoAckStore's rules: rows keyed by id with the first write kept, the file row last, a
// version emitted exactly when its batch is written, write-back only onto the version answered.

import { storedShape } from "../../src/mongo/mongo-ack-store.js";
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
} from "../../src/ports/acknowledgements.js";
import type { MemoryClaimDetail } from "./claim-detail.js";
import type { MemoryLedger } from "./memory-ledger.js";

const byNewest = (a: AckRow, b: AckRow) =>
  b.recordedAt.getTime() - a.recordedAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

export class MemoryAckStore implements AckStore {
  private readonly rows = new Map<string, AckRow>();
  private readonly files = new Map<string, AckFileRow>();

  constructor(
    private readonly ledger: MemoryLedger,
    private readonly claims: MemoryClaimDetail,
  ) {}

  async findFile(sha256: string): Promise<AckFileRow | null> {
    const f = this.files.get(sha256);
    return f ? structuredClone(f) : null;
  }

  async batchesByControlNumber(field: "isa" | "gs", controlNumber: number): Promise<SentBatch[]> {
    return this.ledger
      .allBatches()
      .filter((b) => (field === "isa" ? b.isaControlNumber : b.gsControlNumber) === controlNumber)
      .map((b) => ({
        batchId: b.batchId,
        senderId: b.senderId,
        isaControlNumber: b.isaControlNumber,
        gsControlNumber: b.gsControlNumber,
        state: b.state,
        writtenAt: b.writtenAt,
      }));
  }

  async emittedVersions(claimNumbers: readonly string[]): Promise<Map<string, EmittedVersion[]>> {
    const wanted = new Set(claimNumbers);
    const written = new Set(
      this.ledger
        .allBatches()
        .filter((b) => b.state === "written")
        .map((b) => b.batchId),
    );
    const out = new Map<string, EmittedVersion[]>();
    for (const h of this.ledger.history()) {
      if (!wanted.has(h.claim_number) || !written.has(h.batchId)) continue;
      const list = out.get(h.claim_number) ?? [];
      list.push({ claimNumber: h.claim_number, version: h.version, batchId: h.batchId });
      out.set(h.claim_number, list);
    }
    for (const list of out.values()) list.sort((a, b) => b.version - a.version);
    return out;
  }

  async record(rows: readonly AckRow[], file: AckFileRow): Promise<void> {
    for (const r of rows) if (!this.rows.has(r.id)) this.rows.set(r.id, structuredClone(r));
    if (!this.files.has(file.sha256)) this.files.set(file.sha256, structuredClone(file));
  }

  async list(filter: AckListFilter): Promise<AckRow[]> {
    return [...this.rows.values()]
      .filter((r) => !filter.rejectedOnly || r.result === "rejected")
      .filter((r) => filter.since === undefined || r.recordedAt.getTime() >= filter.since.getTime())
      .sort(
        (a, b) => b.recordedAt.getTime() - a.recordedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      )
      .slice(0, filter.limit)
      .map((r) => structuredClone(r));
  }

  async forClaim(claimNumber: string): Promise<ClaimAckRow[]> {
    return [...this.rows.values()]
      .filter((r): r is ClaimAckRow => r.row === "claim" && r.claimNumber === claimNumber)
      .sort(byNewest)
      .map((r) => structuredClone(r));
  }

  async forBatch(batchId: string): Promise<BatchAckRow[]> {
    return [...this.rows.values()]
      .filter((r): r is BatchAckRow => r.row === "batch" && r.batchId === batchId)
      .sort(byNewest)
      .map((r) => structuredClone(r));
  }

  async countAwaiting999(before: Date, notBefore: Date): Promise<number> {
    const answered = new Set(
      [...this.rows.values()]
        .filter((r) => r.row === "batch" && r.kind === "999")
        .map((r) => (r as BatchAckRow).batchId),
    );
    return this.ledger
      .allBatches()
      .filter(
        (b) =>
          b.state === "written" &&
          b.createdAt.getTime() >= notBefore.getTime() &&
          b.createdAt.getTime() < before.getTime() &&
          !answered.has(b.batchId),
      ).length;
  }

  async payerClaimControlNumber(claimNumber: string): Promise<string | undefined> {
    const [best] = [...this.rows.values()]
      .filter(
        (r): r is ClaimAckRow =>
          r.row === "claim" &&
          r.claimNumber === claimNumber &&
          r.result === "accepted" &&
          typeof r.payerClaimControlNumber === "string",
      )
      .sort((a, b) => b.version - a.version || b.recordedAt.getTime() - a.recordedAt.getTime());
    return best?.payerClaimControlNumber;
  }

  async writeBack(entries: readonly { claimNumber: string; edi: ClaimWriteBack }[]): Promise<number> {
    let matched = 0;
    for (const { claimNumber, edi } of entries) {
      const doc = this.claims.get(claimNumber);
      if (doc === null) continue;
      // Upstream may leave `version` out on version 1 (SPEC section 2: default 1).
      const version = doc.version === undefined ? 1 : doc.version;
      if (version !== edi.version) continue;
      // `edi` is stored as MongoAckStore stores it.
      this.claims.update(claimNumber, { edi: storedShape(edi) });
      matched++;
    }
    return matched;
  }

  async summary(): Promise<AckSummary> {
    const byKind = new Map<string, { kind: AckRow["kind"]; result: AckRow["result"]; count: number }>();
    const byCategory = new Map<string, number>();
    let unmatched = 0;
    for (const r of this.rows.values()) {
      if (r.row === "unmatched") {
        unmatched++;
        continue;
      }
      const key = `${r.kind}\u0000${r.result}`;
      const cur = byKind.get(key) ?? { kind: r.kind, result: r.result, count: 0 };
      byKind.set(key, { ...cur, count: cur.count + 1 });
      if (r.row === "claim" && r.result === "rejected")
        for (const s of r.statusCodes) byCategory.set(s.category, (byCategory.get(s.category) ?? 0) + 1);
    }
    return {
      byKindResult: [...byKind.values()],
      rejectedByCategory: [...byCategory].map(([category, count]) => ({ category, count })),
      unmatched,
    };
  }
}
