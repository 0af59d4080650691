// The ops endpoints of a real processor (startProcessor, what `claimflow run` runs) on a real
// replica set, read over HTTP like Prometheus and a kubelet do: every SPEC section 6 figure
// moves with the work done (exact where the outcome is deterministic, checked against what
// MongoDB holds), /healthz is 200 throughout, /readyz is 503 while a processor waits for the
// lease and 200 while it streams, and `promtool check metrics` accepts the real scrape.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Db, MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProcessorHandle, startProcessor } from "../../src/app/processor.js";
import { type Config, loadConfig } from "../../src/config.js";
import { ensureIndexes } from "../../src/mongo/indexes.js";
import { createLogger } from "../../src/observability/logger.js";
import { Metrics } from "../../src/observability/metrics.js";
import { writeSynthetic } from "../../src/seed/seed-database.js";
import { generate, makeClient, makeInvalidClaims, prng } from "../../src/seed/synthetic.js";
import { runTool, toolOutput } from "../ops/tools.js";
import { countEmitted } from "../support/emitted.js";
import { startTestMongo, type TestMongo } from "../support/mongo.js";
import { pick, probe, type Scrape, scrape, waitFor } from "./scrape.js";

const mongo = await startTestMongo();

const STREAM = "metrics-e2e";
/** Long enough that every event of one insertMany lands in its window before it closes. */
const WINDOW_MS = 3000;
/** startProcessor's fixed cadence for the gauges read from MongoDB (Engine statsIntervalMs). */
const STATS_INTERVAL_MS = 15_000;
/** The lease TTL startProcessor uses: a standby retries every third of it. */
const LEASE_RETRY_MS = 5_000;

const VALID = 30;
const GROUPS = 3;
const CLIENTS = 2;

/** Every claim inserted, and where each invalid one must end. */
interface Work {
  readonly inserted: number;
  readonly deadLettered: Record<string, number>;
  /** Claims that reach a window (valid, or failing only at enrichment). */
  readonly windowed: number;
  /** Distinct (group, client) windows those claims open. */
  readonly windows: number;
  /** Windows whose every claim is dead-lettered at enrichment: flushed, nothing written. */
  readonly emptyWindows: number;
}

const counter = (s: Scrape, name: string, labels?: Record<string, string>) => s.value(name, labels) ?? 0;

