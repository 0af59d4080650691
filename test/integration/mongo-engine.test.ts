// The engine on a real replica set (one per file): catch-up, windows, exactly-once files,
// restart from the stored token, token resets and a lost token, dead letters, version bumps.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Db, MongoClient } from "mongodb";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureIndexes } from "../../src/mongo/indexes.js";
import { createMongoPorts } from "../../src/mongo/mongo-ports.js";
import { Metrics } from "../../src/observability/metrics.js";
import { Engine, type EngineOptions } from "../../src/pipeline/engine.js";
import { systemClock } from "../../src/ports/clock.js";
import { writeSynthetic } from "../../src/seed/seed-database.js";
import { generate, makeInvalidClaims } from "../../src/seed/synthetic.js";
import { countEmitted } from "../support/emitted.js";
import { checkExactlyOnce, refKey, versionsInClaimDetail } from "../support/exactly-once.js";
import { startTestMongo, type TestMongo } from "../support/mongo.js";
import { waitFor } from "../support/wait-for.js";

const mongo = await startTestMongo();
const silent = pino({ level: process.env.TEST_LOG ?? "silent" });

const options: EngineOptions = {
  streamName: "it",
  batchSize: 100,
  windowMs: 250,
  maxInFlight: 2_000,
  checkpointIntervalMs: 100,
  markBilled: true,
  onTokenLost: "rescan",
  shutdownTimeoutMs: 10_000,
  leaseTtlMs: 5_000,
  statsIntervalMs: 500,
  scanPageSize: 200,
  resilience: { initialDelayMs: 20, maxDelayMs: 500 },
  holder: "it-processor",
};

/** Diagnostics: prints any port call still pending after 5 s (a stalled server or a lost reply). */
function watchdog<T extends object>(ports: T): T {
  const wrap = (name: string, target: object): object =>
    new Proxy(target, {
      get(t, prop, recv) {
        const v = Reflect.get(t, prop, recv);
        if (typeof v !== "function") return v;
        return (...args: unknown[]) => {
          const out = v.apply(t, args);
          if (out instanceof Promise && prop !== "tryNext") {
            const started = Date.now();
            const timer = setTimeout(
              () => process.stderr.write(`SLOW ${name}.${String(prop)} pending ${Date.now() - started} ms\n`),
              5_000,
            );
            out.finally(() => clearTimeout(timer)).catch(() => undefined);
          }
          return out;
        };
      },
    });
  return Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, wrap(k, v as object)])) as T;
}

interface Ctx {
  db: Db;
  out: string;
}

