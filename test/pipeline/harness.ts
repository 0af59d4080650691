// Shared setup for the engine tests: an in-memory world seeded with synthetic data, an engine
// wired to it with small windows and short timers, and the checks every test ends with
// (each claim version in exactly one file, every file valid 837P).
import pino from "pino";
import { expect } from "vitest";
import { parseClaim } from "../../src/domain/claim.js";
import { render837 } from "../../src/edi/render.js";
import { interchangeSenderKey } from "../../src/edi/sender-key.js";
import { validate837 } from "../../src/edi/validate.js";
import { Metrics } from "../../src/observability/metrics.js";
import { batchPath } from "../../src/pipeline/batch-path.js";
import { sha256 } from "../../src/pipeline/batch-processor.js";
import { Engine, type EngineDeps, type EngineOptions } from "../../src/pipeline/engine.js";
import { Enricher } from "../../src/pipeline/enricher.js";
import type { PipelinePorts } from "../../src/ports/bundle.js";
import { type Clock, systemClock } from "../../src/ports/clock.js";
import type { BatchRecord } from "../../src/ports/ledger.js";
import { generate, type SyntheticData } from "../../src/seed/synthetic.js";
import { createMemoryPorts, type MemoryDb, type MemoryPortsOptions } from "../memory/memory-ports.js";

export const silentLogger = pino({ level: "silent" });

export interface World {
  readonly ports: PipelinePorts;
  readonly db: MemoryDb;
  readonly data: SyntheticData;
}

/** Reference data for `clients` clients; claims are seeded only when `claims` > 0. */
export function makeWorld(
  opts: {
    claims?: number;
    groups?: number;
    clients?: number;
    seed?: number;
    prefix?: string;
  } & MemoryPortsOptions = {},
): World {
  const { ports, db } = createMemoryPorts(opts);
  const data = generate({
    claims: opts.claims ?? 0,
    groups: opts.groups ?? 3,
    clients: opts.clients ?? 2,
    seed: opts.seed ?? 7,
    now: new Date(),
    claimPrefix: opts.prefix ?? "CLM",
  });
  db.seed(data);
  return { ports, db, data };
}

/** More ready claims for an existing world (distinct claim numbers via `prefix`). */
export function moreClaims(world: World, n: number, prefix: string, seed = 11): Record<string, unknown>[] {
  const extra = generate({ claims: n, groups: 3, clients: 2, seed, now: new Date(), claimPrefix: prefix });
  world.db.lookups.upsertPatients(extra.patients);
  return extra.claims;
}

export const baseOptions: EngineOptions = {
  streamName: "test",
  batchSize: 25,
  windowMs: 30,
  maxInFlight: 500,
  checkpointIntervalMs: 40,
  markBilled: true,
  onTokenLost: "rescan",
  shutdownTimeoutMs: 5_000,
  leaseTtlMs: 3_000,
  statsIntervalMs: 200,
  scanPageSize: 40,
  resilience: { initialDelayMs: 2, maxDelayMs: 20, breakAfter: 50, halfOpenAfterMs: 50 },
  holder: "test-processor",
};

export interface Running {
  readonly engine: Engine;
  readonly metrics: Metrics;
}

export async function startEngine(
  ports: PipelinePorts,
  overrides: Partial<EngineOptions> = {},
  opts: { clock?: Clock; waitStreaming?: boolean; render?: EngineDeps["render"] } = {},
): Promise<Running> {
  const metrics = new Metrics({ collectDefaults: false });
  const clock = opts.clock ?? systemClock;
  const engine = new Engine(
    { ...baseOptions, ...overrides },
    { ports, metrics, logger: silentLogger, clock, ...(opts.render ? { render: opts.render } : {}) },
  );
  await engine.start();
  // Writes made before the stream's start time would be found by the catch-up scan and, at
  // exactly T0, once more by the stream (startAtOperationTime is inclusive; the ledger drops
  // the repeat). Tests that count events write only once the source is streaming.
  if (opts.waitStreaming !== false)
    await waitFor(
      "the source to stream",
      () => engine.sourceState === "streaming" || engine.state !== "running",
    );
  return { engine, metrics };
}

// How long waitFor waits by default. Mutation runs lower it (vitest.mutation.config.ts), so a
// mutant that stalls the engine fails fast instead of running into Stryker's timeout.
const defaultWaitMs = positiveOr(process.env.CLAIMFLOW_TEST_WAIT_MS, 5_000);

function positiveOr(raw: string | undefined, fallback: number): number {
  const n = Number(raw);
  return raw !== undefined && Number.isFinite(n) && n > 0 ? n : fallback;
}