describe.skipIf(!mongo)("processor metrics and health endpoints on a real replica set", () => {
  const m = mongo as TestMongo;
  let client: MongoClient;
  let db: Db;
  let out: string;
  let config: Config;
  let a: ProcessorHandle | undefined;
  let b: ProcessorHandle | undefined;
  let work: Work;
  let insertedAt: number;
  /** Scrapes kept for the promtool check and the comparisons between phases. */
  let idle: Scrape;
  let afterWork: Scrape;
  let refreshed: Scrape;

  beforeAll(async () => {
    client = await MongoClient.connect(m.uri, { writeConcern: { w: "majority" } });
    db = client.db(m.dbName("metrics"));
    out = await mkdtemp(join(tmpdir(), "claimflow-metrics-"));
    await ensureIndexes(db, { includeInputCollections: true });
    config = loadConfig({
      EDI_MONGODB_URI: m.uri,
      EDI_DATABASE_NAME: db.databaseName,
      EDI_OUTPUT_DIR: out,
      EDI_METRICS_PORT: "0",
      EDI_STREAM_NAME: STREAM,
      EDI_WINDOW_MS: String(WINDOW_MS),
      EDI_BATCH_SIZE: "100",
      EDI_CHECKPOINT_INTERVAL_MS: "200",
      EDI_SHUTDOWN_TIMEOUT_MS: "15000",
      EDI_TIMEOUT_MS: "20000",
    });
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.dropDatabase().catch(() => undefined);
    await client?.close();
    if (out) await rm(out, { recursive: true, force: true });
    await m.stop();
  });

  function start(): Promise<ProcessorHandle> {
    return startProcessor(config, {
      logger: createLogger(process.env.TEST_LOG === undefined ? "silent" : "debug"),
      metrics: new Metrics(),
    });
  }

  it("answers /healthz at once, /readyz 503 while a crashed processor's lease is live, 200 once streaming", async () => {
    // A processor that died without releasing its lease: the next one must wait it out.
    await db
      .collection<{ _id: string; holder: string; expires_at: Date; renewed_at: Date }>("stream_leases")
      .insertOne({
        _id: STREAM,
        holder: "crashed-host:4242",
        expires_at: new Date(Date.now() + 1000),
        renewed_at: new Date(),
      });
    a = await start();
    const port = a.metricsPort;
    expect(port).toBeGreaterThan(0);

    expect(await probe(port, "/healthz")).toEqual({ status: 200, body: { status: "ok" } });
    // A hot standby is ready (a rolling update must not deadlock on it); the gauge and `role` say
    // it is not the active one.
    await waitFor(
      "the standby to poll the lease",
      async () => (await probe(port, "/readyz")).status === 200,
      LEASE_RETRY_MS * 2,
    );
    expect(await probe(port, "/readyz")).toEqual({ status: 200, body: { status: "ready", role: "standby" } });
    const standby = await scrape(port);
    expect(standby.get("claimflow_lease_active")).toBe(0);
    expect(standby.get("claimflow_streaming")).toBe(0);
    expect(standby.get("claimflow_claims_emitted_total")).toBe(0);

    await waitFor(
      "the lease",
      async () => (await scrape(port)).get("claimflow_lease_active") === 1,
      LEASE_RETRY_MS * 4,
    );
    await waitFor("/readyz 200 active", async () => (await probe(port, "/readyz")).status === 200, 10_000);
    expect(await probe(port, "/readyz")).toEqual({ status: 200, body: { status: "ready", role: "active" } });
    expect(await probe(port, "/healthz")).toEqual({ status: 200, body: { status: "ok" } });

    // Ready comes with the lease (a catch-up scan is ready too); the gauge follows once the
    // change stream is open, a moment later on a loaded machine.
    await waitFor(
      "the change stream open",
      async () => (await scrape(port)).get("claimflow_streaming") === 1,
      10_000,
    );
    idle = await scrape(port);
    expect(idle.get("claimflow_streaming")).toBe(1);
    expect(idle.get("claimflow_circuit_state")).toBe(0);
    expect(idle.byLabel("claimflow_events_received_total", "operation")).toEqual({});
    expect(idle.get("claimflow_claims_emitted_total")).toBe(0);
    expect(idle.byLabel("claimflow_batches_total", "outcome")).toEqual({});
    expect(idle.get("claimflow_batch_size_claims_count")).toBe(0);
    expect(idle.get("claimflow_ready_to_file_latency_seconds_count")).toBe(0);
    expect(idle.get("claimflow_buffered_claims")).toBe(0);
    expect(idle.get("claimflow_open_windows")).toBe(0);
  });

  it("counts events, windows, batches, emitted and dead-lettered claims exactly as the work happens", async () => {
    const port = (a as ProcessorHandle).metricsPort;
    const now = new Date();
    const data = generate({
      claims: VALID,
      groups: GROUPS,
      clients: CLIENTS,
      seed: 11,
      now,
      claimPrefix: "MX",
    });
    const [first, second] = data.claims as [Record<string, unknown>, Record<string, unknown>];
    const r = prng(5);
    // A patient that fails its schema, and a client that does: both fail at enrichment.
    const badPatient = { ...structuredClone(data.patients[1]), patient_id: "PMXBAD", dob: "not a date" };
    const badClient: Record<string, unknown> = { ...makeClient(CLIENTS, r), client_id: "CLIENTBROKEN" };
    delete badClient.isa;
    const invalid = [
      ...makeInvalidClaims(first, "MXBAD"),
      { ...structuredClone(second), claim_number: "MXBAD-BADPATIENT", patient_id: "PMXBAD" },
      { ...structuredClone(second), claim_number: "MXBAD-BADCLIENT", client_id: "CLIENTBROKEN" },
    ];
    await writeSynthetic(db, {
      ...data,
      patients: [...data.patients, badPatient],
      clients: [...data.clients, badClient],
      claims: [],
    });
    work = {
      inserted: VALID + invalid.length,
      deadLettered: {
        invalid_claim: 3, // BADNPI, BADTOTAL, NOPCCN: rejected by the claim schema, never windowed
        unsafe_keys: 1,
        patient_missing: 1,
        patient_invalid: 1,
        client_missing: 1,
        client_invalid: 1,
      },
      // valid + NOPATIENT, BADPATIENT (in valid claims' windows) + NOCLIENT, BADCLIENT (own windows)
      windowed: VALID + 4,
      windows: GROUPS * CLIENTS + 2,
      emptyWindows: 2,
    };

    insertedAt = Date.now();
    await db.collection("claim_detail").insertMany([...data.claims, ...invalid]);

    // While the windows are open: every windowed claim is buffered, one window per key.
    await waitFor(
      "all claims read and buffered",
      async () => {
        const s = await scrape(port);
        return (
          counter(s, "claimflow_events_received_total", { operation: "insert" }) === work.inserted &&
          s.get("claimflow_buffered_claims") === work.windowed
        );
      },
      WINDOW_MS,
    );
    const buffering = await scrape(port);
    expect(Date.now() - insertedAt, "windows closed before they could be observed open").toBeLessThan(
      WINDOW_MS,
    );
    expect(buffering.get("claimflow_open_windows")).toBe(work.windows);
    expect(buffering.get("claimflow_claims_emitted_total")).toBe(0);
    // Claims the schema rejects are dead-lettered on arrival, before any window closes.
    expect(buffering.byLabel("claimflow_claims_dead_lettered_total", "reason")).toEqual({
      invalid_claim: 3,
      unsafe_keys: 1,
    });
    expect(buffering.get("claimflow_stream_lag_seconds")).toBeGreaterThanOrEqual(0);
    expect(buffering.get("claimflow_stream_lag_seconds")).toBeLessThan(WINDOW_MS / 1000 + 1);

    await waitFor(
      "every window flushed",
      async () => {
        const s = await scrape(port);
        return s.get("claimflow_claims_emitted_total") === VALID && s.get("claimflow_buffered_claims") === 0;
      },
      WINDOW_MS * 4,
    );
    afterWork = await scrape(port);
    const s = afterWork;

    // What MongoDB holds is the truth the metrics must agree with.
    const batches = await db.collection("edi_batches").find({}).toArray();
    const emitted = await countEmitted(db);
    const deadRows = await db
      .collection("dead_letters")
      .aggregate<{ _id: string; n: number }>([{ $group: { _id: "$reason", n: { $sum: 1 } } }])
      .toArray();
    expect(emitted).toBe(VALID);
    expect(Object.fromEntries(deadRows.map((d) => [d._id, d.n]))).toEqual(work.deadLettered);
    expect(batches.every((x) => x.state === "written")).toBe(true);
    expect(batches).toHaveLength(GROUPS * CLIENTS);

    expect(s.byLabel("claimflow_events_received_total", "operation")).toEqual({ insert: work.inserted });
    // Our own billed marks are filtered on the server, never counted as skipped events.
    expect(s.byLabel("claimflow_events_skipped_total", "reason")).toEqual({});
    expect(s.get("claimflow_claims_emitted_total")).toBe(VALID);
    expect(s.get("claimflow_claims_duplicate_total")).toBe(0);
    expect(s.byLabel("claimflow_claims_dead_lettered_total", "reason")).toEqual(work.deadLettered);
    expect(s.byLabel("claimflow_batches_total", "outcome")).toEqual({
      written: batches.length,
      empty: work.emptyWindows,
    });

    // Batch sizes: count, sum and every bucket as the ledger's batches dictate.
    const sizes = batches.map((x) => x.claim_count as number);
    expect(s.get("claimflow_batch_size_claims_count")).toBe(batches.length);
    expect(s.get("claimflow_batch_size_claims_sum")).toBe(VALID);
    for (const le of ["1", "5", "10", "100", "+Inf"]) {
      const bound = le === "+Inf" ? Infinity : Number(le);
      expect(s.get("claimflow_batch_size_claims_bucket", { le }), `le=${le}`).toBe(
        sizes.filter((n) => n <= bound).length,
      );
    }

    // One latency observation per emitted claim, none faster than the window that held it.
    expect(s.get("claimflow_ready_to_file_latency_seconds_count")).toBe(VALID);
    expect(s.get("claimflow_ready_to_file_latency_seconds_bucket", { le: "2.5" })).toBe(0);
    expect(s.get("claimflow_ready_to_file_latency_seconds_bucket", { le: "+Inf" })).toBe(VALID);
    const meanLatency = s.get("claimflow_ready_to_file_latency_seconds_sum") / VALID;
    expect(meanLatency).toBeGreaterThanOrEqual(WINDOW_MS / 1000);
    expect(meanLatency).toBeLessThan((Date.now() - insertedAt) / 1000 + 1);
    // One batched lookup per flushed window.
    expect(s.get("claimflow_enrichment_latency_seconds_count")).toBe(work.windows);

    expect(s.get("claimflow_buffered_claims")).toBe(0);
    expect(s.get("claimflow_open_windows")).toBe(0);
    const lastFile = s.get("claimflow_last_file_timestamp_seconds");
    expect(lastFile).toBeGreaterThanOrEqual(Math.floor(insertedAt / 1000));
    expect(lastFile).toBeLessThanOrEqual(Date.now() / 1000);
    expect(s.get("claimflow_checkpoint_age_seconds")).toBeGreaterThanOrEqual(0);
    expect(s.get("claimflow_checkpoint_age_seconds")).toBeLessThan(5);
    expect(s.get("claimflow_circuit_state")).toBe(0);
    expect(s.get("claimflow_token_lost_total")).toBe(0);
    expect(s.byLabel("claimflow_stream_restarts_total", "reason")).toEqual({});
    expect(s.byLabel("claimflow_mongo_errors_total", "operation")).toEqual({});
    expect(await probe(port, "/readyz")).toEqual({ status: 200, body: { status: "ready", role: "active" } });
  });

  it("passes promtool check metrics on the real scrape", () => {
    const r = runTool("promtool", ["check", "metrics"], { input: afterWork.text });
    expect(r.status, toolOutput(r)).toBe(0);
    expect(`${r.stdout}${r.stderr}`.trim(), toolOutput(r)).toBe("");
  });

  it("names the stream on every series of the scrape, Node defaults included (issue 12 item 9)", () => {
    const samples = afterWork.text.split("\n").filter((l) => l.length > 0 && !l.startsWith("#"));
    expect(samples.length).toBeGreaterThan(50);
    expect(samples.filter((l) => !l.includes(`stream="${STREAM}"`))).toEqual([]);
    expect(samples.some((l) => l.startsWith("claimflow_process_cpu_seconds_total{"))).toBe(true);
  });

  it("refreshes the gauges read from MongoDB: dead letters, reserved batches, backlog, oplog window, headroom", async () => {
    const port = (a as ProcessorHandle).metricsPort;
    // Read once at start, before any work: nothing dead-lettered, reserved or waiting.
    expect(idle.get("claimflow_dead_letters")).toBe(0);
    expect(idle.get("claimflow_reserved_batches")).toBe(0);
    expect(idle.get("claimflow_ready_backlog_claims")).toBe(0);
    expect(afterWork.get("claimflow_dead_letters"), "refreshed before the work was done").toBe(0);

    // A batch another stream's processor reserved and never wrote (it crashed): visible here.
    await db.collection("edi_batches").insertOne({
      batch_id: "bcrashedother01",
      state: "reserved",
      stream_name: "other-stream",
      group_id: "GRP_009",
      client_id: "CLIENT009",
      sender_id: "CRASHEDSENDER",
      isa_control_number: 1,
      gs_control_number: 1,
      path: "GRP_009/CLIENT009/crashed.837",
      content: null,
      sha256: "0".repeat(64),
      claims: [],
      claim_count: 0,
      created_at: new Date(),
    });
    // The invalid claims stay `ready` (never billed): that is the backlog an operator sees.
    const backlog = await db.collection("claim_detail").countDocuments({ status: "ready" });
    expect(backlog).toBe(work.inserted - VALID);

    const deadLetters = Object.values(work.deadLettered).reduce((x, y) => x + y, 0);
    // One refresh sets the gauges one query after another: wait for all of them.
    const gauges = ["claimflow_reserved_batches", "claimflow_dead_letters", "claimflow_ready_backlog_claims"];
    let last: Scrape | undefined;
    await waitFor(
      "the next stats refresh to show 1 reserved batch, every dead letter and the backlog",
      async () => {
        last = await scrape(port);
        return (
          last.get("claimflow_reserved_batches") === 1 &&
          last.get("claimflow_dead_letters") === deadLetters &&
          last.get("claimflow_ready_backlog_claims") === backlog
        );
      },
      STATS_INTERVAL_MS + 10_000,
      () => pick(last, gauges),
    );
    refreshed = await scrape(port);
    const s = refreshed;
    const oplog = s.get("claimflow_oplog_window_seconds");
    // The oplog reaches back at least to the replica set's start, before this file's work.
    expect(oplog).toBeGreaterThan(idle.get("claimflow_oplog_window_seconds"));
    expect(oplog).toBeGreaterThanOrEqual((Date.now() - insertedAt) / 1000 - 1);
    const headroom = s.get("claimflow_checkpoint_headroom_seconds");
    // Headroom = oplog window − checkpoint age, and the checkpoint is kept fresh while idle.
    expect(headroom).toBeLessThanOrEqual(oplog);
    expect(headroom).toBeGreaterThan(oplog - 5);
    const checkpoint = await db.collection("stream_checkpoints").findOne({ _id: STREAM as never });
    expect(checkpoint).toMatchObject({ source: "processor" });
  });

  it("keeps a second processor on the same stream not ready while it waits for the lease, ready once it takes over", async () => {
    b = await start();
    const port = b.metricsPort;
    expect(port).not.toBe((a as ProcessorHandle).metricsPort);
    expect(await probe(port, "/healthz")).toEqual({ status: 200, body: { status: "ok" } });
    await waitFor(
      "the standby to poll the lease",
      async () => (await probe(port, "/readyz")).status === 200,
      LEASE_RETRY_MS * 2,
    );
    expect(await probe(port, "/readyz")).toEqual({ status: 200, body: { status: "ready", role: "standby" } });
    expect((await scrape(port)).get("claimflow_streaming")).toBe(0);
    expect((await scrape(port)).get("claimflow_lease_active")).toBe(0);
    expect((await scrape((a as ProcessorHandle).metricsPort)).get("claimflow_lease_active")).toBe(1);
    // The active one is unaffected.
    expect((await probe((a as ProcessorHandle).metricsPort, "/readyz")).status).toBe(200);

    const active = a as ProcessorHandle;
    await active.stop();
    expect(await active.exited).toBe(0);
    a = undefined;
    await expect(fetch(`http://127.0.0.1:${active.metricsPort}/healthz`)).rejects.toThrow();

    await waitFor(
      "the standby to take over",
      async () => (await scrape(port)).get("claimflow_lease_active") === 1,
      LEASE_RETRY_MS * 4,
    );
    await waitFor("/readyz 200 active", async () => (await probe(port, "/readyz")).status === 200, 10_000);
    await waitFor(
      "its first stats refresh",
      async () => (await scrape(port)).get("claimflow_dead_letters") > 0,
      5_000,
    );
    await waitFor(
      "its change stream open",
      async () => (await scrape(port)).get("claimflow_streaming") === 1,
      10_000,
    );
    const s = await scrape(port);
    expect(s.get("claimflow_streaming")).toBe(1);
    // It resumed after the stored token: nothing is read or written twice.
    expect(s.byLabel("claimflow_events_received_total", "operation")).toEqual({});
    expect(s.get("claimflow_claims_emitted_total")).toBe(0);
    expect(s.get("claimflow_dead_letters")).toBe(refreshed.get("claimflow_dead_letters"));
    expect(s.get("claimflow_reserved_batches")).toBe(1);
    const r = runTool("promtool", ["check", "metrics"], { input: s.text });
    expect(r.status, toolOutput(r)).toBe(0);
  });
});
