// The acknowledgement-store contract against MongoDB on a real replica set (the in-memory twin
// runs the same suite in memory-ack-store-contract.test.ts).
import { MongoClient } from "mongodb";
import { afterAll, describe } from "vitest";
import { COLLECTIONS } from "../../src/mongo/collections.js";
import { ensureIndexes } from "../../src/mongo/indexes.js";
import { MongoAckStore } from "../../src/mongo/mongo-ack-store.js";
import { MongoLedger } from "../../src/mongo/mongo-ledger.js";
import { startTestMongo } from "../support/mongo.js";
import { ackStoreContract } from "./ack-store-contract.js";

const mongo = await startTestMongo();
const client = mongo ? await MongoClient.connect(mongo.uri) : undefined;
afterAll(async () => {
  await client?.close();
  await mongo?.stop();
});

describe.skipIf(!mongo)("MongoDB ports", () => {
  ackStoreContract("mongodb", async () => {
    if (!mongo || !client) throw new Error("no mongod");
    const db = client.db(mongo.dbName("acks"));
    await ensureIndexes(db, { includeInputCollections: true });
    return {
      store: new MongoAckStore(db),
      ledger: new MongoLedger(client, db),
      seedClaims: async (docs) => {
        await db.collection(COLLECTIONS.claims).insertMany(docs.map((d) => ({ ...d })));
      },
      readClaim: async (n) =>
        db.collection(COLLECTIONS.claims).findOne({ claim_number: n }, { projection: { _id: 0 } }),
    };
  });
});
