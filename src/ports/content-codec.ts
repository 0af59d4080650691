// How batch content is stored at rest. The ledger keeps every rendered 837 (PHI) for crash
// recovery and replay; a codec can seal it (envelope encryption) without the ledger knowing how.
// The plain codec stores the text as is.

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
    if (typeof stored !== "string") throw new TypeError(`batch ${batchId}: stored content is not plain text`);
    return stored;
  },
};
