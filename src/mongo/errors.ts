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
