// Which keys seal the content in `edi_batches`, read from the key ids stored beside each
// ciphertext (the `content.kid` index): what `status` reports as undecryptable, what `keys
// status` lists, and when a previous key may be dropped (no batch names it any more). Nothing is
// decrypted here, so these figures stay cheap on a large ledger.
import type { Db } from "mongodb";
import { COLLECTIONS } from "../mongo/collections.js";
import type { ContentKeyring } from "./content-key.js";

export interface KeyUsage {
  readonly keyId: string;
  readonly batches: number;
  /** `current` = EDI_CONTENT_KEY, `previous` = in EDI_CONTENT_KEY_PREVIOUS, `unknown` = neither. */
  readonly key: "current" | "previous" | "unknown";
}

export interface ContentInventory {
  readonly encrypts: boolean;
  readonly currentKeyId: string | null;
  readonly byKey: readonly KeyUsage[];
  /** Batches whose content is plain text (stored before a key was configured). */
  readonly plain: number;
  /** Batches whose content retention removed. */
  readonly purged: number;
}

export interface UndecryptableSummary {
  /** Batches sealed under a key this process does not hold. */
  readonly batches: number;
  readonly keyIds: readonly string[];
}

function classify(keyring: ContentKeyring, keyId: string): KeyUsage["key"] {
  if (keyring.current?.id === keyId) return "current";
  return keyring.find(keyId) ? "previous" : "unknown";
}

async function keyIdsInUse(db: Db): Promise<string[]> {
  const ids = await db.collection(COLLECTIONS.batches).distinct("content.kid");
  return ids.filter((k): k is string => typeof k === "string").sort();
}

export async function undecryptableBatches(db: Db, keyring: ContentKeyring): Promise<UndecryptableSummary> {
  const unknown = (await keyIdsInUse(db)).filter((k) => keyring.find(k) === undefined);
  if (unknown.length === 0) return { batches: 0, keyIds: [] };
  const batches = await db
    .collection(COLLECTIONS.batches)
    .countDocuments({ "content.kid": { $in: unknown } });
  return { batches, keyIds: unknown };
}

export async function contentInventory(db: Db, keyring: ContentKeyring): Promise<ContentInventory> {
  const col = db.collection(COLLECTIONS.batches);
  const ids = await keyIdsInUse(db);
  const byKey = await Promise.all(
    ids.map(async (keyId) => ({
      keyId,
      batches: await col.countDocuments({ "content.kid": keyId }),
      key: classify(keyring, keyId),
    })),
  );
  // Both on the `content.kid` index's null range (plain text and purged rows have no kid).
  const [plain, purged] = await Promise.all([
    col.countDocuments({ "content.kid": null, content: { $type: "string" } }),
    col.countDocuments({ "content.kid": null, content: null }),
  ]);
  return {
    encrypts: keyring.encrypts,
    currentKeyId: keyring.current?.id ?? null,
    byKey,
    plain,
    purged,
  };
}
