// PHI at rest: master keys, the v1 envelope and the codec the ledger stores batch content with.
export { CONTENT_KEY_BYTES, ContentKey, ContentKeyring, keyIdOf } from "./content-key.js";
export {
  ENVELOPE_ALG,
  ENVELOPE_VERSION,
  type Envelope,
  openEnvelope,
  readEnvelope,
  rewrapEnvelope,
  sealEnvelope,
  storedKeyId,
} from "./envelope.js";
export { createContentCodec, EnvelopeContentCodec } from "./envelope-codec.js";
