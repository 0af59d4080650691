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

export async function seedDatabase(db: Db, opts: SyntheticOptions): Promise<SeedResult> {
  return writeSynthetic(db, generate(opts));
}
