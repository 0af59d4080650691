// `npm run bench`: claimflow end to end on a real replica set, against the raw change-stream read
// rate of the same inserts measured in the same run (the ceiling), plus ready-to-file latency at
// a fixed offered load and the processor's peak RSS.
//
//   node dist/bench/e2e.js [--claims 20000] [--groups 50] [--clients 10] [--window-ms 1000]
//                          [--rate 1000] [--seconds 30] [--latency-window-ms 500]
//                          [--scale] [--no-latency | --no-throughput] [--cpu-prof DIR]
//                          [--node-options="FLAGS"]  (note the =: FLAGS start with a dash)
//
// Throughput, per size N: N ready claims are inserted while the processor is down (its
// checkpoint is a resume token taken just before the inserts), then
//   1. a bare watch() (same $match and batch size as the processor, no processing) reads the N
//      insert events from that token: the raw read rate, the ceiling;
//   2. `node bin/claimflow.js run` (a child process) resumes from the same token and turns them
//      into files: claims / (last file written − first read), each file fsynced and its ledger
//      rows committed; peak RSS is the child's VmHWM.
// Latency: the processor runs caught up; claims are inserted at --rate per second for --seconds
// (open loop: a slow insert never lowers the offered load); each claim's latency is its batch's
// written_at minus the moment its insert was acknowledged.
// Every file of every run goes through checkExactlyOnce (sha256 = ledger, validate837, each claim
// version in exactly one file, history consistent): a fast but wrong run fails loudly.
//
// JSON on stdout, a short table and progress on stderr.
import { rm } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { type Db, MongoClient } from "mongodb";
import { changeStreamPipeline } from "../src/mongo/change-feed-filter.js";
import { COLLECTIONS } from "../src/mongo/collections.js";
import type { ResumeToken } from "../src/ports/change-feed.js";
import { generate } from "../src/seed/synthetic.js";
import { checkExactlyOnce, versionsInClaimDetail } from "../test/support/exactly-once.js";
import { startBenchMongo, type TestMongo } from "./lib/mongo.js";
import { CpuMeter, mongodPids, uriPorts, wineserverPids } from "./lib/proc.js";
import { ProcessorChild } from "./lib/processor-child.js";
import {
  currentStreamToken,
  freshScenario,
  insertClaims,
  processorEnv,
  type Scenario,
  storeCheckpoint,
  writeReferenceData,
} from "./lib/scenario.js";
import { type ServerWork, serverWorkMeter } from "./lib/server-work.js";
import { histogramQuantile, mb, parseHistogram, percentile, round } from "./lib/stats.js";

const { values } = parseArgs({
  options: {
    claims: { type: "string", default: "20000" },
    groups: { type: "string", default: "50" },
    clients: { type: "string", default: "10" },
    "window-ms": { type: "string", default: "1000" },
    "batch-size": { type: "string", default: "500" },
    "max-in-flight": { type: "string", default: "10000" },
    rate: { type: "string", default: "1000" },
    seconds: { type: "string", default: "30" },
    "latency-window-ms": { type: "string", default: "500" },
    "latency-groups": { type: "string", default: "50" },
    "latency-clients": { type: "string", default: "10" },
    scale: { type: "boolean", default: false },
    "no-latency": { type: "boolean", default: false },
    "no-throughput": { type: "boolean", default: false },
    "cpu-prof": { type: "string" },
    "node-options": { type: "string", default: "" },
  },
});

function positive(name: string): number {
  const text = values[name as keyof typeof values];
  const n = Number(text);
  if (typeof text !== "string" || !Number.isInteger(n) || n < 1) {
    process.stderr.write(`--${name} must be a positive integer\n`);
    process.exit(2);
  }
  return n;
}

const CFG = {
  claims: positive("claims"),
  groups: positive("groups"),
  clients: positive("clients"),
  windowMs: positive("window-ms"),
  batchSize: positive("batch-size"),
  maxInFlight: positive("max-in-flight"),
  rate: positive("rate"),
  seconds: positive("seconds"),
  latencyWindowMs: positive("latency-window-ms"),
  latencyGroups: positive("latency-groups"),
  latencyClients: positive("latency-clients"),
};
const SIZES = values["no-throughput"] ? [] : values.scale ? [10_000, 50_000, 100_000] : [CFG.claims];
const STREAM = "bench";
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/** Node flags for the processor child: --node-options (e.g. a heap cap), and --cpu-prof. */
const NODE_OPTIONS = (values["node-options"] ?? "").split(/\s+/).filter((x) => x.length > 0);

