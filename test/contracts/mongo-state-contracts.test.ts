// The lease, checkpoint and dead-letter contracts against MongoDB on a real replica set (the
// in-memory twins run the same suites in memory-state-contracts.test.ts).
import { MongoClient } from "mongodb";
import { afterAll, describe } from "vitest";
import { ensureIndexes } from "../../src/mongo/indexes.js";
import { MongoCheckpointStore } from "../../src/mongo/mongo-checkpoint-store.js";
import { MongoDeadLetters } from "../../src/mongo/mongo-dead-letters.js";
import { MongoLeaseStore } from "../../src/mongo/mongo-lease-store.js";
import { startTestMongo } from "../support/mongo.js";
import { stateContracts } from "./state-contracts.js";

const mongo = await startTestMongo();
const client = mongo ? await MongoClient.connect(mongo.uri) : undefined;
afterAll(async () => {
  await client?.close();
  await mongo?.stop();
});

describe.skipIf(!mongo)("MongoDB ports", () => {
  stateContracts("mongodb", async () => {
    if (!mongo || !client) throw new Error("no mongod");
    const db = client.db(mongo.dbName("state"));
    await ensureIndexes(db, { includeInputCollections: false });
    return {
      leases: new MongoLeaseStore(db),
      checkpoints: new MongoCheckpointStore(db),
      deadLetters: new MongoDeadLetters(db),
    };
  });
});
