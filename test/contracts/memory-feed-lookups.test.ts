// The change-feed and lookups contracts against the in-memory twins.

import { MemoryClaimDetail } from "../memory/claim-detail.js";
import { MemoryChangeFeed } from "../memory/memory-change-feed.js";
import { MemoryLookups } from "../memory/memory-lookups.js";
import { changeFeedContract, lookupsContract } from "./feed-lookups-contracts.js";

changeFeedContract("memory", async () => {
  const coll = new MemoryClaimDetail();
  return {
    feed: new MemoryChangeFeed(coll, { awaitMs: 5 }),
    insert: async (doc) => {
      coll.insert(doc);
    },
    update: async (n, set) => {
      coll.update(n, set);
    },
    delete: async (n) => coll.delete(n),
    drop: async () => coll.drop(),
  };
});

lookupsContract("memory", async () => {
  const lookups = new MemoryLookups();
  return {
    lookups,
    seed: async ({ patients = [], clients = [], npis = [] }) => {
      lookups.insertPatients(patients);
      lookups.upsertClients(clients);
      lookups.upsertNpis(npis);
    },
  };
});