function nodeArgs(tag: string): string[] {
  const dir = values["cpu-prof"];
  const prof = dir
    ? ["--cpu-prof", `--cpu-prof-dir=${dir}`, `--cpu-prof-name=claimflow-${tag}.cpuprofile`]
    : [];
  return [...NODE_OPTIONS, ...prof];
}

function childEnv(uri: string, s: Scenario, windowMs: number): Record<string, string> {
  return processorEnv(uri, s, {
    EDI_STREAM_NAME: STREAM,
    EDI_WINDOW_MS: String(windowMs),
    EDI_BATCH_SIZE: String(CFG.batchSize),
    EDI_MAX_IN_FLIGHT: String(CFG.maxInFlight),
    EDI_SHUTDOWN_TIMEOUT_MS: "60000",
  });
}

/** Stops the child gracefully; a non-zero exit is a failed run. */
async function stopChild(child: ProcessorChild): Promise<void> {
  const exit = await child.terminate(90_000);
  if (exit.code !== 0)
    throw new Error(`processor did not exit 0 on SIGTERM (${child.describeExit()}):\n${child.logTail()}`);
}

/** The exactly-once check of test/support, plus: the files hold every claim in claim_detail. */
async function validate(s: Scenario, expected: number): Promise<number> {
  const emitted = await checkExactlyOnce(s.db, s.outputDir);
  const all = await versionsInClaimDetail(s.db);
  const missing = [...all].filter((k) => !emitted.has(k));
  if (emitted.size !== expected || missing.length > 0)
    throw new Error(
      `files hold ${emitted.size} claim versions, expected ${expected} (${missing.length} missing)`,
    );
  const dead = await s.db.collection(COLLECTIONS.deadLetters).countDocuments();
  if (dead !== 0) throw new Error(`${dead} dead letters for valid synthetic claims`);
  return (await s.db.collection(COLLECTIONS.batches).countDocuments()) as number;
}

async function cleanup(s: Scenario): Promise<void> {
  await s.db.dropDatabase().catch(() => undefined);
  await rm(s.outputDir, { recursive: true, force: true });
}

/** A bare change-stream consumer: reads `n` insert events after `token`, does nothing with them. */
async function rawReadRate(db: Db, token: ResumeToken, n: number): Promise<{ perSec: number; ms: number }> {
  const stream = db.collection(COLLECTIONS.claims).watch(changeStreamPipeline({}), {
    resumeAfter: token,
    fullDocument: "updateLookup",
    batchSize: 1000,
    maxAwaitTimeMS: 1000,
  });
  try {
    const t0 = performance.now();
    let seen = 0;
    while (seen < n) {
      const ev = await stream.next();
      if (ev.operationType === "insert") seen++;
    }
    const ms = performance.now() - t0;
    return { perSec: (n * 1000) / ms, ms };
  } finally {
    await stream.close();
  }
}

interface CpuParts {
  readonly mongod: number | null;
  readonly bench: number;
  readonly others: number | null;
}

function cpuParts(c: ReturnType<CpuMeter["read"]>): CpuParts {
  const r = (x: number | undefined) => (x === undefined ? null : round(x, 1));
  return { mongod: r(c.mongod), bench: round(c.self, 1), others: r(c.others) };
}

interface ThroughputResult {
  readonly claims: number;
  readonly insertPerSec: number;
  readonly rawReadPerSec: number;
  readonly endToEndPerSec: number;
  readonly ratio: number;
  readonly endToEndSeconds: number;
  readonly processWallSeconds: number;
  readonly files: number;
  readonly meanClaimsPerFile: number;
  readonly peakRssMb: number | null;
  /**
   * CPU per claim filed: robust to the machine's other load, unlike a wall-clock rate. `mongod`
   * counts its wineserver too when it runs under Wine.
   */
  readonly cpuMsPerClaim: { readonly processor: number | null; readonly mongod: number | null };
  /** Where the machine's CPU went while each side ran (mongod with its wineserver; others: other users). */
  readonly cpuSeconds: {
    readonly rawRead: CpuParts;
    readonly claimflow: CpuParts & { readonly processor: number | null };
  };
  /** What mongod did during the claimflow run (serverStatus deltas; see lib/server-work.ts). */
  readonly serverWork: ServerWork;
  readonly validated: true;
}

