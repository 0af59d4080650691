// Where acknowledgement outcomes live (`acknowledgements`): one row per imported file (keyed by
// its sha256, which makes an import idempotent), per batch answered by a TA1 or 999, per claim
// version answered by a 277CA, and per answer that matched nothing we sent (with why).
// Identifiers and codes only: no names, no member ids, no file content.

export type AckKind = "TA1" | "999" | "277CA";

/** accepted_with_errors: TA1/999 code E; partially_accepted: AK9 P; pended: 277CA neither way yet. */
export type AckResult = "accepted" | "accepted_with_errors" | "partially_accepted" | "rejected" | "pended";

export type UnmatchedReason =
  /** No batch of ours carries that ISA13 / GS06. */
  | "unknown_control_number"
  /** A batch carries it, under another sender than the acknowledgement's receiver. */
  | "sender_mismatch"
  /** Our files have one transaction set, ST02 0001; the 999 answered another. */
  | "unknown_transaction_set"
  /** No version of that claim number was ever emitted (written) by us. */
  | "claim_never_sent";

export interface StatusCodeRow {
  readonly category: string;
  readonly status: string;
  readonly entity: string;
}

export interface SegmentErrorRow {
  readonly segmentId: string;
  readonly position: number;
  readonly loop: string;
  readonly code: string;
  readonly elementErrors: readonly { position: string; reference: string; code: string }[];
}

interface RowBase {
  /** Deterministic: `<sha256>:<segment position>`, so re-recording a file writes nothing new. */
  readonly id: string;
  readonly kind: AckKind;
  readonly fileSha256: string;
  readonly recordedAt: Date;
  /** When the clearinghouse / payer says it decided (CCYYMMDD), when the file tells. */
  readonly ackDate?: string | undefined;
}

/** A TA1 or a 999 set response matched to one of our batches. */
export interface BatchAckRow extends RowBase {
  readonly row: "batch";
  readonly kind: "TA1" | "999";
  readonly batchId: string;
  readonly senderId: string;
  readonly isaControlNumber: number;
  readonly result: AckResult;
  /** TA105 note code. */
  readonly noteCode?: string | undefined;
  /** IK501 and IK502-506; AK901 and AK905-909. */
  readonly setCode?: string | undefined;
  readonly setErrorCodes?: readonly string[] | undefined;
  readonly groupCode?: string | undefined;
  readonly groupErrorCodes?: readonly string[] | undefined;
  readonly segmentErrors?: readonly SegmentErrorRow[] | undefined;
}

/** A 277CA claim matched to one emitted claim version. */
export interface ClaimAckRow extends RowBase {
  readonly row: "claim";
  readonly kind: "277CA";
  readonly claimNumber: string;
  readonly version: number;
  readonly batchId: string;
  readonly result: "accepted" | "rejected" | "pended";
  readonly statusCodes: readonly StatusCodeRow[];
  readonly payerClaimControlNumber?: string | undefined;
  readonly clearinghouseTraceNumber?: string | undefined;
  readonly amountCents?: number | undefined;
  readonly serviceFrom?: string | undefined;
  readonly serviceTo?: string | undefined;
  /** True when the 277CA's amount or dates agree with none of the emitted versions. */
  readonly factsDisagree?: boolean | undefined;
}

/** An answer that matched nothing we sent: recorded, never dropped. */
export interface UnmatchedAckRow extends RowBase {
  readonly row: "unmatched";
  readonly reason: UnmatchedReason;
  /** The acknowledgement's receiver (our sender, as it wrote it). */
  readonly receiverId: string;
  readonly controlNumber?: string | undefined;
  readonly claimNumber?: string | undefined;
  readonly result: AckResult;
  readonly statusCodes?: readonly StatusCodeRow[] | undefined;
}

export type AckRow = BatchAckRow | ClaimAckRow | UnmatchedAckRow;

/** One imported file. */
export interface AckFileRow {
  readonly sha256: string;
  /** Base name only (never a path, which may hold a date or a client name). */
  readonly fileName: string;
  readonly kinds: readonly AckKind[];
  readonly recorded: number;
  readonly unmatched: number;
  readonly importedAt: Date;
}

/** A batch we sent, as far as matching needs it. */
export interface SentBatch {
  readonly batchId: string;
  readonly senderId: string;
  readonly isaControlNumber: number;
  readonly gsControlNumber: number;
  readonly state: string;
  readonly writtenAt?: Date | undefined;
}

/** A claim version whose batch is `written` (ledger v2: that is when a version is emitted). */
export interface EmittedVersion {
  readonly claimNumber: string;
  readonly version: number;
  readonly batchId: string;
}

export interface AckListFilter {
  readonly rejectedOnly?: boolean | undefined;
  readonly since?: Date | undefined;
  readonly limit: number;
}

export interface AckStore {
  findFile(sha256: string): Promise<AckFileRow | null>;
  /** Our batches with this ISA13 (`isa`) or GS06 (`gs`), any sender. */
  batchesByControlNumber(field: "isa" | "gs", controlNumber: number): Promise<SentBatch[]>;
  /** Emitted versions of each claim number (newest version first); absent: none emitted. */
  emittedVersions(claimNumbers: readonly string[]): Promise<Map<string, EmittedVersion[]>>;
  /** Upserts the rows (idempotent by id), then the file row: a file is imported once it is there. */
  record(rows: readonly AckRow[], file: AckFileRow): Promise<void>;
  /** Outcome rows (not file rows), newest recorded first. */
  list(filter: AckListFilter): Promise<AckRow[]>;
  /** Every outcome recorded for one claim number, newest first. */
  forClaim(claimNumber: string): Promise<ClaimAckRow[]>;
  /** Every TA1/999 outcome recorded for one batch, newest first. */
  forBatch(batchId: string): Promise<BatchAckRow[]>;
  /**
   * Written batches created in [notBefore, before) with no 999 recorded. The lower bound keeps
   * the count cheap (and ignores files sent before acknowledgements were imported at all).
   */
  countAwaiting999(before: Date, notBefore: Date): Promise<number>;
  /** The payer claim control number of the newest accepted 277CA of a claim number. */
  payerClaimControlNumber(claimNumber: string): Promise<string | undefined>;
  /**
   * EDI_ACK_WRITEBACK: sets `edi` on each claim in claim_detail, only while the claim is still at
   * that version (a newer version has its own answer coming). Returns how many were set.
   */
  writeBack(entries: readonly { claimNumber: string; edi: ClaimWriteBack }[]): Promise<number>;
  /** Counts for the gauges: rows by kind and result, rejected claims by STC category. */
  summary(): Promise<AckSummary>;
}

export interface AckSummary {
  readonly byKindResult: readonly { kind: AckKind; result: AckResult; count: number }[];
  readonly rejectedByCategory: readonly { category: string; count: number }[];
  readonly unmatched: number;
}

/** The `edi` sub-document written on a claim (EDI_ACK_WRITEBACK=true): identifiers and codes. */
export interface ClaimWriteBack {
  readonly status: "accepted" | "rejected" | "pended";
  readonly version: number;
  readonly statusCodes: readonly StatusCodeRow[];
  readonly payerClaimControlNumber?: string | undefined;
  readonly at: Date;
}
