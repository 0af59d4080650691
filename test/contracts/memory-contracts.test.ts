// The port contracts against the in-memory twins.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FsFileSink } from "../../src/sink/fs-file-sink.js";
import { createMemoryPorts } from "../memory/memory-ports.js";
import { portContracts, sinkContract } from "./port-contracts.js";

portContracts("memory", async () => {
  const { ports, db } = createMemoryPorts();
  return {
    ledger: ports.ledger,
    claims: ports.claims,
    sink: ports.sink,
    seedClaims: async (docs) => {
      db.claims.insertMany(docs);
    },
  };
});
sinkContract("memory", async () => createMemoryPorts().ports.sink);
sinkContract("file system", async () => new FsFileSink(await mkdtemp(join(tmpdir(), "cf-contract-"))));