async function throughputRun(client: MongoClient, uri: string, n: number): Promise<ThroughputResult> {
  const s = await freshScenario(client, `bench_t${n}`);
  try {
    const data = generate({
      claims: n,
      groups: CFG.groups,
      clients: CFG.clients,
      seed: n,
      now: new Date(),
      claimPrefix: `T${n}`,
    });
    await writeReferenceData(s.db, data);
    const token = await currentStreamToken(s.db);
    await storeCheckpoint(s.db, STREAM, token);
    log(`${n}: inserting ${n} ready claims (processor down)`);
    const ti = performance.now();
    await insertClaims(s.db, data.claims);
    const insertPerSec = (n * 1000) / (performance.now() - ti);

    log(`${n}: raw change-stream read`);
    // mongod's CPU includes its wineserver's under Wine (the work of its system calls).
    const mongodProcs = mongodPids(uriPorts(uri));
    const mongods = [...mongodProcs, ...wineserverPids(mongodProcs)];
    const rawMeter = new CpuMeter(mongods);
    const raw = await rawReadRate(s.db, token, n);
    const rawCpu = rawMeter.read();

    log(`${n}: claimflow run`);
    const meter = new CpuMeter(mongods);
    const work = await serverWorkMeter(client);
    const child = new ProcessorChild({
      env: childEnv(uri, s, CFG.windowMs),
      nodeArgs: nodeArgs(`t${n}`),
    });
    await child.until(`${n} claims in files`, () => child.emitted >= n, 30 * 60_000);
    const peak = child.peakRssBytes();
    const cpu = child.cpuSeconds();
    const runCpu = meter.read(cpu ?? 0);
    const serverWork = await work.read();
    await stopChild(child);
    if (child.readingSinceMs === undefined || child.lastFileAtMs === undefined)
      throw new Error("the processor never logged its start of reading or a file");
    const seconds = (child.lastFileAtMs - child.readingSinceMs) / 1000;
    const wall = (child.lastFileAtMs - child.startedAt) / 1000;

    log(`${n}: validating every file`);
    const files = await validate(s, n);
    const e2e = n / seconds;
    return {
      claims: n,
      insertPerSec: round(insertPerSec),
      rawReadPerSec: round(raw.perSec),
      endToEndPerSec: round(e2e),
      ratio: round(e2e / raw.perSec, 3),
      endToEndSeconds: round(seconds, 2),
      processWallSeconds: round(wall, 2),
      files,
      meanClaimsPerFile: round(n / files, 1),
      peakRssMb: mb(peak),
      cpuMsPerClaim: {
        processor: cpu === undefined ? null : round((cpu * 1000) / n, 3),
        mongod: runCpu.mongod === undefined ? null : round((runCpu.mongod * 1000) / n, 3),
      },
      cpuSeconds: {
        rawRead: cpuParts(rawCpu),
        claimflow: { processor: cpu === undefined ? null : round(cpu, 1), ...cpuParts(runCpu) },
      },
      serverWork,
      validated: true,
    };
  } finally {
    await cleanup(s);
  }
}

interface LatencyResult {
  readonly offeredPerSec: number;
  readonly achievedInsertPerSec: number;
  readonly seconds: number;
  readonly windowMs: number;
  readonly groups: number;
  readonly clients: number;
  readonly claims: number;
  readonly files: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly p99MsPer5s: number[];
  readonly insertAckP99Ms: number;
  /** Time each batch took from the start of its processing to its file and ledger rows. */
  readonly batchProcessingMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly processorHistogram: { p50Ms: number; p95Ms: number; p99Ms: number; count: number } | null;
  readonly peakRssMb: number | null;
  readonly validated: true;
}

