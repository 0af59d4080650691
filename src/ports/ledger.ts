// The ledger makes "exactly one file per claim version" hold across crashes: `edi_batches`
// (one row per file, with its content), `processing_history` (unique claim_number+version)
// and `edi_counters` (ISA13/GS06, atomic, never reused).
import type { ClaimVersionRef } from "../domain/joined-claim.js";
import type { ClusterTime } from "./change-feed.js";
import type { ContentUnreadableError } from "./content-codec.js";

/**
 * `reserved` → `written`; a written batch becomes `superseded` when an operator reissues it
 * (`batches reissue`): its claims then belong to the reissued batch, which names it.
 */
export type BatchState = "reserved" | "written" | "superseded";

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
  /** The 837 text; null once removed by retention, or when it cannot be read (contentError). */
  readonly content: string | null;
  /** When retention removed the content (EDI_CONTENT_RETENTION_DAYS). */
  readonly contentPurgedAt?: Date | undefined;
  /** Set instead of content when the stored content cannot be decrypted (key missing, tampered). */
  readonly contentError?: ContentUnreadableError | undefined;
  /** sha256 (hex) of the content. */
  readonly sha256: string;
  readonly claims: readonly ClaimVersionRef[];
  readonly claimCount: number;
  /**
   * Sum of the claims' CLM02 in cents, recorded with the batch for `report daily` (the content is
   * sealed and later purged). Absent on batches written before it was recorded.
   */
  readonly totalChargeCents?: number | undefined;
  readonly createdAt: Date;
  readonly writtenAt?: Date | undefined;
  /**
   * The cluster time of the newest change event among the batch's window (absent when none came
   * from the change stream). Not stored on the batch row: before the batch is reserved, its
   * stream's `reservedThrough` mark is raised to cover it.
   */
  readonly eventsThrough?: ClusterTime | undefined;
  /** Set on a batch created by `batches reissue`: the batch whose claims it carries again. */
  readonly reissueOf?: string | undefined;
  /** Set when this batch was reissued: the batch that now carries its claims. */
  readonly supersededBy?: string | undefined;
  readonly supersededAt?: Date | undefined;
}

/**
 * Cluster-time seconds a stream's mark is raised ahead of the batch that needs it: one mark
 * write per 10 s of events (at 2,000 claims/s, one per ~20,000 claims); a restart looks up at
 * most 10 s of events past the last reservation needlessly.
 */
export const MARK_LEAD_SECONDS = 10;

/** Thrown by `reserve` when some claim versions are already in processing_history. */
export class DuplicateClaimsError extends Error {
  readonly code = "DUPLICATE_CLAIMS";
  constructor(readonly duplicates: readonly ClaimVersionRef[]) {
    super(`${duplicates.length} claim version(s) already emitted`);
    this.name = "DuplicateClaimsError";
  }
}

/**
 * Thrown by `reserve` when the batch itself conflicts: its batch_id exists with other claims
 * (a retry of the same batch is accepted silently), its (sender, ISA13) was used before
 * (edi_counters was lowered by hand: never reuse a control number), or it lists one claim
 * version twice. Retrying cannot help; a person must look.
 */
export class BatchConflictError extends Error {
  readonly code = "BATCH_CONFLICT";
  constructor(
    readonly batchId: string,
    readonly conflict: "batch_id" | "control_number" | "repeated_claim",
  ) {
    super(
      conflict === "batch_id"
        ? `batch ${batchId} already exists with different claims`
        : conflict === "control_number"
          ? `batch ${batchId}: its ISA control number was already used by its sender; check edi_counters`
          : `batch ${batchId} lists a claim version more than once`,
    );
    this.name = "BatchConflictError";
  }
}

/** Thrown by `markWritten` for a batch id the ledger does not know. */
export class BatchNotFoundError extends Error {
  readonly code = "BATCH_NOT_FOUND";
  constructor(readonly batchId: string) {
    super(`batch ${batchId} is not in edi_batches`);
    this.name = "BatchNotFoundError";
  }
}

/**
 * Thrown by `reissue` when the old batch cannot be reissued: it is still `reserved` (its file
 * may not exist yet; the processor finishes it), or it was already reissued as another batch.
 */
export class BatchNotReissuableError extends Error {
  readonly code = "BATCH_NOT_REISSUABLE";
  constructor(
    readonly batchId: string,
    readonly state: "reserved" | "superseded",
    readonly supersededBy?: string,
  ) {
    super(
      state === "reserved"
        ? `batch ${batchId} is still reserved (its file may not be written yet); the processor finishes it, reissue it after`
        : `batch ${batchId} was already reissued as ${supersededBy ?? "another batch"}; reissue that one instead`,
    );
    this.name = "BatchNotReissuableError";
  }
}

/** What processing_history says about some claim versions (see `Ledger.lookupHistory`). */
export interface HistoryLookup {
  /** In a `written` batch: emitted, a file exists. */
  readonly emitted: ClaimVersionRef[];
  /** A higher version of the same claim is in processing_history (reserved or written). */
  readonly superseded: ClaimVersionRef[];
}