export async function waitFor(
  what: string,
  pred: () => boolean | Promise<boolean>,
  timeoutMs = defaultWaitMs,
) {
  const until = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Until the stream has read at least once, the checkpoint holds only the catch-up's cluster
 * time (a restart would scan again); tests about resuming from a token wait for one.
 */
export async function waitForTokenCheckpoint(db: MemoryDb, streamName = "test"): Promise<void> {
  await waitFor(
    "a checkpoint with a resume token",
    () => db.checkpoints.peek(streamName)?.token !== undefined,
  );
}

export async function metricValue(metrics: Metrics, name: string, labels: Record<string, string> = {}) {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const values = (m?.values ?? []) as { value: number; labels: Record<string, string | number> }[];
  return values
    .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .reduce((s, v) => s + v.value, 0);
}

export const refKey = (n: string, v: number) => `${n}@${v}`;

/**
 * The end-to-end invariant: every batch is written with its stored content, every file is a
 * valid 837P holding exactly its batch's claims, and no claim version is in two files.
 * Returns the claim versions emitted.
 */
export async function checkOutput(db: MemoryDb): Promise<Set<string>> {
  const files = db.files.all();
  const batches = db.ledger.allBatches();
  expect(await db.ledger.countReserved()).toBe(0);
  expect(files.size).toBe(batches.length);
  const seen = new Map<string, string>();
  for (const b of batches) {
    const content = files.get(b.path);
    expect(content, `file of batch ${b.batchId}`).toBe(b.content);
    const result = validate837(content as string);
    expect(result.violations, b.path).toEqual([]);
    expect(result.ok).toBe(true);
    expect([...result.claimNumbers].sort()).toEqual(b.claims.map((c) => c.claim_number).sort());
    for (const c of b.claims) {
      const key = refKey(c.claim_number, c.version);
      expect(seen.get(key), `${key} in two files`).toBeUndefined();
      seen.set(key, b.path);
    }
  }
  const history = db.ledger.history();
  expect(history.length).toBe(seen.size);
  expect(db.ledger.emittedRows().length).toBe(history.length);
  return new Set(seen.keys());
}

/** Ready claim versions in claim_detail that the pipeline should bill. */
export function readyVersions(docs: readonly Record<string, unknown>[]): Set<string> {
  return new Set(docs.map((d) => refKey(d.claim_number as string, (d.version as number | undefined) ?? 1)));
}

/**
 * Renders `docs` (one client) and reserves them as another processor's batch of `streamName`
 * would; with `write`, also writes its file and marks it written. Returns the batch.
 */
export async function reserveElsewhere(
  ports: PipelinePorts,
  docs: readonly Record<string, unknown>[],
  opts: { batchId: string; streamName: string; write?: boolean; createdAt?: Date },
): Promise<BatchRecord> {
  const claims = docs.map((d) => {
    const p = parseClaim(d);
    if (!p.ok) throw new Error("synthetic claim does not parse");
    return p.value;
  });
  const joined = (await new Enricher(ports.lookups).enrich(claims)).map((e) => {
    if (!e.ok) throw new Error(`synthetic claim not enrichable: ${e.reason}`);
    return e.joined;
  });
  const first = joined[0];
  if (!first) throw new Error("nothing to reserve");
  const senderKey = interchangeSenderKey(first.client) as string;
  const controlNumber = await ports.ledger.nextControlNumber(senderKey);
  const createdAt = opts.createdAt ?? new Date();
  const content = render837({
    batchId: opts.batchId,
    client: first.client,
    claims: joined,
    controlNumber,
    createdAt,
  });
  const batch: BatchRecord = {
    batchId: opts.batchId,
    state: "reserved",
    streamName: opts.streamName,
    groupId: first.claim.group_id,
    clientId: first.claim.client_id,
    senderId: senderKey,
    isaControlNumber: controlNumber,
    gsControlNumber: controlNumber,
    path: batchPath(first.claim.group_id, first.claim.client_id, senderKey, controlNumber, createdAt),
    content,
    sha256: sha256(content),
    claims: joined.map((j) => ({ claim_number: j.claim.claim_number, version: j.claim.version })),
    claimCount: joined.length,
    createdAt,
  };
  await ports.ledger.reserve(batch);
  if (opts.write) {
    await ports.sink.write(batch.path, content);
    await ports.ledger.markWritten(batch.batchId, new Date());
  }
  return batch;
}

/** How many batches (any state) hold each claim version, keyed by refKey. */
export function batchesPerVersion(db: MemoryDb): Map<string, number> {
  const n = new Map<string, number>();
  for (const b of db.ledger.allBatches())
    for (const c of b.claims)
      n.set(refKey(c.claim_number, c.version), (n.get(refKey(c.claim_number, c.version)) ?? 0) + 1);
  return n;
}