async function latencyRun(client: MongoClient, uri: string): Promise<LatencyResult> {
  const total = CFG.rate * CFG.seconds;
  const s = await freshScenario(client, "bench_lat");
  try {
    const prefix = "LAT";
    const data = generate({
      claims: total,
      groups: CFG.latencyGroups,
      clients: CFG.latencyClients,
      seed: 99,
      now: new Date(),
      claimPrefix: prefix,
    });
    await writeReferenceData(s.db, data);
    const child = new ProcessorChild({
      env: childEnv(uri, s, CFG.latencyWindowMs),
      nodeArgs: nodeArgs("latency"),
    });
    const readyBy = Date.now() + 120_000;
    while (!(await child.ready())) {
      if (child.exitInfo) throw new Error(`processor exited before it was ready:\n${child.logTail()}`);
      if (Date.now() > readyBy) throw new Error("processor not ready within 120 s");
      await new Promise((r) => setTimeout(r, 100));
    }

    // Open loop: each tick's chunk is sent at its scheduled time whether or not earlier inserts
    // have returned, so a stalled mongod shows up as latency, never as a lower offered load.
    const tickMs = 50;
    const perTick = Math.max(1, Math.round((CFG.rate * tickMs) / 1000));
    const ackAt = new Float64Array(total);
    const insertMs: number[] = [];
    const pending: Promise<void>[] = [];
    log(
      `latency: ${CFG.rate} claims/s for ${CFG.seconds} s over ${CFG.latencyGroups} groups x ` +
        `${CFG.latencyClients} clients, EDI_WINDOW_MS=${CFG.latencyWindowMs}`,
    );
    const start = Date.now();
    for (let k = 0, i = 0; i < total; k++, i += perTick) {
      const due = start + k * tickMs;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const from = i;
      const chunk = data.claims.slice(from, Math.min(total, from + perTick));
      const sent = Date.now();
      pending.push(
        s.db
          .collection(COLLECTIONS.claims)
          .insertMany(chunk, { ordered: false })
          .then(() => {
            const acked = Date.now();
            insertMs.push(acked - sent);
            for (let j = 0; j < chunk.length; j++) ackAt[from + j] = acked;
          }),
      );
    }
    await Promise.all(pending);
    const achieved = (total * 1000) / (Date.now() - start);
    await child.until(`${total} claims in files`, () => child.emitted >= total, 10 * 60_000);
    const histogram = parseHistogram(await child.metricsText(), "claimflow_ready_to_file_latency_seconds");
    const peak = child.peakRssBytes();
    await stopChild(child);
    const files = await validate(s, total);

    const latencies: number[] = [];
    // p99 per 5 s of offered load: flat when it keeps up, rising when it falls behind.
    const sliceMs = 5_000;
    const bySlice: number[][] = Array.from({ length: Math.ceil((CFG.seconds * 1000) / sliceMs) }, () => []);
    const batches = s.db
      .collection(COLLECTIONS.batches)
      .find({}, { projection: { _id: 0, claims: 1, written_at: 1 } });
    for await (const b of batches) {
      const writtenAt = (b.written_at as Date).getTime();
      for (const c of b.claims as { claim_number: string }[]) {
        const idx = Number(c.claim_number.slice(prefix.length + 1));
        const latency = writtenAt - (ackAt[idx] as number);
        latencies.push(latency);
        bySlice[Math.min(bySlice.length - 1, Math.floor(((ackAt[idx] as number) - start) / sliceMs))]?.push(
          latency,
        );
      }
    }
    latencies.sort((a, b) => a - b);
    insertMs.sort((a, b) => a - b);
    const batchMs = [...child.batchMs].sort((a, b) => a - b);
    return {
      offeredPerSec: CFG.rate,
      achievedInsertPerSec: round(achieved),
      seconds: CFG.seconds,
      windowMs: CFG.latencyWindowMs,
      groups: CFG.latencyGroups,
      clients: CFG.latencyClients,
      claims: total,
      files,
      p50Ms: percentile(latencies, 50),
      p95Ms: percentile(latencies, 95),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies[latencies.length - 1] as number,
      p99MsPer5s: bySlice.map((xs) =>
        percentile(
          xs.sort((a, b) => a - b),
          99,
        ),
      ),
      insertAckP99Ms: percentile(insertMs, 99),
      batchProcessingMs: {
        p50: percentile(batchMs, 50),
        p99: percentile(batchMs, 99),
        max: batchMs[batchMs.length - 1] ?? Number.NaN,
      },
      processorHistogram: histogram
        ? {
            p50Ms: round(histogramQuantile(histogram, 0.5) * 1000),
            p95Ms: round(histogramQuantile(histogram, 0.95) * 1000),
            p99Ms: round(histogramQuantile(histogram, 0.99) * 1000),
            count: histogram.count,
          }
        : null,
      peakRssMb: mb(peak),
      validated: true,
    };
  } finally {
    await cleanup(s);
  }
}

