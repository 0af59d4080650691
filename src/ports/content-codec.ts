// How batch content is stored at rest. The ledger keeps every rendered 837 (PHI) for crash
// recovery and replay; a codec can seal it (envelope encryption) without the ledger knowing how.
// The plain codec stores the text as is.
import { ClaimflowError } from "../domain/errors.js";

export interface ContentCodec {
  /** True when stored content is encrypted (the `claimflow_phi_encryption_enabled` gauge). */
  readonly encrypts: boolean;
  /** Plain text → the value stored in `edi_batches.content` (any BSON-able value). */
  encode(batchId: string, plaintext: string): unknown;
  /** The stored value → plain text; throws a typed error naming the batch when it cannot. */
  decode(batchId: string, stored: unknown): string;
}

export const plainContentCodec: ContentCodec = {
  encrypts: false,
  encode: (_batchId, plaintext) => plaintext,
  decode: (batchId, stored) => {
    if (typeof stored === "string") return stored;
    // Sealed content read without a codec that holds keys (see src/crypto/envelope.ts).
    const kid = (stored as { kid?: unknown } | null)?.kid;
    const keyId = typeof kid === "string" ? kid : null;
    throw new ContentUnreadableError(
      batchId,
      keyId,
      keyId === null ? "malformed" : "no_key",
      keyId === null
        ? `stored content of batch ${batchId} is not plain text`
        : `stored content of batch ${batchId} is encrypted with key id ${keyId} and no content key is configured`,
    );
  },
};

/** Why stored content could not be turned back into text. */
export type ContentUnreadableReason = "no_key" | "unknown_key" | "authentication_failed" | "malformed";

/**
 * Stored content of one batch cannot be read: its key is not configured, it fails
 * authentication (altered, or moved from another batch), or it is not a known format. Names the
 * batch and the key id (never key material, never content). A batch in this state is left in
 * place: recovery reports it and goes on, `batches replay` refuses it, `status` counts it.
 */
export class ContentUnreadableError extends ClaimflowError {
  readonly code = "CONTENT_UNREADABLE";
  constructor(
    readonly batchId: string,
    readonly keyId: string | null,
    readonly reason: ContentUnreadableReason,
    message: string,
  ) {
    super(message);
  }
}
