// Read-only questions operators ask of the ledger (`claims show|find`, `batches list|show`):
// a claim's history rows and the batches they name, without the stored file content (nothing
// here decrypts, so these commands work without the content keys and never touch PHI).
// Ledger v2 semantics: a history row names its batch and is never updated; whether its claim
// version was emitted is read from that batch's state (`written`), not from the row.
import type { ClaimVersionRef } from "../domain/joined-claim.js";
import type { BatchState } from "./ledger.js";

/** One processing_history row: this claim version was put in this batch. */
export interface HistoryRow {
  readonly claimNumber: string;
  readonly version: number;
  readonly batchId: string;
  readonly streamName: string;
  readonly groupId: string;
  readonly clientId: string;
  readonly reservedAt: Date;
}

/** An edi_batches row without its content. */
export interface BatchSummary {
  readonly batchId: string;
  readonly state: BatchState;
  readonly streamName: string;
  readonly groupId: string;
  readonly clientId: string;
  readonly senderId: string;
  readonly isaControlNumber: number;
  readonly gsControlNumber: number;
  /** Relative to the output directory. */
  readonly path: string;
  readonly sha256: string;
  readonly claimCount: number;
  readonly claims: readonly ClaimVersionRef[];
  readonly createdAt: Date;
  readonly writtenAt?: Date | undefined;
  /** True once retention removed the stored content (the row and its numbers remain). */
  readonly contentPurged: boolean;
  /** A `batches reissue` batch: the batch it sent again. */
  readonly reissueOf?: string | undefined;
  /** A reissued (superseded) batch: the batch that carries its claims now. */
  readonly supersededBy?: string | undefined;
  readonly supersededAt?: Date | undefined;
}

export interface BatchListFilter {
  /** created_at >= since */
  readonly since?: Date | undefined;
  /** created_at < until */
  readonly until?: Date | undefined;
  readonly groupId?: string | undefined;
  readonly clientId?: string | undefined;
  readonly state?: BatchState | undefined;
  readonly senderId?: string | undefined;
  readonly limit: number;
}

export interface LedgerReader {
  /** Every history row of one claim, lowest version first. */
  historyOf(claimNumber: string): Promise<HistoryRow[]>;
  /** The batches with these ids (missing ids are simply absent). */
  batchesByIds(batchIds: readonly string[]): Promise<BatchSummary[]>;
  /** Batches carrying this ISA13, any sender. */
  batchesByControlNumber(isaControlNumber: number): Promise<BatchSummary[]>;
  /** Newest first. */
  listBatches(filter: BatchListFilter): Promise<BatchSummary[]>;
}
