// The one catalogue of errors and the one question asked of each: retry or not?
//
//   transient  network, not-primary, write conflicts, timeouts, the driver's retryable labels,
//              an open circuit: retried with backoff, and counted in the MongoDB circuit
//   output     the output file system refused a write (ENOSPC, EROFS, EACCES, EDQUOT …):
//              retried with backoff, never counted as MongoDB, reported on its own
//   claim      one claim cannot be billed: the caller dead-letters it, the stream goes on
//   process    nothing a retry or a dead letter fixes (auth, unauthorized, a bug, an unsafe
//              output path, a document over 16 MiB): the processor exits non-zero, one line
//   cancelled  the pipeline is stopping
import {
  BrokenCircuitError,
  IsolatedCircuitError,
  isTaskCancelledError,
  TaskCancelledError,
} from "cockatiel";
import {
  ClaimflowError,
  InvalidDocumentError,
  ProcessFaultError,
  type ProcessFaultReason,
  UnbillableClaimError,
} from "../domain/errors.js";
import { mongoFaultOf } from "../mongo/errors.js";
import { scrubMongoMessage } from "../observability/logger.js";

export type Fault =
  | { readonly kind: "transient" }
  | { readonly kind: "output"; readonly code: string; readonly path: string | undefined }
  | { readonly kind: "claim" }
  | { readonly kind: "process"; readonly reason: ProcessFaultReason }
  | { readonly kind: "cancelled" };

/**
 * errno codes of a file system that refuses writes: full, read-only, quota, permissions, I/O,
 * out of descriptors. An operator fixes them (free space, remount, chmod); until then every
 * write is retried and the claims stay unacked, so nothing is lost.
 */
const OUTPUT_ERRNO = new Set([
  "ENOSPC",
  "EROFS",
  "EACCES",
  "EPERM",
  "EDQUOT",
  "EIO",
  "EMFILE",
  "ENFILE",
  "ENOTDIR",
  "ENOENT",
  "EEXIST",
  "EISDIR",
  "ELOOP",
  "ENAMETOOLONG",
  "EBUSY",
  "ETXTBSY",
  "ESTALE",
]);

const BUGS = new Set(["TypeError", "ReferenceError", "SyntaxError", "RangeError", "EvalError", "URIError"]);

const TRANSIENT: Fault = { kind: "transient" };
const CANCELLED: Fault = { kind: "cancelled" };
const CLAIM: Fault = { kind: "claim" };

export function isCancellation(err: unknown): boolean {
  // cockatiel 3's isTaskCancelledError tests for the bulkhead flag, so check the class itself.
  return (
    err instanceof TaskCancelledError ||
    isTaskCancelledError(err) ||
    (err instanceof Error && err.name === "AbortError")
  );
}

/** A Node.js file-system error (it names the system call that failed). */
function errnoOf(err: unknown): { code: string; path: string | undefined } | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as NodeJS.ErrnoException;
  if (typeof e.code !== "string" || typeof e.syscall !== "string" || !/^E[A-Z]+$/.test(e.code))
    return undefined;
  return { code: e.code, path: typeof e.path === "string" ? e.path : undefined };
}

export function classifyFault(err: unknown): Fault {
  if (isCancellation(err)) return CANCELLED;
  // The circuit is open (or held open): wait for it like for the failures that opened it.
  if (err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError) return TRANSIENT;
  // The in-memory twins' injected failure stands for a dropped socket or a step-down.
  if (err instanceof Error && err.name === "InjectedFaultError") return TRANSIENT;
  if (err instanceof InvalidDocumentError || err instanceof UnbillableClaimError) return CLAIM;
  if (err instanceof ClaimflowError) {
    return { kind: "process", reason: err.code === "UNSAFE_OUTPUT_PATH" ? "unsafe_path" : "internal" };
  }
  const errno = errnoOf(err);
  if (errno) {
    if (OUTPUT_ERRNO.has(errno.code)) return { kind: "output", ...errno };
    return { kind: "process", reason: "unknown" };
  }
  const mongo = mongoFaultOf(err);
  if (mongo) return mongo.kind === "transient" ? TRANSIENT : { kind: "process", reason: mongo.reason };
  if (err instanceof Error && BUGS.has(err.name)) return { kind: "process", reason: "bug" };
  return { kind: "process", reason: "unknown" };
}

/** True only for what a retry with backoff can fix (MongoDB or the output disk). */
export function isRetryable(err: unknown): boolean {
  const k = classifyFault(err).kind;
  return k === "transient" || k === "output";
}

function codeOf(err: unknown): string {
  const e = err as { code?: unknown; codeName?: unknown };
  const name = typeof e.codeName === "string" ? `${e.codeName}, ` : "";
  return e.code !== undefined ? ` (${name}code ${String(e.code)})` : "";
}

/** The first line of a message, scrubbed of the document literals MongoDB quotes, capped. */
function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = text.split("\n", 1)[0] ?? "";
  return scrubMongoMessage(line).slice(0, 300);
}

/**
 * The error as the processor's last word: one line saying what failed and what to do. A
 * ProcessFaultError passes through; anything else is classified and described here.
 */
export function toProcessFault(err: unknown): ProcessFaultError {
  if (err instanceof ProcessFaultError) return err;
  const fault = classifyFault(err);
  const reason: ProcessFaultReason = fault.kind === "process" ? fault.reason : "internal";
  const name = err instanceof Error ? err.name : typeof err;
  const detail = firstLine(err);
  let message: string;
  switch (reason) {
    case "unauthorized":
      message =
        `MongoDB refused an operation: not authorized${codeOf(err)}: ${detail}; ` +
        "grant the processor's user the claimflow roles (ops/roles) and restart";
      break;
    case "authentication":
      message = `MongoDB authentication failed${codeOf(err)}: check the credentials in EDI_MONGODB_URI`;
      break;
    case "too_large":
      message =
        `a document is over MongoDB's 16 MiB limit${codeOf(err)}: ${detail}; ` +
        "lower EDI_BATCH_SIZE and restart";
      break;
    case "unsafe_path":
      message = `${detail}; check EDI_OUTPUT_DIR and the group/client ids`;
      break;
    case "bug":
      message = `internal error (${name}: ${detail}): a bug in claimflow; report it with the log`;
      break;
    case "server":
      message = `MongoDB error a retry cannot fix${codeOf(err)}: ${detail}`;
      break;
    case "internal":
      message = err instanceof ClaimflowError ? `${detail} [${err.code}]` : `${name}: ${detail}`;
      break;
    default:
      message = `unexpected error (${name}${codeOf(err)}): ${detail}`;
  }
  return new ProcessFaultError(reason, `stopped: ${message.replace(/\s*\n\s*/g, " ")}`, { cause: err });
}
