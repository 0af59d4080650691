// The lease, checkpoint and dead-letter contracts against MongoDB on a real replica set (the
// in-memory twins run the same suites in memory-state-contracts.test.ts).
import { describe } from "vitest";
import { MongoCheckpointStore } from "../../src/mongo/mongo-checkpoint-store.js";
import { MongoDeadLetters } from "../../src/mongo/mongo-dead-letters.js";
import { MongoLeaseStore } from "../../src/mongo/mongo-lease-store.js";
import { MongoStreamControl } from "../../src/mongo/mongo-stream-control.js";
import { contractMongo } from "./contract-mongo.js";
import { stateContracts } from "./state-contracts.js";

const m = await contractMongo();

describe.skipIf(!m)("MongoDB ports", () => {
  stateContracts("mongodb", async () => {
    const db = await (m as NonNullable<typeof m>).freshDb("state", { indexes: "own" });
    return {
      leases: new MongoLeaseStore(db),
      checkpoints: new MongoCheckpointStore(db),
      deadLetters: new MongoDeadLetters(db),
      controls: new MongoStreamControl(db),
    };
  });
});
