// Why an operator action was refused or could not complete. Each is a ClaimflowError (the CLI
// exits 1 with the message), says what to do next, and never carries claim content.
import { ClaimflowError } from "../../domain/errors.js";

/** `token reset` while a processor holds a live lease: its next checkpoint save would undo the reset. */
export class TokenResetRefusedError extends ClaimflowError {
  readonly code = "TOKEN_RESET_REFUSED";
  constructor(
    readonly streamName: string,
    readonly holder: string,
    readonly expiresAt: Date,
  ) {
    super(
      `refusing to reset stream "${streamName}": its lease is held by ${holder} until ` +
        `${expiresAt.toISOString()}; stop that processor first (its next checkpoint save would ` +
        "overwrite the reset), or pass --force if the holder is known to be gone",
    );
  }
}

/** The operator declined the confirmation prompt. */
export class ActionCancelledError extends ClaimflowError {
  readonly code = "CANCELLED";
  constructor(action: string) {
    super(`${action} cancelled; nothing was changed`);
  }
}

/** A named thing (dead letter, claim, batch) does not exist. */
export class NotFoundError extends ClaimflowError {
  readonly code = "NOT_FOUND";
}

/** `batches replay` cannot rebuild the file. */
export class ReplayRefusedError extends ClaimflowError {
  readonly code = "REPLAY_REFUSED";
}

/** `dead-letters retry` cannot run the claim through the processor. */
export class RetryRefusedError extends ClaimflowError {
  readonly code = "RETRY_REFUSED";
}

/** The operator command could not connect to MongoDB (the URI is shown with its password masked). */
export class DatabaseUnavailableError extends ClaimflowError {
  readonly code = "DATABASE_UNAVAILABLE";
  /** `reason`: the driver's message already scrubbed of the URI's secrets (scrubUriMessage). */
  constructor(maskedUri: string, reason: string, cause: unknown) {
    super(
      `cannot connect to MongoDB at ${maskedUri}: ${reason}; ` +
        "check EDI_MONGODB_URI and that the replica set is reachable",
      { cause },
    );
  }
}
