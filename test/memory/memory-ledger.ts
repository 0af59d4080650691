// The ledger twin: edi_batches, processing_history and edi_counters in memory, with the same
// uniqueness rules as the MongoDB indexes (batch_id, {sender_id, isa_control_number},
// {claim_number, version}) and an all-or-nothing `reserve`, as the transaction gives.
import type { ClaimVersionRef } from "../../src/domain/joined-claim.js";
import { type ClusterTime, compareClusterTime } from "../../src/ports/change-feed.js";
import {
  assertSameClaims,
  BatchConflictError,
  BatchNotFoundError,
  BatchNotReissuableError,
  type BatchRecord,
  DuplicateClaimsError,
  type HistoryLookup,
  type Ledger,
  MARK_LEAD_SECONDS,
  type ReserveConflict,
  reserveEach,
} from "../../src/ports/ledger.js";

export interface HistoryRow {
  readonly claim_number: string;
  readonly version: number;
  readonly batchId: string;
  readonly reservedAt: Date;
}

const keyOf = (r: ClaimVersionRef) => `${r.claim_number}\u0000${r.version}`;

function sameClaims(a: readonly ClaimVersionRef[], b: readonly ClaimVersionRef[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a.map(keyOf));
  return b.every((r) => set.has(keyOf(r)));
}

export class MemoryLedger implements Ledger {
  private readonly batches = new Map<string, BatchRecord>();
  private readonly historyRows = new Map<string, HistoryRow>();
  private readonly counters = new Map<string, number>();
  /** `${sender}\0${isa13}` of every batch, the unique index that keeps control numbers unique. */
  private readonly controlNumbers = new Set<string>();
  /** Per stream, `reservedThrough`: raised before a reservation, as the MongoDB ledger does. */
  private readonly marks = new Map<string, ClusterTime>();

  constructor(private readonly markLeadSeconds = MARK_LEAD_SECONDS) {}

  async findEmitted(refs: readonly ClaimVersionRef[]): Promise<ClaimVersionRef[]> {
    return refs
      .filter((r) => {
        const row = this.historyRows.get(keyOf(r));
        return row !== undefined && this.batches.get(row.batchId)?.state === "written";
      })
      .map((r) => ({ claim_number: r.claim_number, version: r.version }));
  }

  async lookupHistory(refs: readonly ClaimVersionRef[]): Promise<HistoryLookup> {
    const emitted = await this.findEmitted(refs);
    const newest = new Map<string, number>();
    for (const row of this.historyRows.values()) {
      const v = newest.get(row.claim_number);
      if (v === undefined || row.version > v) newest.set(row.claim_number, row.version);
    }
    const superseded = refs
      .filter((r) => (newest.get(r.claim_number) ?? Number.NEGATIVE_INFINITY) > r.version)
      .map((r) => ({ claim_number: r.claim_number, version: r.version }));
    return { emitted, superseded };
  }

  async nextControlNumber(senderId: string): Promise<number> {
    const n = (this.counters.get(senderId) ?? 0) + 1;
    this.counters.set(senderId, n);
    return n;
  }

  async reserve(batch: BatchRecord): Promise<void> {
    if (new Set(batch.claims.map(keyOf)).size !== batch.claims.length)
      throw new BatchConflictError(batch.batchId, "repeated_claim");
    // Before anything else, as the MongoDB ledger's separate write: a refused reservation may
    // have raised the mark too (ahead is safe; behind never happens).
    const mark = this.marks.get(batch.streamName);
    if (batch.eventsThrough && (!mark || compareClusterTime(batch.eventsThrough, mark) > 0))
      this.marks.set(batch.streamName, {
        t: batch.eventsThrough.t + this.markLeadSeconds,
        i: batch.eventsThrough.i,
      });
    const existing = this.batches.get(batch.batchId);
    if (existing) {
      // A retry after a lost reply: the same batch is already in; anything else is a conflict.
      // (Same rule as the MongoDB ledger: the claim list decides.)
      const same = sameClaims(existing.claims, batch.claims);
      if (same) return;
      throw new BatchConflictError(batch.batchId, "batch_id");
    }
    const duplicates = batch.claims.filter((c) => this.historyRows.has(keyOf(c)));
    if (duplicates.length > 0)
      throw new DuplicateClaimsError(
        duplicates.map((d) => ({ claim_number: d.claim_number, version: d.version })),
      );
    const control = `${batch.senderId}\u0000${batch.isaControlNumber}`;
    if (this.controlNumbers.has(control)) throw new BatchConflictError(batch.batchId, "control_number");
    // Nothing can fail past this point: the batch and its rows land together.
    this.batches.set(batch.batchId, structuredClone({ ...batch, state: "reserved" as const }));
    this.controlNumbers.add(control);
    for (const c of batch.claims) {
      this.historyRows.set(keyOf(c), {
        claim_number: c.claim_number,
        version: c.version,
        batchId: batch.batchId,
        reservedAt: batch.createdAt,
      });
    }
  }

