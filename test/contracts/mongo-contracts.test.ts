// The port contracts against MongoDB on a real replica set (the in-memory twins run the same
// suite in memory-contracts.test.ts), plus what only MongoDB has: legacy raw-sender counters.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MongoClient } from "mongodb";
import { afterAll, describe, expect, it } from "vitest";
import { COLLECTIONS } from "../../src/mongo/collections.js";
import { ensureIndexes } from "../../src/mongo/indexes.js";
import { MongoClaimStore } from "../../src/mongo/mongo-claim-store.js";
import { MongoLedger } from "../../src/mongo/mongo-ledger.js";
import { FsFileSink } from "../../src/sink/fs-file-sink.js";
import { startTestMongo } from "../support/mongo.js";
import { portContracts } from "./port-contracts.js";

const mongo = await startTestMongo();
const client = mongo ? await MongoClient.connect(mongo.uri) : undefined;
afterAll(async () => {
  await client?.close();
  await mongo?.stop();
});

async function freshDb() {
  if (!mongo || !client) throw new Error("no mongod");
  const db = client.db(mongo.dbName("contract"));
  await ensureIndexes(db, { includeInputCollections: true });
  return db;
}

describe.skipIf(!mongo)("MongoDB ports", () => {
  portContracts("mongodb", async () => {
    const db = await freshDb();
    return {
      ledger: new MongoLedger(client as MongoClient, db),
      claims: new MongoClaimStore(db),
      sink: new FsFileSink(await mkdtemp(join(tmpdir(), "cf-contract-"))),
      seedClaims: async (docs) => {
        await db.collection(COLLECTIONS.claims).insertMany(docs.map((d) => ({ ...d })));
      },
    };
  });

  it("a sender key starts above every legacy raw-sender counter that renders to it", async () => {
    const db = await freshDb();
    await db.collection<{ _id: string; seq: number }>(COLLECTIONS.counters).insertMany([
      { _id: "isa:acme pharm", seq: 41 },
      { _id: "isa:ACME PHARM", seq: 17 },
      { _id: "isa:ACME PHARMACY", seq: 900 },
    ]);
    const ledger = new MongoLedger(client as MongoClient, db);
    expect(await ledger.nextControlNumber("ZZ:ACME PHARM     ")).toBe(42);
    expect(await ledger.nextControlNumber("ZZ:ACME PHARM     ")).toBe(43);
  });
});
