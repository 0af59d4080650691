// The lease, checkpoint and dead-letter contracts against the in-memory twins.
import { systemClock } from "../../src/ports/clock.js";
import { MemoryCheckpointStore } from "../memory/memory-checkpoint-store.js";
import { MemoryDeadLetters } from "../memory/memory-dead-letters.js";
import { MemoryLeaseStore } from "../memory/memory-lease.js";
import { MemoryStreamControl } from "../memory/memory-stream-control.js";
import { stateContracts } from "./state-contracts.js";

stateContracts("memory", async () => ({
  leases: new MemoryLeaseStore(systemClock),
  checkpoints: new MemoryCheckpointStore(),
  deadLetters: new MemoryDeadLetters(),
  controls: new MemoryStreamControl(),
}));
