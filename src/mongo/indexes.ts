// Every index claimflow relies on. Its own collections' indexes are part of correctness (the
// unique {claim_number, version} index IS the idempotency guarantee), so the processor ensures
// them at start. Input collections belong to upstream systems: their indexes are created only
// by `claimflow indexes ensure` (or the embedded demo), never implicitly in production.
import { type CreateIndexesOptions, type Db, type IndexSpecification, MongoServerError } from "mongodb";
import { COLLECTIONS } from "./collections.js";
import { IndexConflictError } from "./errors.js";

export interface IndexDef {
  readonly collection: string;
  readonly name: string;
  readonly key: Record<string, 1 | -1>;
  readonly options?: Omit<CreateIndexesOptions, "name">;
}

/** SPEC section 2: the indexes the old batch script never had. */
export const INPUT_INDEXES: readonly IndexDef[] = [
  {
    collection: COLLECTIONS.claims,
    name: "group_id_1_billing_date_-1",
    key: { group_id: 1, billing_date: -1 },
  },
  {
    collection: COLLECTIONS.claims,
    name: "claim_number_1",
    key: { claim_number: 1 },
    options: { unique: true },
  },
  { collection: COLLECTIONS.claims, name: "status_1_created_at_-1", key: { status: 1, created_at: -1 } },
  // Ours: the catch-up scan pages ready claims by _id.
  { collection: COLLECTIONS.claims, name: "status_1__id_1", key: { status: 1, _id: 1 } },
  { collection: COLLECTIONS.patients, name: "claim_number_1", key: { claim_number: 1 } },
  { collection: COLLECTIONS.patients, name: "patient_id_1", key: { patient_id: 1 } },
  { collection: COLLECTIONS.npis, name: "npi_1", key: { npi: 1 } },
  { collection: COLLECTIONS.clients, name: "client_id_1", key: { client_id: 1 } },
];

/** Batches whose content retention may still remove (the partial filter of the retention index). */
export const RETAINED_CONTENT = { state: "written", content: { $type: ["string", "object"] } } as const;

export const OWN_INDEXES: readonly IndexDef[] = [
  {
    collection: COLLECTIONS.history,
    name: "claim_number_1_version_1",
    key: { claim_number: 1, version: 1 },
    options: { unique: true },
  },
  { collection: COLLECTIONS.history, name: "batch_id_1", key: { batch_id: 1 } },
  { collection: COLLECTIONS.batches, name: "batch_id_1", key: { batch_id: 1 }, options: { unique: true } },
  {
    collection: COLLECTIONS.batches,
    name: "sender_id_1_isa_control_number_1",
    key: { sender_id: 1, isa_control_number: 1 },
    options: { unique: true },
  },
  { collection: COLLECTIONS.batches, name: "state_1_created_at_1", key: { state: 1, created_at: 1 } },
  // Key ids of sealed content (src/crypto): `status` and `keys rotate` find batches by key.
  { collection: COLLECTIONS.batches, name: "content.kid_1", key: { "content.kid": 1 } },
  // Retention: written batches that still hold content, by age; a purged row leaves the index.
  {
    collection: COLLECTIONS.batches,
    name: "retention_written_at_1",
    key: { written_at: 1 },
    options: { partialFilterExpression: RETAINED_CONTENT },
  },
  {
    collection: COLLECTIONS.deadLetters,
    name: "claim_number_1_version_1",
    key: { claim_number: 1, version: 1 },
    options: { unique: true },
  },
  { collection: COLLECTIONS.deadLetters, name: "last_seen_-1", key: { last_seen: -1 } },
  { collection: COLLECTIONS.audit, name: "at_-1", key: { at: -1 } },
  // Acknowledgements (SPEC section 9): matching a TA1 / 999 by our control numbers, then
  // `claims show`, `acks list` and the replacement's payer claim control number.
  { collection: COLLECTIONS.batches, name: "isa_control_number_1", key: { isa_control_number: 1 } },
  { collection: COLLECTIONS.batches, name: "gs_control_number_1", key: { gs_control_number: 1 } },
  { collection: COLLECTIONS.acknowledgements, name: "batch_id_1", key: { batch_id: 1 } },
  {
    collection: COLLECTIONS.acknowledgements,
    name: "claim_number_1_version_1",
    key: { claim_number: 1, version: 1 },
  },
  {
    collection: COLLECTIONS.acknowledgements,
    name: "row_1_recorded_at_-1",
    key: { row: 1, recorded_at: -1 },
  },
  // Backfill requests: the active processor polls its stream's open ones, status lists the latest.
  {
    collection: COLLECTIONS.backfills,
    name: "stream_1_state_1_requested_at_1",
    key: { stream: 1, state: 1, requested_at: 1 },
  },
];

