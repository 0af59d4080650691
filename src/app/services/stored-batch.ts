// Reading a batch's stored file for an operator action (`batches replay`, `batches reissue`):
// the batch must exist and its content must be there and readable. Each refusal says why and
// what remains, and is raised as the action's own error type.
import { ClaimflowError } from "../../domain/errors.js";
import type { BatchRecord, Ledger } from "../../ports/ledger.js";
import { NotFoundError } from "./operator-errors.js";

type Refusal = new (message: string, options?: { cause?: unknown }) => ClaimflowError;

/** The batch, or NotFoundError; content the codec cannot read becomes `refuse`. */
export async function findStoredBatch(
  ledger: Pick<Ledger, "findBatch">,
  batchId: string,
  refuse: Refusal,
): Promise<BatchRecord> {
  const batch = await ledger.findBatch(batchId).catch((err: unknown) => {
    // The content codec throws a TypeError (or its own typed error) for content it cannot read.
    if (err instanceof TypeError || err instanceof ClaimflowError) {
      throw new refuse(`stored content of batch ${batchId} cannot be read: ${err.message}`, { cause: err });
    }
    throw err;
  });
  if (batch === null) throw new NotFoundError(`batch ${batchId} is not in edi_batches`);
  return batch;
}

/** The stored file's text; `refuse` when its key is missing or retention removed it. */
export function storedContent(batch: BatchRecord, verb: string, refuse: Refusal, afterPurge = ""): string {
  if (batch.contentError) {
    throw new refuse(`${batch.contentError.message}; it cannot be ${verb}`, { cause: batch.contentError });
  }
  if (batch.content === null) {
    const when = batch.contentPurgedAt ? ` on ${batch.contentPurgedAt.toISOString()}` : "";
    throw new refuse(
      `batch ${batch.batchId} has no stored content: it was removed by retention${when} ` +
        `(EDI_CONTENT_RETENTION_DAYS); it cannot be ${verb}${afterPurge}`,
    );
  }
  return batch.content;
}
