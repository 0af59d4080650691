// Every metric of SPEC section 6, on a registry of its own (so tests and the CLI can build as
// many as they like). Names carry the `claimflow_` prefix; Node defaults are included.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** Ready-to-file latency spans sub-second (small windows) to minutes (backlog after a restart). */
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 7.5, 10, 15, 30, 60, 120, 300, 600];
const BATCH_SIZE_BUCKETS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];
const ENRICH_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export const CIRCUIT_STATE = { closed: 0, halfOpen: 1, open: 2 } as const;

/**
 * prom-client defaults that break the exposition conventions (`promtool check metrics`: a gauge
 * must not end in `_total`). Each is the sum of its by-type sibling (`..._active_handles`), so
 * nothing is lost by dropping them.
 */
const NONCONFORMING_DEFAULTS = [
  "claimflow_nodejs_active_handles_total",
  "claimflow_nodejs_active_requests_total",
  "claimflow_nodejs_active_resources_total",
];

export class Metrics {
  readonly registry = new Registry();
  readonly eventsReceived: Counter<"operation">;
  readonly eventsSkipped: Counter<"reason">;
  readonly claimsEmitted: Counter;
  readonly claimsDuplicate: Counter;
  readonly claimsDeadLettered: Counter<"reason">;
  readonly batches: Counter<"outcome">;
  readonly batchSize: Histogram;
  readonly readyToFileLatency: Histogram;
  readonly enrichmentLatency: Histogram;
  readonly streamLag: Gauge;
  readonly checkpointAge: Gauge;
  readonly bufferedClaims: Gauge;
  readonly openWindows: Gauge;
  readonly mongoErrors: Counter<"operation">;
  readonly tokenLost: Counter;
  readonly restarts: Counter<"reason">;
  readonly circuitState: Gauge;
  readonly outputErrors: Counter<"code">;
  readonly outputWritesBlocked: Gauge;
  readonly oplogWindow: Gauge;
  readonly checkpointHeadroom: Gauge;
  readonly reservedBatches: Gauge;
  readonly oldestReservedBatchAge: Gauge;
  readonly deadLetters: Gauge;
  readonly readyBacklog: Gauge;
  readonly lastFileTimestamp: Gauge;
  readonly streaming: Gauge;
  readonly phiEncryptionEnabled: Gauge;
  /** Acknowledgements (SPEC section 9), sampled from `acknowledgements` by the processor. */
  readonly acknowledgements: Gauge<"kind" | "result">;
  readonly ackRejectedClaims: Gauge<"category">;
  readonly ackUnmatched: Gauge;
  readonly filesUnacknowledged: Gauge;
  readonly leaseActive: Gauge;
  readonly groupFilterDisagreements: Counter;
  readonly inputIndexMissing: Gauge<"collection" | "index">;
  readonly paused: Gauge;
  readonly catchUpScanned: Gauge;
  readonly catchUpTotal: Gauge;
  readonly backfillRunning: Gauge;
  readonly backfillTotal: Gauge;
  readonly backfillScanned: Gauge;
  readonly backfillBilled: Gauge;
  readonly backfills: Counter<"outcome">;

