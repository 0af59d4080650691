// Writes synthetic data into a database (CLI `seed`, the embedded demo, benchmarks): upserts
// reference documents, inserts claims in chunks so large seeds stay fast and bounded.
import type { Db } from "mongodb";
import { generate, type SyntheticData, type SyntheticOptions } from "./synthetic.js";

const CHUNK = 1000;

export interface SeedResult {
  readonly claims: number;
  readonly patients: number;
  readonly clients: number;
  readonly npis: number;
}

export async function writeSynthetic(db: Db, data: SyntheticData): Promise<SeedResult> {
  const upsertAll = async (collection: string, key: string, docs: Record<string, unknown>[]) => {
    for (let i = 0; i < docs.length; i += CHUNK) {
      const chunk = docs.slice(i, i + CHUNK);
      if (chunk.length === 0) continue;
      await db.collection(collection).bulkWrite(
        chunk.map((d) => ({ replaceOne: { filter: { [key]: d[key] }, replacement: d, upsert: true } })),
        { ordered: false },
      );
    }
  };
  await upsertAll("client", "client_id", data.clients);
  await upsertAll("npi", "npi", data.npis);
  await upsertAll("patient", "patient_id", data.patients);
  for (let i = 0; i < data.claims.length; i += CHUNK) {
    const chunk = data.claims.slice(i, i + CHUNK);
    if (chunk.length > 0) await db.collection("claim_detail").insertMany(chunk, { ordered: false });
  }
  return {
    claims: data.claims.length,
    patients: data.patients.length,
    clients: data.clients.length,
    npis: data.npis.length,
  };
}

/**
 * The field `claimflow seed` puts on every document it inserts: how `seed` tells its own rows
 * from real ones (the schemas strip unknown fields, so the processor never sees it).
 */
export const SEED_MARK_FIELD = "seeded_by_claimflow";

export interface InsertOnlyResult {
  /** Documents inserted, per collection. */
  readonly inserted: SeedResult;
  /** Reference documents (patients, clients, NPIs) that already existed and were left as they were. */
  readonly kept: { readonly patients: number; readonly clients: number; readonly npis: number };
}

/**
 * `claimflow seed`'s writer: inserts only, marking each document; a reference document whose
 * key already exists is left untouched (`$setOnInsert`), never replaced.
 */
export async function insertSynthetic(db: Db, data: SyntheticData): Promise<InsertOnlyResult> {
  const mark = (d: Record<string, unknown>) => ({ ...d, [SEED_MARK_FIELD]: true });
  const insertMissing = async (collection: string, key: string, docs: Record<string, unknown>[]) => {
    let inserted = 0;
    for (let i = 0; i < docs.length; i += CHUNK) {
      const chunk = docs.slice(i, i + CHUNK);
      if (chunk.length === 0) continue;
      const r = await db.collection(collection).bulkWrite(
        chunk.map((d) => ({
          updateOne: { filter: { [key]: d[key] }, update: { $setOnInsert: mark(d) }, upsert: true },
        })),
        { ordered: false },
      );
      inserted += r.upsertedCount;
    }
    return { inserted, kept: docs.length - inserted };
  };
  const clients = await insertMissing("client", "client_id", data.clients);
  const npis = await insertMissing("npi", "npi", data.npis);
  const patients = await insertMissing("patient", "patient_id", data.patients);
  for (let i = 0; i < data.claims.length; i += CHUNK) {
    const chunk = data.claims.slice(i, i + CHUNK).map(mark);
    if (chunk.length > 0) await db.collection("claim_detail").insertMany(chunk, { ordered: false });
  }
  return {
    inserted: {
      claims: data.claims.length,
      patients: patients.inserted,
      clients: clients.inserted,
      npis: npis.inserted,
    },
    kept: { patients: patients.kept, clients: clients.kept, npis: npis.kept },
  };
}

export async function seedDatabase(db: Db, opts: SyntheticOptions): Promise<SeedResult> {
  return writeSynthetic(db, generate(opts));
}
