// Typed errors that only the MongoDB adapters raise: the deployment cannot do what claimflow
// needs, or an index an operator made by hand stands in the way.
import { ClaimflowError } from "../domain/errors.js";

/** The server gives no cluster time: change streams need a replica set or a sharded cluster. */
export class ChangeStreamUnsupportedError extends ClaimflowError {
  readonly code = "CHANGE_STREAM_UNSUPPORTED";
  constructor() {
    super(
      "the MongoDB deployment reports no cluster time: change streams need a replica set or a " +
        "sharded cluster (a standalone mongod can be started as a one-member replica set)",
    );
  }
}

/** An index with the same name or keys but different options exists; `indexes ensure` will not drop it. */
export class IndexConflictError extends ClaimflowError {
  readonly code = "INDEX_CONFLICT";
  constructor(
    readonly collection: string,
    readonly indexName: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `index ${indexName} on ${collection} conflicts with an existing index (${detail}); ` +
        "drop or rename the existing one, then run `claimflow indexes ensure` again",
      options,
    );
  }
}

// ---- What a MongoDB error means for a retry ------------------------------------------------
// Read from the error's shape (class name, numeric code, error labels), the way the driver
// itself decides (lib/error.ts: isRetryableReadError, needsRetryableWriteLabel, the
// transaction labels): no driver import, so the pipeline and its in-memory tests can ask too.

/** Driver classes that mean "the connection or the topology failed": a later attempt may work. */
const TRANSIENT_CLASSES = new Set([
  "MongoNetworkError",
  "MongoNetworkTimeoutError",
  "MongoPoolClearedError",
  "MongoServerSelectionError",
  "MongoStalePrimaryError",
  // CSOT (timeoutMS) expired: the server may answer next time.
  "MongoOperationTimeoutError",
]);

/**
 * Server codes a retry can fix: the driver's retryable read/write codes (failover, shutdown,
 * network), write conflicts, timeouts and sharding staleness.
 */
const TRANSIENT_CODES = new Set<number>([
  6, // HostUnreachable
  7, // HostNotFound
  50, // MaxTimeMSExpired
  64, // WriteConcernTimeout (wtimeout)
  89, // NetworkTimeout
  91, // ShutdownInProgress
  112, // WriteConflict
  133, // FailedToSatisfyReadPreference
  134, // ReadConcernMajorityNotAvailableYet
  189, // PrimarySteppedDown
  251, // NoSuchTransaction (the transaction was aborted by a failover)
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
  13388, // StaleConfig
  150, // StaleEpoch
  63, // StaleShardVersion
]);

/** Labels the server or the driver puts on errors that are safe to retry. */
const TRANSIENT_LABELS = [
  "RetryableWriteError",
  "TransientTransactionError",
  "UnknownTransactionCommitResult",
  "ResumableChangeStreamError",
  "PoolRequestedRetry",
  "RetryableError",
  "SystemOverloadedError",
];

/** Codes that no retry fixes: the process must stop and a person must act. */
const FATAL_CODES: ReadonlyMap<number, MongoFatalReason> = new Map([
  [13, "unauthorized"], // Unauthorized: the user's roles lack a privilege
  [18, "authentication"], // AuthenticationFailed
  [8000, "authentication"], // AtlasError (bad credentials on Atlas)
  [10334, "too_large"], // BSONObjectTooLarge
  [17419, "too_large"], // a document grew over the limit in an update
  [17420, "too_large"], // a document grew over the limit in an update
]);

export type MongoFatalReason = "unauthorized" | "authentication" | "too_large" | "server";

/** What a MongoDB error means: retry it, or stop (with why); undefined when it is not MongoDB's. */
export type MongoFault =
  | { readonly kind: "transient" }
  | { readonly kind: "fatal"; readonly reason: MongoFatalReason };

interface MongoErrorShape {
  readonly name: string;
  readonly code?: unknown;
  readonly message: string;
  hasErrorLabel?(label: string): boolean;
  readonly errorLabels?: unknown;
}

function hasLabel(err: MongoErrorShape, label: string): boolean {
  if (typeof err.hasErrorLabel === "function") return err.hasErrorLabel(label);
  return Array.isArray(err.errorLabels) && err.errorLabels.includes(label);
}

/** The driver's size check runs before sending: "Document is larger than the maximum size …". */
const DRIVER_TOO_LARGE = /larger than the maximum size|exceeds maximum (?:document|BSON) size/i;

export function mongoFaultOf(err: unknown): MongoFault | undefined {
  if (!(err instanceof Error) || !err.name.startsWith("Mongo")) {
    // The BSON serializer's own size error is a RangeError/BSONError, not a Mongo* class.
    if (err instanceof Error && DRIVER_TOO_LARGE.test(err.message))
      return { kind: "fatal", reason: "too_large" };
    return undefined;
  }
  const e = err as MongoErrorShape;
  if (hasLabel(e, "NonResumableChangeStreamError")) return { kind: "fatal", reason: "server" };
  if (TRANSIENT_CLASSES.has(e.name)) return { kind: "transient" };
  if (e.name === "MongoMissingCredentialsError") return { kind: "fatal", reason: "authentication" };
  const code = typeof e.code === "number" ? e.code : Number.NaN;
  const fatal = FATAL_CODES.get(code);
  if (fatal) return { kind: "fatal", reason: fatal };
  if (TRANSIENT_CODES.has(code)) return { kind: "transient" };
  if (TRANSIENT_LABELS.some((l) => hasLabel(e, l))) return { kind: "transient" };
  if (DRIVER_TOO_LARGE.test(e.message)) return { kind: "fatal", reason: "too_large" };
  return { kind: "fatal", reason: "server" };
}