export type AuditTtlChange = "created" | "updated" | "unchanged";

/**
 * audit_log rows expire EDI_AUDIT_RETENTION_DAYS after `at`, by a TTL on the `at_-1` index:
 * created with it, or changed in place (collMod) when the setting changed. Never dropped.
 */
export async function ensureAuditTtl(db: Db, days: number): Promise<AuditTtlChange> {
  const expireAfterSeconds = days * 86_400;
  const col = db.collection(COLLECTIONS.audit);
  const current = await col
    .listIndexes()
    .toArray()
    .catch((err: unknown) => {
      if (err instanceof MongoServerError && err.code === 26) return [];
      throw err;
    });
  const at = current.find((ix) => JSON.stringify(ix.key) === JSON.stringify({ at: -1 }));
  if (!at) {
    await col.createIndex({ at: -1 }, { name: "at_-1", expireAfterSeconds });
    return "created";
  }
  if (at.expireAfterSeconds === expireAfterSeconds) return "unchanged";
  await db.command({ collMod: COLLECTIONS.audit, index: { keyPattern: { at: -1 }, expireAfterSeconds } });
  return "updated";
}

/** claimflow's collections that have no secondary index (so no createIndex creates them). */
const INDEXLESS_OWN = [COLLECTIONS.counters, COLLECTIONS.checkpoints, COLLECTIONS.leases];

/**
 * Creates claimflow's own collections up front. Left to the first upsert, a collection is
 * created implicitly while the ledger's transactions run, and catalog changes racing open
 * transactions end in write-conflict retries (seen stalling the counter `$inc` for seconds).
 */
async function ensureOwnCollections(db: Db): Promise<void> {
  const existing = new Set(
    (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name as string),
  );
  for (const name of INDEXLESS_OWN) {
    if (existing.has(name)) continue;
    try {
      await db.createCollection(name);
    } catch (err) {
      // 48 NamespaceExists: another processor created it first.
      if (!(err instanceof MongoServerError && err.code === 48)) throw err;
    }
  }
}

export interface IndexReport {
  readonly created: string[];
  readonly existing: string[];
}

/** Idempotent: creates what is missing, reports what was there; never drops anything. */
export async function ensureIndexes(
  db: Db,
  opts: { includeInputCollections: boolean },
): Promise<IndexReport> {
  const defs = opts.includeInputCollections ? [...OWN_INDEXES, ...INPUT_INDEXES] : OWN_INDEXES;
  const report: IndexReport = { created: [], existing: [] };
  await ensureOwnCollections(db);
  const byCollection = new Map<string, IndexDef[]>();
  for (const d of defs) byCollection.set(d.collection, [...(byCollection.get(d.collection) ?? []), d]);
  for (const [collection, list] of byCollection) {
    const current = await db
      .collection(collection)
      .listIndexes()
      .toArray()
      .catch((err: unknown) => {
        // NamespaceNotFound: the collection does not exist yet; createIndex will create it.
        if (err instanceof MongoServerError && err.code === 26) return [];
        throw err;
      });
    for (const def of list) {
      const label = `${collection}.${def.name}`;
      const sameKey = current.find((ix) => JSON.stringify(ix.key) === JSON.stringify(def.key));
      if (sameKey && Boolean(sameKey.unique) === Boolean(def.options?.unique)) {
        report.existing.push(label);
        continue;
      }
      try {
        await db
          .collection(collection)
          .createIndex(def.key as IndexSpecification, { ...def.options, name: def.name });
        report.created.push(label);
      } catch (err) {
        // 85 IndexOptionsConflict, 86 IndexKeySpecsConflict: someone made a different index by hand.
        if (err instanceof MongoServerError && (err.code === 85 || err.code === 86)) {
          throw new IndexConflictError(collection, def.name, err.codeName ?? `code ${err.code}`, {
            cause: err,
          });
        }
        throw err;
      }
    }
  }
  return report;
}
