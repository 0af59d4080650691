// The ContentCodec claimflow runs with: new content is sealed under EDI_CONTENT_KEY (envelope v1,
// see envelope.ts) when one is set, else stored as plain text; stored content is read whatever
// it is — plain text (written before a key was set), or an envelope under the current key or
// any EDI_CONTENT_KEY_PREVIOUS key — so keys rotate without downtime.
import type { ContentCodec } from "../ports/content-codec.js";
import { ContentKeyring } from "./content-key.js";
import { openEnvelope, sealEnvelope } from "./envelope.js";

export class EnvelopeContentCodec implements ContentCodec {
  constructor(readonly keyring: ContentKeyring) {}

  get encrypts(): boolean {
    return this.keyring.encrypts;
  }

  encode(batchId: string, plaintext: string): unknown {
    const key = this.keyring.current;
    return key ? sealEnvelope(key, batchId, plaintext) : plaintext;
  }

  decode(batchId: string, stored: unknown): string {
    if (typeof stored === "string") return stored;
    return openEnvelope(this.keyring, batchId, stored);
  }
}

/** The codec for a keyring (no key: plain text out, plain text and nothing else back in). */
export function createContentCodec(keyring: ContentKeyring = ContentKeyring.empty()): EnvelopeContentCodec {
  return new EnvelopeContentCodec(keyring);
}
