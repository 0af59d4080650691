// The acknowledgement-store contract against the in-memory twin.

import { MemoryClaimDetail } from "../memory/claim-detail.js";
import { MemoryAckStore } from "../memory/memory-ack-store.js";
import { MemoryLedger } from "../memory/memory-ledger.js";
import { ackStoreContract } from "./ack-store-contract.js";

ackStoreContract("memory", async () => {
  const ledger = new MemoryLedger();
  const claims = new MemoryClaimDetail();
  return {
    store: new MemoryAckStore(ledger, claims),
    ledger,
    seedClaims: async (docs) => {
      claims.insertMany(docs);
    },
    readClaim: async (n) => claims.get(n),
  };
});