/** What stops one batch of a group from being reserved (see `Ledger.reserveMany`). */
export type ReserveConflict = DuplicateClaimsError | BatchConflictError;

/** `reserveMany` as one `reserve` per batch: the twin's way, and MongoDB's after a conflict. */
export async function reserveEach(
  ledger: Pick<Ledger, "reserve">,
  batches: readonly BatchRecord[],
): Promise<(ReserveConflict | undefined)[]> {
  const out: (ReserveConflict | undefined)[] = [];
  for (const b of batches) {
    try {
      await ledger.reserve(b);
      out.push(undefined);
    } catch (err) {
      if (err instanceof DuplicateClaimsError || err instanceof BatchConflictError) out.push(err);
      else throw err;
    }
  }
  return out;
}

/** A reissue carries exactly the old batch's claim versions: anything else is a caller's bug. */
export function assertSameClaims(
  oldBatchId: string,
  old: readonly ClaimVersionRef[],
  replacement: readonly ClaimVersionRef[],
): void {
  const key = (r: ClaimVersionRef) => `${r.claim_number}\u0000${r.version}`;
  const want = new Set(old.map(key));
  if (replacement.length !== old.length || !replacement.every((r) => want.has(key(r)))) {
    throw new Error(`a reissue of batch ${oldBatchId} must carry exactly its ${old.length} claim version(s)`);
  }
}

export interface Ledger {
  /**
   * The subset of refs whose batch is `written` (emitted: their file exists). A version only
   * reserved (its batch not yet written) is not in it: billing it now could bill a claim whose
   * file never comes.
   */
  findEmitted(refs: readonly ClaimVersionRef[]): Promise<ClaimVersionRef[]>;
  /** `findEmitted`, plus which refs a newer version of the same claim supersedes; one read. */
  lookupHistory(refs: readonly ClaimVersionRef[]): Promise<HistoryLookup>;
  /**
   * Next control number for an interchange sender key (`interchangeSenderKey`: ISA05 + ISA06
   * as rendered; atomic `$inc`; gaps allowed, never reused).
   */
  nextControlNumber(senderKey: string): Promise<number>;
  /**
   * In one transaction: insert the batch (state `reserved`) and one processing_history row per
   * claim; first, raise the stream's `reservedThrough` to cover the batch's `eventsThrough` (even
   * if the reservation is then refused). Throws DuplicateClaimsError (and inserts nothing) if any
   * claim version exists,
   * listing exactly those. Reserving the same batch again (a retry after a lost reply) is a
   * no-op; other conflicts throw BatchConflictError.
   */
  reserve(batch: BatchRecord): Promise<void>;
  /**
   * Group commit of `reserve`: every batch with its history rows in one transaction when none
   * conflicts. Returns, per batch in order, undefined (reserved) or the typed conflict `reserve`
   * would have thrown for it alone (the others are reserved); other errors throw (then nothing
   * is reserved, or, after a lost reply, everything, which a retry sees as already reserved).
   */
  reserveMany(batches: readonly BatchRecord[]): Promise<(ReserveConflict | undefined)[]>;
  /**
   * A cluster time at or above every `eventsThrough` a batch of this stream was (or was about to
   * be) reserved with; raised before each reservation that needs it, to `eventsThrough` plus
   * MARK_LEAD_SECONDS (so most reservations write nothing), never lowered; null when none. A
   * change event newer than it was never reserved by this stream, so it cannot be a
   * repeat from an earlier run: the batch path looks its version up only at or below the mark.
   */
  reservedThrough(streamName: string): Promise<ClusterTime | null>;
  /**
   * Batch → `written`: its claim versions are emitted from now on (their history rows, which
   * name the batch, are never updated). Idempotent; BatchNotFoundError if unknown.
   */
  markWritten(batchId: string, at: Date): Promise<void>;
  /** `markWritten` for many batches in a fixed number of round trips, whatever their number. */
  markWrittenMany(batchIds: readonly string[], at: Date): Promise<void>;
  /**
   * Batches still `reserved` (crash between reserve and write), oldest first; of one stream
   * when `streamName` is given, created before `createdBefore` when given.
   */
  findReserved(streamName?: string, createdBefore?: Date): Promise<BatchRecord[]>;
  /** Creation time of the oldest `reserved` batch, null when there is none. */
  oldestReserved(): Promise<Date | null>;
  findBatch(batchId: string): Promise<BatchRecord | null>;
  countReserved(): Promise<number>;
  /**
   * `batches reissue`, in one transaction: the written batch `oldBatchId` becomes `superseded`
   * (naming `replacement`), `replacement` (the same claims under new control numbers, its
   * `reissueOf` = oldBatchId) is inserted `reserved`, and the history rows of those claims are
   * repointed to it (the one update history rows ever get). The caller then writes the file and
   * marks the replacement written, as for any batch; a crash in between leaves it `reserved`
   * for recovery. Repeating a reissue that committed (a lost reply) is a no-op. Throws
   * BatchNotFoundError, BatchNotReissuableError (old batch reserved or already superseded by
   * another), or BatchConflictError (replacement's id or control number already used).
   */
  reissue(oldBatchId: string, replacement: BatchRecord, at: Date): Promise<void>;
}