describe.skipIf(!mongo)("engine on a real replica set", () => {
  let client: MongoClient;
  const m = mongo as TestMongo;

  beforeAll(async () => {
    client = await MongoClient.connect(m.uri, { writeConcern: { w: "majority" }, socketTimeoutMS: 20_000 });
  });
  afterAll(async () => {
    await client?.close();
    await m.stop();
  });

  async function freshCtx(): Promise<Ctx> {
    const db = client.db(m.dbName("engine"));
    await ensureIndexes(db, { includeInputCollections: true });
    return { db, out: await mkdtemp(join(tmpdir(), "claimflow-it-")) };
  }

  function engineFor(ctx: Ctx, overrides: Partial<EngineOptions> = {}) {
    const metrics = new Metrics({ collectDefaults: false });
    const ports = watchdog(
      createMongoPorts(client, ctx.db, {
        outputDir: ctx.out,
        streamName: "it",
        maxAwaitTimeMs: 200,
      }),
    );
    const engine = new Engine(
      { ...options, ...overrides },
      { ports, metrics, logger: silent, clock: systemClock },
    );
    return { engine, metrics, ports };
  }

  async function seed(ctx: Ctx, claims: number, prefix: string, seedNo: number, groups = 10) {
    const data = generate({ claims, groups, clients: 3, seed: seedNo, now: new Date(), claimPrefix: prefix });
    await writeSynthetic(ctx.db, data);
    return data;
  }

  const emittedCount = (ctx: Ctx) => countEmitted(ctx.db);

  async function runUntil(ctx: Ctx, total: number, overrides: Partial<EngineOptions> = {}) {
    const run = engineFor(ctx, overrides);
    await run.engine.start();
    await waitFor(`${total} emitted claim versions`, async () => (await emittedCount(ctx)) >= total);
    await run.engine.stop();
    return run;
  }

  it("emits 1,000 ready claims across 10 groups, each in exactly one valid file", async () => {
    const ctx = await freshCtx();
    await seed(ctx, 1_000, "A", 1);
    const run = await runUntil(ctx, 1_000);
    const emitted = await checkExactlyOnce(ctx.db, ctx.out);
    expect(emitted).toEqual(await versionsInClaimDetail(ctx.db));
    expect(emitted.size).toBe(1_000);
    // Every emitted claim was marked billed, and the checkpoint was saved on stop.
    expect(await ctx.db.collection("claim_detail").countDocuments({ status: "ready" })).toBe(0);
    expect(await ctx.db.collection("stream_checkpoints").findOne({ _id: "it" as never })).toMatchObject({
      source: "processor",
    });
    const batches = await ctx.db.collection("edi_batches").distinct("group_id");
    expect(batches.length).toBe(10);
    expect(
      (await run.metrics.registry.getSingleMetricAsString("claimflow_claims_emitted_total")).trim(),
    ).toMatch(/ 1000$/);
    await rm(ctx.out, { recursive: true, force: true });
  });

  it("after a stop, emits only the claims inserted while it was down, none missed", async () => {
    const ctx = await freshCtx();
    await seed(ctx, 300, "B", 2);
    await runUntil(ctx, 300);
    await seed(ctx, 200, "C", 3);
    const second = await runUntil(ctx, 500);
    const emitted = await checkExactlyOnce(ctx.db, ctx.out);
    expect(emitted).toEqual(await versionsInClaimDetail(ctx.db));
    const text = await second.metrics.registry.getSingleMetricAsString("claimflow_claims_emitted_total");
    expect(text.trim()).toMatch(/ 200$/);
    // It resumed from the stored token: no catch-up scan on the second run.
    const scans = await second.metrics.registry.getSingleMetricAsString("claimflow_events_received_total");
    expect(scans).not.toMatch(/operation="scan"/);
  });

  it("sends invalid claims to dead_letters with a reason and emits the rest", async () => {
    const ctx = await freshCtx();
    const data = await seed(ctx, 50, "D", 4, 3);
    const invalid = makeInvalidClaims(data.claims[0] as Record<string, unknown>, "BAD");
    await ctx.db.collection("claim_detail").insertMany(invalid);
    await runUntil(ctx, 50);
    await waitFor(
      "6 dead letters",
      async () => (await ctx.db.collection("dead_letters").countDocuments()) >= 6,
    );
    const dead = await ctx.db.collection("dead_letters").find({}).toArray();
    expect(dead.map((d) => d.claim_number).sort()).toEqual(invalid.map((c) => c.claim_number).sort());
    for (const d of dead) {
      expect(typeof d.reason).toBe("string");
      expect(d.issues.length).toBeGreaterThan(0);
      // Paths and messages only: no document value is copied into a dead letter.
      for (const issue of d.issues) expect(Object.keys(issue).sort()).toEqual(["message", "path"]);
    }
    const emitted = await checkExactlyOnce(ctx.db, ctx.out);
    expect(emitted.size).toBe(50);
    expect(
      await ctx.db.collection("claim_detail").countDocuments({ claim_number: /^BAD/, status: "ready" }),
    ).toBe(6);
  });

  it("bills a claim again, once, when upstream bumps its version after billing", async () => {
    const ctx = await freshCtx();
    await seed(ctx, 40, "E", 5, 2);
    const run = engineFor(ctx);
    await run.engine.start();
    // The billed mark follows the history row: wait for it, not only for the file.
    await waitFor(
      "40 billed",
      async () => (await ctx.db.collection("claim_detail").countDocuments({ status: "billed" })) >= 40,
    );
    const target = (await ctx.db.collection("claim_detail").findOne({ status: "billed" })) as Record<
      string,
      unknown
    >;
    await ctx.db
      .collection("claim_detail")
      .updateOne(
        { _id: target._id as never },
        { $inc: { version: 1 }, $set: { status: "ready", updated_at: new Date() } },
      );
    await waitFor("the new version emitted", async () => (await emittedCount(ctx)) >= 41);
    // A second, unrelated update of the billed claim (status stays billed) must not bill anything.
    await ctx.db.collection("claim_detail").updateOne({ _id: target._id as never }, { $set: { note: "x" } });
    await new Promise((r) => setTimeout(r, 800));
    await run.engine.stop();
    const emitted = await checkExactlyOnce(ctx.db, ctx.out);
    expect(emitted.size).toBe(41);
    expect(emitted.has(refKey(target.claim_number as string, 1))).toBe(true);
    expect(emitted.has(refKey(target.claim_number as string, 2))).toBe(true);
  });

  describe("token resets and a lost token: no gap, no duplicate", () => {
    async function stoppedWithCheckpoint(prefix: string, seedNo: number) {
      const ctx = await freshCtx();
      await seed(ctx, 100, `${prefix}1`, seedNo, 3);
      await runUntil(ctx, 100);
      // Claims that arrive while the processor is down and before/after an operator's reset.
      await seed(ctx, 60, `${prefix}2`, seedNo + 100, 3);
      return ctx;
    }
    const checkpoints = (ctx: Ctx) =>
      ctx.db.collection<{ _id: string } & Record<string, unknown>>("stream_checkpoints");
    const clusterTimeNow = async (ctx: Ctx) => (await ctx.db.command({ ping: 1 })).operationTime;

    async function finish(ctx: Ctx, expected: number) {
      const run = await runUntil(ctx, expected);
      const emitted = await checkExactlyOnce(ctx.db, ctx.out);
      expect(emitted).toEqual(await versionsInClaimDetail(ctx.db, { status: { $ne: "draft" } }));
      expect(emitted.size).toBe(expected);
      return run;
    }

    it("reset to now: claims ready but not yet emitted are caught up by the scan", async () => {
      const ctx = await stoppedWithCheckpoint("F", 10);
      await checkpoints(ctx).replaceOne(
        { _id: "it" },
        { cluster_time: await clusterTimeNow(ctx), updated_at: new Date(), source: "operator:test" },
      );
      await seed(ctx, 30, "F3", 12, 3);
      await finish(ctx, 190);
    });

    it("reset to an earlier time: replayed events are deduplicated by the ledger", async () => {
      const ctx = await stoppedWithCheckpoint("G", 20);
      const first = (await ctx.db
        .collection("edi_batches")
        .findOne({}, { sort: { created_at: 1 } })) as unknown as {
        created_at: Date;
      };
      const { Timestamp } = await import("mongodb");
      const at = new Timestamp({ t: Math.floor(first.created_at.getTime() / 1000) - 5, i: 0 });
      await checkpoints(ctx).replaceOne(
        { _id: "it" },
        { cluster_time: at, updated_at: new Date(), source: "operator:test" },
      );
      const run = await finish(ctx, 160);
      const dup = await run.metrics.registry.getSingleMetricAsString("claimflow_claims_emitted_total");
      expect(dup.trim()).toMatch(/ 60$/);
    });

    it("cleared: catch-up scan then stream from the current time", async () => {
      const ctx = await stoppedWithCheckpoint("H", 30);
      await checkpoints(ctx).deleteOne({ _id: "it" });
      await finish(ctx, 160);
    });

    /**
     * An event token from a day ago: the server cannot find it ("resume token was not found",
     * 280), which is what a token that fell off the oplog looks like. (A post-batch token moved
     * back in time would still resume on a young oplog, so an event token is used.)
     */
    async function expiredEventToken(ctx: Ctx): Promise<{ _data: string }> {
      const cs = ctx.db.collection("claim_detail").watch([], { maxAwaitTimeMS: 200 });
      await cs.tryNext();
      await ctx.db.collection("claim_detail").insertOne({ claim_number: "DRAFT-ONLY", status: "draft" });
      let ev: { _id: unknown } | null = null;
      while (!ev) ev = (await cs.tryNext()) as { _id: unknown } | null;
      await cs.close();
      const data = (ev._id as { _data: string })._data;
      const t = Number.parseInt(data.slice(2, 10), 16) - 86_400;
      return { _data: `${data.slice(0, 2)}${t.toString(16).padStart(8, "0")}${data.slice(10)}` };
    }

    it("a token that fell off the oplog: token-lost metric, checkpoint cleared, rescan", async () => {
      const ctx = await stoppedWithCheckpoint("I", 40);
      await checkpoints(ctx).updateOne({ _id: "it" }, { $set: { token: await expiredEventToken(ctx) } });
      const run = await finish(ctx, 160);
      const lost = await run.metrics.registry.getSingleMetricAsString("claimflow_token_lost_total");
      expect(lost.trim()).toMatch(/ 1$/);
    });

    it("EDI_ON_TOKEN_LOST=fail stops the engine with an error and leaves no dead token behind", async () => {
      const ctx = await stoppedWithCheckpoint("J", 50);
      await checkpoints(ctx).updateOne({ _id: "it" }, { $set: { token: await expiredEventToken(ctx) } });
      const run = engineFor(ctx, { onTokenLost: "fail" });
      await run.engine.start();
      await expect(run.engine.done).rejects.toThrow(/EDI_ON_TOKEN_LOST=fail/);
      await run.engine.stop();
      expect(await checkpoints(ctx).findOne({ _id: "it" })).toBeNull();
    });
  });
});
