// The envelope stored in `edi_batches.content` when a content key is configured (format v1):
//
//   { v: 1, alg: "A256GCM", kid: "<16 hex>", dek: <bin 60>, iv: <bin 12>, data: <bin>, tag: <bin 16> }
//
// - data/iv/tag: the UTF-8 837 text under AES-256-GCM with a random 32-byte data key (one per
//   batch) and a random 96-bit IV; AAD = "claimflow/edi_batches.content/v1/<batch_id>".
// - dek: that data key wrapped by the master key `kid` with AES-256-GCM: 12-byte IV, 32-byte
//   ciphertext, 16-byte tag; AAD = "claimflow/edi_batches.dek/v1/<batch_id>/<kid>".
// The AADs bind both layers to the batch (content moved to another row fails to open) and the
// wrap to its key id (a relabelled kid fails). Rotation re-wraps `dek` only; `data` never
// changes, so the recorded sha256 (of the plain text) stays valid throughout.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { ContentUnreadableError } from "../ports/content-codec.js";
import type { ContentKey, ContentKeyring } from "./content-key.js";

export const ENVELOPE_VERSION = 1;
export const ENVELOPE_ALG = "A256GCM";

export interface Envelope {
  readonly v: typeof ENVELOPE_VERSION;
  readonly alg: typeof ENVELOPE_ALG;
  readonly kid: string;
  readonly dek: Buffer;
  readonly iv: Buffer;
  readonly data: Buffer;
  readonly tag: Buffer;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const DEK_BYTES = 32;
const WRAPPED_BYTES = IV_BYTES + DEK_BYTES + TAG_BYTES;

const contentAad = (batchId: string) => Buffer.from(`claimflow/edi_batches.content/v1/${batchId}`, "utf8");
const dekAad = (batchId: string, kid: string) =>
  Buffer.from(`claimflow/edi_batches.dek/v1/${batchId}/${kid}`, "utf8");

function gcmEncrypt(key: Buffer, plaintext: Buffer, aad: Buffer): { iv: Buffer; data: Buffer; tag: Buffer } {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, data, tag: cipher.getAuthTag() };
}

/** Null when authentication fails (wrong key, altered bytes, other batch's AAD). */
function gcmDecrypt(key: Buffer, iv: Buffer, data: Buffer, tag: Buffer, aad: Buffer): Buffer | null {
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data), decipher.final()]);
  } catch {
    return null;
  }
}

function wrapDek(master: ContentKey, dek: Buffer, batchId: string): Buffer {
  const w = gcmEncrypt(master.material(), dek, dekAad(batchId, master.id));
  return Buffer.concat([w.iv, w.data, w.tag]);
}

function unwrapDek(master: ContentKey, wrapped: Buffer, batchId: string): Buffer | null {
  if (wrapped.length !== WRAPPED_BYTES) return null;
  return gcmDecrypt(
    master.material(),
    wrapped.subarray(0, IV_BYTES),
    wrapped.subarray(IV_BYTES, IV_BYTES + DEK_BYTES),
    wrapped.subarray(IV_BYTES + DEK_BYTES),
    dekAad(batchId, master.id),
  );
}

export function sealEnvelope(master: ContentKey, batchId: string, plaintext: string): Envelope {
  const dek = randomBytes(DEK_BYTES);
  try {
    const c = gcmEncrypt(dek, Buffer.from(plaintext, "utf8"), contentAad(batchId));
    return {
      v: ENVELOPE_VERSION,
      alg: ENVELOPE_ALG,
      kid: master.id,
      dek: wrapDek(master, dek, batchId),
      ...c,
    };
  } finally {
    dek.fill(0);
  }
}

/** Bytes of a BSON Binary (as the driver returns it), a Buffer or a Uint8Array. */
function bytesOf(value: unknown): Buffer | null {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const b = value as { buffer?: unknown; position?: unknown; sub_type?: unknown } | null;
  if (
    b &&
    b.buffer instanceof Uint8Array &&
    typeof b.position === "number" &&
    typeof b.sub_type === "number"
  ) {
    return Buffer.from(b.buffer.buffer, b.buffer.byteOffset, b.position);
  }
  return null;
}

