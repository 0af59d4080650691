// The acknowledgement-store contract against MongoDB on a real replica set (the in-memory twin
// runs the same suite in memory-ack-store-contract.test.ts).
import { describe } from "vitest";
import { COLLECTIONS } from "../../src/mongo/collections.js";
import { MongoAckStore } from "../../src/mongo/mongo-ack-store.js";
import { MongoLedger } from "../../src/mongo/mongo-ledger.js";
import { ackStoreContract } from "./ack-store-contract.js";
import { contractMongo } from "./contract-mongo.js";

const m = await contractMongo();

describe.skipIf(!m)("MongoDB ports", () => {
  ackStoreContract("mongodb", async () => {
    const { client, freshDb } = m as NonNullable<typeof m>;
    const db = await freshDb("acks");
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
