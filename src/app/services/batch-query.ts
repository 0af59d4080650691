// `batches list` and `batches show`: the files in the ledger, by time range, group, client,
// state and sender, and one batch with its claim versions. Read-only, content never loaded.
import type { BatchListFilter, BatchSummary, LedgerReader } from "../../ports/ledger-reader.js";
import { NotFoundError } from "./operator-errors.js";

export interface BatchQueryDeps {
  readonly reader: LedgerReader;
}

/** Newest first, at most `filter.limit`. */
export async function listBatches(deps: BatchQueryDeps, filter: BatchListFilter): Promise<BatchSummary[]> {
  return deps.reader.listBatches(filter);
}

/** One batch without its content; NotFoundError when the id is unknown. */
export async function showBatch(deps: BatchQueryDeps, batchId: string): Promise<BatchSummary> {
  const [batch] = await deps.reader.batchesByIds([batchId]);
  if (batch === undefined) throw new NotFoundError(`batch ${batchId} is not in edi_batches`);
  return batch;
}
