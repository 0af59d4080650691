// Collection names, fixed by SPEC section 2 so ops tooling (runbook queries, roles, dashboards)
// can rely on them.
export const COLLECTIONS = {
  claims: "claim_detail",
  patients: "patient",
  clients: "client",
  npis: "npi",
  history: "processing_history",
  batches: "edi_batches",
  checkpoints: "stream_checkpoints",
  counters: "edi_counters",
  deadLetters: "dead_letters",
  audit: "audit_log",
  leases: "stream_leases",
  acknowledgements: "acknowledgements",
  /** One document per stream name: operator controls (pause) the active processor obeys. */
  controls: "stream_controls",
  /** `claimflow backfill` requests, carried out once by the stream's active processor. */
  backfills: "stream_backfills",
} as const;
