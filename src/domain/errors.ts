// Typed errors shared by every layer. Each carries what an operator needs to act and never a
// document value: claim fields may hold PHI, so only paths and rule names travel in errors.

/** Base class: `code` is stable for logs, metrics and tests; `message` is for people. */
export abstract class ClaimflowError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One problem in an input, located by path (`lines.0.charge`), never carrying the value. */
export interface InputIssue {
  readonly path: string;
  readonly message: string;
}

export function formatIssues(issues: readonly InputIssue[]): string {
  return issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ");
}

/** Environment configuration is unusable; the process exits with code 2. */
export class ConfigError extends ClaimflowError {
  readonly code = "CONFIG_INVALID";
  constructor(readonly issues: readonly InputIssue[]) {
    super(
      `invalid configuration (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n${issues
        .map((i) => `  - ${i.path}: ${i.message}`)
        .join("\n")}`,
    );
  }
}

/** A document (claim, patient, client, npi) fails its schema: it goes to dead_letters. */
export class InvalidDocumentError extends ClaimflowError {
  readonly code = "DOCUMENT_INVALID";
  constructor(
    readonly collection: string,
    readonly issues: readonly InputIssue[],
  ) {
    super(`invalid ${collection} document: ${formatIssues(issues)}`);
  }
}

/** A claim is valid on its own but cannot be billed (missing reference, identifier too long). */
export class UnbillableClaimError extends ClaimflowError {
  readonly code = "CLAIM_UNBILLABLE";
  constructor(
    readonly reason: DeadLetterReason,
    readonly issues: readonly InputIssue[],
  ) {
    super(`claim cannot be billed (${reason}): ${formatIssues(issues)}`);
  }
}

/** Why a claim version ended in dead_letters; also the `reason` label of the metric. */
export type DeadLetterReason =
  | "invalid_claim"
  | "unsafe_keys"
  | "patient_missing"
  | "patient_invalid"
  | "client_missing"
  | "client_invalid"
  | "npi_missing"
  | "npi_invalid"
  | "not_renderable"
  /** Two or more `patient` rows carry the claim's patient_id: which one is meant is unknown. */
  | "ambiguous_patient";

/** The stored resume token is no longer usable (oplog rolled past it, or it was never valid). */
export class ResumeTokenLostError extends ClaimflowError {
  readonly code = "RESUME_TOKEN_LOST";
  constructor(
    readonly streamName: string,
    readonly serverCode: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `resume token of stream "${streamName}" can no longer be used (server code ${serverCode ?? "n/a"}); ` +
        "fall back to a catch-up scan (EDI_ON_TOKEN_LOST=rescan) or reset it with `claimflow token reset`",
      options,
    );
  }
}

/** The change stream was invalidated (collection dropped/renamed); it restarts with startAfter. */
export class StreamInvalidatedError extends ClaimflowError {
  readonly code = "STREAM_INVALIDATED";
  constructor(
    readonly streamName: string,
    readonly invalidateToken: unknown,
  ) {
    super(`change stream "${streamName}" was invalidated; restarting after the invalidate event`);
  }
}

/** Another processor holds the lease for this stream name. */
export class LeaseHeldError extends ClaimflowError {
  readonly code = "LEASE_HELD";
  constructor(
    readonly streamName: string,
    readonly holder: string,
    readonly expiresAt: Date,
  ) {
    super(
      `stream "${streamName}" is leased by ${holder} until ${expiresAt.toISOString()}; ` +
        "wait for it to lapse or stop that processor",
    );
  }
}

/** Stored batch content does not match its recorded sha256. */
export class ContentIntegrityError extends ClaimflowError {
  readonly code = "CONTENT_INTEGRITY";
  constructor(readonly batchId: string) {
    super(`stored content of batch ${batchId} does not match its sha256; refusing to write it`);
  }
}

/** A user-facing CLI argument problem: one line on stderr, exit code 2. */
export class UsageError extends ClaimflowError {
  readonly code = "USAGE";
}

/**
 * Why the processor stopped instead of retrying: a retry cannot fix it, a person must act.
 * `unauthorized`/`authentication`: MongoDB refused the user; `too_large`: a document over
 * MongoDB's 16 MiB limit; `unsafe_path`: an output path outside EDI_OUTPUT_DIR; `bug`: a
 * programming error (TypeError …); `server`: any other MongoDB error no retry fixes;
 * `internal`: one of claimflow's own typed errors; `unknown`: anything else.
 */
export type ProcessFaultReason =
  | "unauthorized"
  | "authentication"
  | "too_large"
  | "unsafe_path"
  | "bug"
  | "server"
  | "internal"
  | "unknown";

/** A process-level failure: the processor exits non-zero with this one-line message. */
export class ProcessFaultError extends ClaimflowError {
  readonly code = "PROCESS_FAULT";
  constructor(
    readonly reason: ProcessFaultReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
