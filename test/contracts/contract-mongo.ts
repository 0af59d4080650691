// One replica set per contract test file, and a fresh database per world: the MongoDB side of
// every port contract suite.
import { type Db, MongoClient } from "mongodb";
import { afterAll } from "vitest";
import { ensureIndexes } from "../../src/mongo/indexes.js";
import { startTestMongo } from "../support/mongo.js";

export interface ContractMongo {
  readonly client: MongoClient;
  /** A new database with claimflow's indexes (and the input ones when asked). */
  freshDb(prefix: string, opts?: { indexes?: "none" | "own" | "all" }): Promise<Db>;
}

/** Starts the replica set (undefined when none can be had: the suite is then skipped, loudly). */
export async function contractMongo(): Promise<ContractMongo | undefined> {
  const mongo = await startTestMongo();
  const client = mongo ? await MongoClient.connect(mongo.uri) : undefined;
  afterAll(async () => {
    await client?.close();
    await mongo?.stop();
  });
  if (!mongo || !client) return undefined;
  return {
    client,
    freshDb: async (prefix, opts = {}) => {
      const db = client.db(mongo.dbName(prefix));
      const indexes = opts.indexes ?? "all";
      if (indexes !== "none") await ensureIndexes(db, { includeInputCollections: indexes === "all" });
      return db;
    },
  };
}
