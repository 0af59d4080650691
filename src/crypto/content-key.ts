// Master keys for batch content (EDI_CONTENT_KEY, EDI_CONTENT_KEY_PREVIOUS). A key never leaves
// this object by accident: it prints, logs and serialises as its key id only, so a config
// object dumped into a log line or `--json` output carries no key material.
import { createHash, randomBytes } from "node:crypto";
import { inspect } from "node:util";

export const CONTENT_KEY_BYTES = 32;

const KEY_ID_LABEL = "claimflow content key id v1\u0000";

/**
 * The public name of a key: 16 hex digits of a domain-separated sha256 of it. Stored beside
 * each ciphertext so a reader knows which key sealed it without trying them all; it reveals
 * nothing usable about a random 256-bit key.
 */
export function keyIdOf(material: Uint8Array): string {
  return createHash("sha256").update(KEY_ID_LABEL).update(material).digest("hex").slice(0, 16);
}

export class ContentKey {
  readonly id: string;
  readonly #material: Buffer;

  private constructor(material: Buffer) {
    this.#material = material;
    this.id = keyIdOf(material);
  }

  /** From base64 text; undefined unless it decodes to exactly 32 bytes. */
  static fromBase64(text: string): ContentKey | undefined {
    const t = text.trim();
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t) && !/^[A-Za-z0-9_-]+={0,2}$/.test(t)) return undefined;
    const bytes = Buffer.from(t, t.includes("-") || t.includes("_") ? "base64url" : "base64");
    if (bytes.length !== CONTENT_KEY_BYTES) return undefined;
    return new ContentKey(bytes);
  }

  /** A fresh random key (the embedded demo makes one per run). */
  static generate(): ContentKey {
    return new ContentKey(randomBytes(CONTENT_KEY_BYTES));
  }

  /** The key bytes, for node:crypto only. */
  material(): Buffer {
    return this.#material;
  }

  toString(): string {
    return `ContentKey(${this.id})`;
  }

  toJSON(): { id: string } {
    return { id: this.id };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** The key that seals new content, and every key that may still open old content. */
export class ContentKeyring {
  private readonly byId = new Map<string, ContentKey>();

  constructor(
    readonly current: ContentKey | undefined,
    readonly previous: readonly ContentKey[] = [],
  ) {
    for (const k of previous) this.byId.set(k.id, k);
    if (current) this.byId.set(current.id, current);
  }

  static empty(): ContentKeyring {
    return new ContentKeyring(undefined, []);
  }

  get encrypts(): boolean {
    return this.current !== undefined;
  }

  find(keyId: string): ContentKey | undefined {
    return this.byId.get(keyId);
  }

  /** Every key id this ring can open, current first. */
  get keyIds(): string[] {
    const ids = this.current ? [this.current.id] : [];
    for (const k of this.previous) if (!ids.includes(k.id)) ids.push(k.id);
    return ids;
  }

  toJSON(): { current: string | null; previous: string[] } {
    return { current: this.current?.id ?? null, previous: this.previous.map((k) => k.id) };
  }

  [inspect.custom](): string {
    return `ContentKeyring(current=${this.current?.id ?? "none"}, previous=[${this.previous.map((k) => k.id).join(",")}])`;
  }
}