function table(runs: readonly ThroughputResult[], lat: LatencyResult | undefined): string {
  if (runs.length === 0) return lat ? latencyLine(lat) : "";
  const rows = [
    [
      "claims",
      "raw read/s",
      "claimflow/s",
      "ratio",
      "files",
      "peak RSS MB",
      "CPU ms/claim: processor",
      "mongod",
    ],
    ...runs.map((r) => [
      String(r.claims),
      String(r.rawReadPerSec),
      String(r.endToEndPerSec),
      r.ratio.toFixed(2),
      String(r.files),
      String(r.peakRssMb),
      String(r.cpuMsPerClaim.processor),
      String(r.cpuMsPerClaim.mongod),
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length))) ?? [];
  const lines = rows.map((r) => r.map((c, i) => c.padStart(widths[i] as number)).join("  "));
  if (lat) lines.push(latencyLine(lat));
  return lines.join("\n");
}

function latencyLine(lat: LatencyResult): string {
  return (
    `latency @ ${lat.offeredPerSec}/s for ${lat.seconds} s over ${lat.groups}x${lat.clients} groups x clients, ` +
    `window ${lat.windowMs} ms: p50 ${lat.p50Ms} ms  p95 ${lat.p95Ms} ms  p99 ${lat.p99Ms} ms  ` +
    `max ${lat.maxMs} ms  (${lat.files} files, peak RSS ${lat.peakRssMb} MB)`
  );
}

async function mongodVersion(client: MongoClient): Promise<string> {
  const info = await client.db("admin").command({ buildInfo: 1 });
  return `${info.version} (${(info.buildEnvironment as { target_os?: string } | undefined)?.target_os ?? "?"})`;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const load = loadavg();
  log("starting a replica set");
  const mongo: TestMongo = await startBenchMongo(1);
  const client = await MongoClient.connect(mongo.uri, { writeConcern: { w: "majority" } });
  try {
    const runs: ThroughputResult[] = [];
    for (const n of SIZES) {
      const r = await throughputRun(client, mongo.uri, n);
      log(
        `${n}: raw ${r.rawReadPerSec}/s, claimflow ${r.endToEndPerSec}/s (ratio ${r.ratio}), peak RSS ${r.peakRssMb} MB`,
      );
      runs.push(r);
    }
    const lat = values["no-latency"] ? undefined : await latencyRun(client, mongo.uri);
    const headline = runs[0];
    const rss = [...runs.map((r) => r.peakRssMb), lat?.peakRssMb].filter(
      (x): x is number => typeof x === "number",
    );
    const doc = {
      bench: "claimflow e2e",
      startedAt: startedAt.toISOString(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? "unknown",
        memoryGb: round(totalmem() / 1024 ** 3, 1),
        loadAverageAtStart: load.map((x) => round(x, 2)),
        node: process.version,
        mongod: await mongodVersion(client),
        replicaSet: process.env.MONGODB_TEST_URI ? "MONGODB_TEST_URI" : "mongodb-memory-server, 1 member",
      },
      config: { ...CFG, sizes: SIZES, processorNodeOptions: NODE_OPTIONS },
      throughput: runs,
      latency: lat ?? null,
      targets: {
        ratioAtLeast50Percent: headline ? runs.every((r) => r.ratio >= 0.5) : null,
        atLeast10kClaimsPerSec: headline ? headline.endToEndPerSec >= 10_000 : null,
        p99WithinWindowPlus500ms: lat ? lat.p99Ms <= lat.windowMs + 500 : null,
        peakRssAtMost300Mb: rss.length > 0 ? Math.max(...rss) <= 300 : null,
      },
    };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    process.stderr.write(`\n${table(runs, lat)}\n`);
  } finally {
    await client.close();
    await mongo.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