  /** Each batch is all-or-nothing here, and a group is the same as its batches one at a time. */
  async reserveMany(batches: readonly BatchRecord[]): Promise<(ReserveConflict | undefined)[]> {
    return reserveEach(this, batches);
  }

  async reservedThrough(streamName: string): Promise<ClusterTime | null> {
    const mark = this.marks.get(streamName);
    return mark ? { ...mark } : null;
  }

  async markWrittenMany(batchIds: readonly string[], at: Date): Promise<void> {
    for (const id of batchIds) if (!this.batches.has(id)) throw new BatchNotFoundError(id);
    for (const id of batchIds) await this.markWritten(id, at);
  }

  async markWritten(batchId: string, at: Date): Promise<void> {
    const batch = this.batches.get(batchId);
    if (!batch) throw new BatchNotFoundError(batchId);
    if (batch.state === "written") return;
    // History rows are never updated: their batch being written is what makes them emitted.
    this.batches.set(batchId, { ...batch, state: "written", writtenAt: new Date(at) });
  }

  async reissue(oldBatchId: string, replacement: BatchRecord, at: Date): Promise<void> {
    const old = this.batches.get(oldBatchId);
    if (!old) throw new BatchNotFoundError(oldBatchId);
    if (old.state === "superseded") {
      if (old.supersededBy === replacement.batchId) return;
      throw new BatchNotReissuableError(oldBatchId, "superseded", old.supersededBy);
    }
    if (old.state !== "written") throw new BatchNotReissuableError(oldBatchId, "reserved");
    assertSameClaims(oldBatchId, old.claims, replacement.claims);
    if (this.batches.has(replacement.batchId)) throw new BatchConflictError(replacement.batchId, "batch_id");
    const control = `${replacement.senderId}\u0000${replacement.isaControlNumber}`;
    if (this.controlNumbers.has(control)) throw new BatchConflictError(replacement.batchId, "control_number");
    // Nothing can fail past this point: all three changes land together, as in the transaction.
    this.batches.set(oldBatchId, {
      ...old,
      state: "superseded",
      supersededBy: replacement.batchId,
      supersededAt: new Date(at),
    });
    this.batches.set(
      replacement.batchId,
      structuredClone({ ...replacement, state: "reserved" as const, reissueOf: oldBatchId }),
    );
    this.controlNumbers.add(control);
    for (const [k, row] of this.historyRows)
      if (row.batchId === oldBatchId) this.historyRows.set(k, { ...row, batchId: replacement.batchId });
  }

  async findReserved(streamName?: string, createdBefore?: Date): Promise<BatchRecord[]> {
    return [...this.batches.values()]
      .filter(
        (b) =>
          b.state === "reserved" &&
          (streamName === undefined || b.streamName === streamName) &&
          (createdBefore === undefined || b.createdAt.getTime() < createdBefore.getTime()),
      )
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.batchId < b.batchId ? -1 : 1))
      .map((b) => structuredClone(b));
  }

  async findBatch(batchId: string): Promise<BatchRecord | null> {
    const b = this.batches.get(batchId);
    return b ? structuredClone(b) : null;
  }

  async oldestReserved(): Promise<Date | null> {
    let oldest: Date | null = null;
    for (const b of this.batches.values())
      if (b.state === "reserved" && (oldest === null || b.createdAt < oldest)) oldest = new Date(b.createdAt);
    return oldest;
  }

  async countReserved(): Promise<number> {
    let n = 0;
    for (const b of this.batches.values()) if (b.state === "reserved") n++;
    return n;
  }

  // ---- inspection and seeding for tests ----

  /** Every batch, in creation order (copies). */
  allBatches(): BatchRecord[] {
    return [...this.batches.values()]
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .map((b) => structuredClone(b));
  }

  /** History rows whose batch is written: the emitted claim versions (copies). */
  emittedRows(): HistoryRow[] {
    return this.history().filter((r) => this.batches.get(r.batchId)?.state === "written");
  }

  /** Every processing_history row (copies). */
  history(): HistoryRow[] {
    return [...this.historyRows.values()].map((r) => structuredClone(r));
  }

  counter(senderId: string): number {
    return this.counters.get(senderId) ?? 0;
  }

  /** Sets a sender's counter, as an operator editing edi_counters by hand would. */
  setCounter(senderId: string, value: number): void {
    this.counters.set(senderId, value);
  }
}