/** The envelope in a stored value, or null when the value is not one (plain text, null, other). */
export function readEnvelope(stored: unknown): Envelope | null {
  if (stored === null || typeof stored !== "object") return null;
  const s = stored as Record<string, unknown>;
  if (typeof s.kid !== "string") return null;
  const dek = bytesOf(s.dek);
  const iv = bytesOf(s.iv);
  const data = bytesOf(s.data);
  const tag = bytesOf(s.tag);
  if (s.v !== ENVELOPE_VERSION || s.alg !== ENVELOPE_ALG || !dek || !iv || !data || !tag) return null;
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) return null;
  return { v: ENVELOPE_VERSION, alg: ENVELOPE_ALG, kid: s.kid, dek, iv, data, tag };
}

/** The key id a stored value names, if it looks like an envelope at all. */
export function storedKeyId(stored: unknown): string | null {
  const kid = (stored as { kid?: unknown } | null)?.kid;
  return stored !== null && typeof stored === "object" && typeof kid === "string" ? kid : null;
}

function unreadable(batchId: string, keyring: ContentKeyring, stored: unknown): ContentUnreadableError {
  const kid = storedKeyId(stored);
  if (kid === null || readEnvelope(stored) === null) {
    return new ContentUnreadableError(
      batchId,
      kid,
      "malformed",
      `stored content of batch ${batchId}${kid ? ` (key id ${kid})` : ""} is neither plain text nor a ` +
        `v${ENVELOPE_VERSION} envelope`,
    );
  }
  if (!keyring.current && keyring.previous.length === 0) {
    return new ContentUnreadableError(
      batchId,
      kid,
      "no_key",
      `stored content of batch ${batchId} is encrypted with key id ${kid} but EDI_CONTENT_KEY is not set`,
    );
  }
  return new ContentUnreadableError(
    batchId,
    kid,
    "unknown_key",
    `stored content of batch ${batchId} is encrypted with key id ${kid}, which is neither ` +
      `EDI_CONTENT_KEY (${keyring.current?.id ?? "unset"}) nor in EDI_CONTENT_KEY_PREVIOUS; ` +
      `add the key with id ${kid} to EDI_CONTENT_KEY_PREVIOUS`,
  );
}

function tampered(batchId: string, kid: string): ContentUnreadableError {
  return new ContentUnreadableError(
    batchId,
    kid,
    "authentication_failed",
    `stored content of batch ${batchId} (key id ${kid}) failed authentication: the row was altered, ` +
      "or its content belongs to another batch",
  );
}

/** The data key of an envelope, unwrapped; throws ContentUnreadableError. */
function openDek(keyring: ContentKeyring, batchId: string, stored: unknown): { env: Envelope; dek: Buffer } {
  const env = readEnvelope(stored);
  const master = env ? keyring.find(env.kid) : undefined;
  if (!env || !master) throw unreadable(batchId, keyring, stored);
  const dek = unwrapDek(master, env.dek, batchId);
  if (!dek) throw tampered(batchId, env.kid);
  return { env, dek };
}

export function openEnvelope(keyring: ContentKeyring, batchId: string, stored: unknown): string {
  const { env, dek } = openDek(keyring, batchId, stored);
  try {
    const plain = gcmDecrypt(dek, env.iv, env.data, env.tag, contentAad(batchId));
    if (!plain) throw tampered(batchId, env.kid);
    return plain.toString("utf8");
  } finally {
    dek.fill(0);
  }
}

/**
 * The same envelope with its data key wrapped by `to` (the content bytes are untouched), or null
 * when it is wrapped by `to` already. Throws ContentUnreadableError when the key cannot be opened.
 */
export function rewrapEnvelope(
  keyring: ContentKeyring,
  to: ContentKey,
  batchId: string,
  stored: unknown,
): Envelope | null {
  const { env, dek } = openDek(keyring, batchId, stored);
  try {
    if (env.kid === to.id) return null;
    // The content must open too: re-wrapping a key whose content is corrupt would hide the damage.
    if (!gcmDecrypt(dek, env.iv, env.data, env.tag, contentAad(batchId))) throw tampered(batchId, env.kid);
    return { ...env, kid: to.id, dek: wrapDek(to, dek, batchId) };
  } finally {
    dek.fill(0);
  }
}
