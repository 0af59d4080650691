// Building blocks shared by the benches and the crash test: a fresh database with claimflow's
// indexes and the reference documents of a synthetic data set, the processor's environment,
// and a change-stream position taken before the claims are inserted.
import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Db, MongoClient } from "mongodb";
import { COLLECTIONS } from "../../src/mongo/collections.js";
import { ensureIndexes } from "../../src/mongo/indexes.js";
import { MongoCheckpointStore } from "../../src/mongo/mongo-checkpoint-store.js";
import type { ResumeToken } from "../../src/ports/change-feed.js";
import { writeSynthetic } from "../../src/seed/seed-database.js";
import type { SyntheticData } from "../../src/seed/synthetic.js";

export interface Scenario {
  readonly db: Db;
  readonly dbName: string;
  readonly outputDir: string;
}

/** A new database (indexes on our and the input collections) and an empty output directory. */
export async function freshScenario(client: MongoClient, prefix: string): Promise<Scenario> {
  const dbName = `${prefix}_${randomBytes(4).toString("hex")}`;
  const db = client.db(dbName);
  await ensureIndexes(db, { includeInputCollections: true });
  const outputDir = await mkdtemp(join(tmpdir(), `claimflow-${prefix}-`));
  return { db, dbName, outputDir };
}

/** Clients, NPIs and patients of `data` (not its claims). */
export async function writeReferenceData(db: Db, data: SyntheticData): Promise<void> {
  await writeSynthetic(db, { ...data, claims: [] });
}

/** Inserts claims in chunks (unordered), as an upstream system writing in bulk would. */
export async function insertClaims(
  db: Db,
  claims: readonly Record<string, unknown>[],
  chunk = 1000,
): Promise<void> {
  for (let i = 0; i < claims.length; i += chunk) {
    await db.collection(COLLECTIONS.claims).insertMany(claims.slice(i, i + chunk), { ordered: false });
  }
}

/**
 * The post-batch resume token of an idle change stream on claim_detail: a position at or after
 * every write so far and before every later one.
 */
export async function currentStreamToken(db: Db): Promise<ResumeToken> {
  const stream = db.collection(COLLECTIONS.claims).watch([], { maxAwaitTimeMS: 50 });
  try {
    await stream.tryNext();
    const token = stream.resumeToken as ResumeToken | null;
    if (!token) throw new Error("the change stream returned no post-batch resume token");
    return token;
  } finally {
    await stream.close();
  }
}

/** Stores `token` as the stream's checkpoint, so the processor resumes right after it. */
export async function storeCheckpoint(db: Db, streamName: string, token: ResumeToken): Promise<void> {
  await new MongoCheckpointStore(db).save({ streamName, token, updatedAt: new Date(), source: "bench" });
}

/** Every EDI_* variable the processor child gets; nothing leaks in from the caller's environment. */
export function processorEnv(
  uri: string,
  s: Scenario,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    EDI_MONGODB_URI: uri,
    EDI_DATABASE_NAME: s.dbName,
    EDI_OUTPUT_DIR: s.outputDir,
    EDI_METRICS_PORT: "0",
    EDI_LOG_LEVEL: "info",
    EDI_STREAM_NAME: "bench",
    ...overrides,
  };
}
