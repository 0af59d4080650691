// The ledger makes "exactly one file per claim version" hold across crashes: `edi_batches`
// (one row per file, with its content), `processing_history` (unique claim_number+version)
// and `edi_counters` (ISA13/GS06, atomic, never reused).
import type { ClaimVersionRef } from "../domain/joined-claim.js";

export type BatchState = "reserved" | "written";

export interface BatchRecord {
  readonly batchId: string;
  readonly state: BatchState;
  readonly streamName: string;
  readonly groupId: string;
  readonly clientId: string;
  readonly senderId: string;
  readonly isaControlNumber: number;
  readonly gsControlNumber: number;
  /** Path of the file relative to the output directory. */
  readonly path: string;
  /** The 837 text; null once removed by retention. */
  readonly content: string | null;
  /** sha256 (hex) of the content. */
  readonly sha256: string;
  readonly claims: readonly ClaimVersionRef[];
  readonly claimCount: number;
  readonly createdAt: Date;
  readonly writtenAt?: Date | undefined;
}

/** Thrown by `reserve` when some claim versions are already in processing_history. */
export class DuplicateClaimsError extends Error {
  readonly code = "DUPLICATE_CLAIMS";
  constructor(readonly duplicates: readonly ClaimVersionRef[]) {
    super(`${duplicates.length} claim version(s) already emitted`);
    this.name = "DuplicateClaimsError";
  }
}

export interface Ledger {
  /** The subset of refs already in processing_history. */
  findEmitted(refs: readonly ClaimVersionRef[]): Promise<ClaimVersionRef[]>;
  /** Next control number for a sender (atomic `$inc`; gaps allowed, never reused). */
  nextControlNumber(senderId: string): Promise<number>;
  /**
   * In one transaction: insert the batch (state `reserved`) and one processing_history row per
   * claim. Throws DuplicateClaimsError (and inserts nothing) if any claim version exists.
   */
  reserve(batch: BatchRecord): Promise<void>;
  /** Batch → `written`, its history rows → `emitted`. Idempotent. */
  markWritten(batchId: string, at: Date): Promise<void>;
  /** Batches still `reserved` (crash between reserve and write), oldest first. */
  findReserved(streamName?: string): Promise<BatchRecord[]>;
  findBatch(batchId: string): Promise<BatchRecord | null>;
  countReserved(): Promise<number>;
}
