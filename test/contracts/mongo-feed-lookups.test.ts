// The change-feed and lookups contracts against MongoDB on a real replica set (the in-memory
// twins run the same suites in memory-feed-lookups.test.ts).
import { describe } from "vitest";
import { COLLECTIONS } from "../../src/mongo/collections.js";
import { MongoChangeFeed } from "../../src/mongo/mongo-change-feed.js";
import { MongoLookups } from "../../src/mongo/mongo-lookups.js";
import { contractMongo } from "./contract-mongo.js";
import { changeFeedContract, lookupsContract } from "./feed-lookups-contracts.js";

const m = await contractMongo();
const freshDb = (prefix: string) => (m as NonNullable<typeof m>).freshDb(prefix, { indexes: "none" });

describe.skipIf(!m)("MongoDB ports", () => {
  changeFeedContract("mongodb", async () => {
    const db = await freshDb("feed");
    const claims = db.collection(COLLECTIONS.claims);
    // The collection exists before the first watch, as it does in production.
    await db.createCollection(COLLECTIONS.claims);
    return {
      feed: new MongoChangeFeed(db, { streamName: "contract", maxAwaitTimeMs: 100 }),
      insert: async (doc) => {
        await claims.insertOne({ ...doc });
      },
      update: async (n, set) => {
        await claims.updateOne({ claim_number: n }, { $set: set });
      },
      delete: async (n) => {
        await claims.deleteOne({ claim_number: n });
      },
      drop: async () => {
        await claims.drop();
      },
    };
  });

  lookupsContract("mongodb", async () => {
    const db = await freshDb("lookups");
    return {
      lookups: new MongoLookups(db),
      seed: async ({ patients = [], clients = [], npis = [] }) => {
        if (patients.length > 0)
          await db.collection(COLLECTIONS.patients).insertMany(patients.map((d) => ({ ...d })));
        if (clients.length > 0)
          await db.collection(COLLECTIONS.clients).insertMany(clients.map((d) => ({ ...d })));
        if (npis.length > 0) await db.collection(COLLECTIONS.npis).insertMany(npis.map((d) => ({ ...d })));
      },
    };
  });
});