  /**
   * `stream` (EDI_STREAM_NAME) becomes a default label of the registry, so every series this
   * process exports (Node defaults included) says which processor it comes from: N processors
   * behind one job are told apart without relying on `instance`. Database-wide gauges (oplog
   * window, dead letters, reserved batches, acknowledgements) carry it too and hold the same
   * figure on every processor: aggregate them with `max`, never `sum` (README, Metrics).
   */
  constructor(opts: { collectDefaults?: boolean; stream?: string } = {}) {
    if (opts.stream !== undefined) this.registry.setDefaultLabels({ stream: opts.stream });
    const registers = [this.registry];
    if (opts.collectDefaults !== false) {
      collectDefaultMetrics({ register: this.registry, prefix: "claimflow_" });
      for (const name of NONCONFORMING_DEFAULTS) this.registry.removeSingleMetric(name);
    }
    this.eventsReceived = new Counter({
      name: "claimflow_events_received_total",
      help: "Change events and catch-up documents read, by operation (insert, update, replace, scan, ...)",
      labelNames: ["operation"],
      registers,
    });
    this.eventsSkipped = new Counter({
      name: "claimflow_events_skipped_total",
      help: "Events read but not billed, by reason (not_ready, document_deleted, delete, drop, rename, ...)",
      labelNames: ["reason"],
      registers,
    });
    this.claimsEmitted = new Counter({
      name: "claimflow_claims_emitted_total",
      help: "Claim versions written to an 837 file",
      registers,
    });
    this.claimsDuplicate = new Counter({
      name: "claimflow_claims_duplicate_total",
      help: "Claim versions dropped because they were already emitted (idempotency)",
      registers,
    });
    this.claimsDeadLettered = new Counter({
      name: "claimflow_claims_dead_lettered_total",
      help: "Claim versions sent to dead_letters, by reason",
      labelNames: ["reason"],
      registers,
    });
    this.batches = new Counter({
      name: "claimflow_batches_total",
      help: "837 batches by outcome (written, recovered, empty, failed)",
      labelNames: ["outcome"],
      registers,
    });
    this.batchSize = new Histogram({
      name: "claimflow_batch_size_claims",
      help: "Claims per written 837 file",
      buckets: BATCH_SIZE_BUCKETS,
      registers,
    });
    this.readyToFileLatency = new Histogram({
      name: "claimflow_ready_to_file_latency_seconds",
      help: "Time from a claim's change event (cluster time) to its file being durable",
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.enrichmentLatency = new Histogram({
      name: "claimflow_enrichment_latency_seconds",
      help: "Time spent on the batched patient/client/npi lookups of one batch",
      buckets: ENRICH_BUCKETS,
      registers,
    });
    this.streamLag = new Gauge({
      name: "claimflow_stream_lag_seconds",
      help: "Age of the cluster time of the last change event read",
      registers,
    });
    this.checkpointAge = new Gauge({
      name: "claimflow_checkpoint_age_seconds",
      help: "Seconds since the stored resume token was last advanced",
      registers,
    });
    this.bufferedClaims = new Gauge({
      name: "claimflow_buffered_claims",
      help: "Claims read but not yet durably batched, skipped or dead-lettered (bounded by EDI_MAX_IN_FLIGHT)",
      registers,
    });
    this.openWindows = new Gauge({
      name: "claimflow_open_windows",
      help: "(group_id, client_id) windows currently buffering claims",
      registers,
    });
    this.mongoErrors = new Counter({
      name: "claimflow_mongo_errors_total",
      help: "MongoDB operation failures (each failed attempt, retried or not), by operation: change_stream, checkpoint, stats, orphan_sweep and the batch path (history_lookup, enrich, dead_letter, control_number, reserve, mark_written, mark_billed, audit, recovery)",
      labelNames: ["operation"],
      registers,
    });
    this.tokenLost = new Counter({
      name: "claimflow_token_lost_total",
      help: "Resume tokens found unusable (history lost / token not found)",
      registers,
    });
    this.restarts = new Counter({
      name: "claimflow_stream_restarts_total",
      help: "Change stream restarts, by reason (transient, invalidate, token_lost)",
      labelNames: ["reason"],
      registers,
    });
    this.circuitState = new Gauge({
      name: "claimflow_circuit_state",
      help: "MongoDB circuit breaker: 0 closed, 1 half-open, 2 open",
      registers,
    });
    // The output disk is not MongoDB: its failures never count in the circuit.
    this.outputErrors = new Counter({
      name: "claimflow_output_errors_total",
      help: "Output file writes that failed and are retried, by errno code (ENOSPC, EROFS, EACCES, ...)",
      labelNames: ["code"],
      registers,
    });
    this.outputWritesBlocked = new Gauge({
      name: "claimflow_output_writes_blocked",
      help: "File writes currently retrying because the output directory refuses them",
      registers,
    });
    this.oplogWindow = new Gauge({
      name: "claimflow_oplog_window_seconds",
      help: "Age of the oldest entry in local.oplog.rs (how far back a resume token can reach)",
      registers,
    });
    this.checkpointHeadroom = new Gauge({
      name: "claimflow_checkpoint_headroom_seconds",
      help: "Oplog window minus checkpoint age: time left before the stored token falls off the oplog",
      registers,
    });
    this.reservedBatches = new Gauge({
      name: "claimflow_reserved_batches",
      help: "Batches reserved in the ledger but not yet written (non-zero only briefly, or after a crash)",
      registers,
    });
    this.oldestReservedBatchAge = new Gauge({
      name: "claimflow_oldest_reserved_batch_age_seconds",
      help: "Age of the oldest batch still reserved, any stream (0 when none); minutes means one is stuck",
      registers,
    });
    this.deadLetters = new Gauge({
      name: "claimflow_dead_letters",
      help: "Rows currently in dead_letters",
      registers,
    });
    this.readyBacklog = new Gauge({
      name: "claimflow_ready_backlog_claims",
      help: "Claims with status ready in claim_detail (sampled)",
      registers,
    });
    this.lastFileTimestamp = new Gauge({
      name: "claimflow_last_file_timestamp_seconds",
      help: "Unix time of the last 837 file written",
      registers,
    });
    this.streaming = new Gauge({
      name: "claimflow_streaming",
      help: "1 while the processor holds its lease and reads the change stream",
      registers,
    });
    this.phiEncryptionEnabled = new Gauge({
      name: "claimflow_phi_encryption_enabled",
      help: "1 when stored batch content is encrypted at rest (EDI_CONTENT_KEY set)",
      registers,
    });
    this.acknowledgements = new Gauge({
      name: "claimflow_acknowledgements",
      help: "Acknowledgement outcomes recorded (TA1 and 999 per batch, 277CA per claim version), by kind and result",
      labelNames: ["kind", "result"],
      registers,
    });
    this.ackRejectedClaims = new Gauge({
      name: "claimflow_ack_rejected_claims",
      help: "Claim versions a 277CA rejected, by claim status category (STC01-1: A3, A6, A7 …)",
      labelNames: ["category"],
      registers,
    });
    this.ackUnmatched = new Gauge({
      name: "claimflow_ack_unmatched",
      help: "Acknowledgement answers that matched nothing we sent (recorded with why)",
      registers,
    });
    this.filesUnacknowledged = new Gauge({
      name: "claimflow_files_unacknowledged",
      help: "Written 837 files (last 30 days) with no 999 after EDI_ACK_EXPECTED_WITHIN_HOURS",
      registers,
    });
    this.leaseActive = new Gauge({
      name: "claimflow_lease_active",
      help: "1 while this processor holds its stream's lease (the active one), 0 on a standby",
      registers,
    });
    this.groupFilterDisagreements = new Counter({
      name: "claimflow_group_filter_disagreements_total",
      help: "Claims MongoDB's $regex chose under EDI_GROUP_FILTER that JavaScript's RegExp did not match (billed all the same)",
      registers,
    });
    this.catchUpScanned = new Gauge({
      name: "claimflow_catchup_scanned_claims",
      help: "Ready claims the current (or last) catch-up scan has read so far",
      registers,
    });
    this.catchUpTotal = new Gauge({
      name: "claimflow_catchup_total_claims",
      help: "Ready claims the filter selected when the current (or last) catch-up scan began",
      registers,
    });
    this.backfillRunning = new Gauge({
      name: "claimflow_backfill_running",
      help: "1 while this processor carries out a `claimflow backfill` request, else 0",
      registers,
    });
    this.backfillTotal = new Gauge({
      name: "claimflow_backfill_total_claims",
      help: "Ready claims in the slice of the current (or last) backfill, counted when it began",
      registers,
    });
    this.backfillScanned = new Gauge({
      name: "claimflow_backfill_scanned_claims",
      help: "Claims of the current (or last) backfill's slice read so far",
      registers,
    });
    this.backfillBilled = new Gauge({
      name: "claimflow_backfill_billed_claims",
      help: "Claims the last finished backfill handed to the batch path that are now emitted",
      registers,
    });
    this.backfills = new Counter({
      name: "claimflow_backfills_total",
      help: "`claimflow backfill` requests this processor finished, by outcome (done, failed)",
      labelNames: ["outcome"],
      registers,
    });
    this.paused = new Gauge({
      name: "claimflow_paused",
      help: "1 while an operator has paused this processor's stream (`claimflow pause`), else 0",
      registers,
    });
    this.inputIndexMissing = new Gauge({
      name: "claimflow_input_index_missing",
      help: "1 while an input index claimflow relies on is missing (`claimflow indexes ensure` creates it), else 0",
      labelNames: ["collection", "index"],
      registers,
    });
  }
}
