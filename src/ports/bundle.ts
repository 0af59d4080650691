// Everything the pipeline needs from the outside world, as one value: main.ts builds it from
// MongoDB, the fast tests from the in-memory twins.
import type { AckStore } from "./acknowledgements.js";
import type { AuditLog } from "./audit-log.js";
import type { ChangeFeed } from "./change-feed.js";
import type { CheckpointStore } from "./checkpoint-store.js";
import type { ClaimStore } from "./claim-store.js";
import type { DeadLetterStore } from "./dead-letters.js";
import type { FileSink } from "./file-sink.js";
import type { LeaseStore } from "./lease.js";
import type { Ledger } from "./ledger.js";
import type { Lookups } from "./lookups.js";
import type { StatsSource } from "./stats.js";

export interface PipelinePorts {
  readonly feed: ChangeFeed;
  readonly claims: ClaimStore;
  readonly checkpoints: CheckpointStore;
  readonly ledger: Ledger;
  readonly lookups: Lookups;
  readonly deadLetters: DeadLetterStore;
  readonly sink: FileSink;
  readonly leases: LeaseStore;
  readonly audit: AuditLog;
  readonly stats?: StatsSource | undefined;
  /** Acknowledgements (TA1 / 999 / 277CA); the processor and `acks`/`claims`/`status` read them. */
  readonly acks?: AckStore | undefined;
}
