// Issue 15 items 5-7 on a real replica set: leases decided on the server's clock (a processor
// whose clock is a minute off neither steals a live lease nor keeps a dead one), post-images
// that are gone (looked up by documentKey, never counted as deleted while the claim exists), and
// EDI_GROUP_FILTER mismatches that are never acked silently.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Db, MongoClient } from "mongodb";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planTokenReset } from "../../src/app/services/token-service.js";
import { ensureIndexes } from "../../src/mongo/indexes.js";
import { createMongoPorts } from "../../src/mongo/mongo-ports.js";
import { Metrics } from "../../src/observability/metrics.js";
import { Engine, type EngineOptions } from "../../src/pipeline/engine.js";
import { type Clock, systemClock } from "../../src/ports/clock.js";
import { writeSynthetic } from "../../src/seed/seed-database.js";
import { generate } from "../../src/seed/synthetic.js";
import { countEmitted } from "../support/emitted.js";
import { startTestMongo, type TestMongo } from "../support/mongo.js";
import { PORTABLE } from "../support/portable-regex-cases.js";
import { waitFor } from "../support/wait-for.js";

const mongo = await startTestMongo();
const silent = pino({ level: process.env.TEST_LOG ?? "silent" });
const MINUTE = 60_000;
/** Short enough to keep the waits short, long enough that a loaded machine still renews in time. */
const TTL_MS = 5_000;

const options: EngineOptions = {
  streamName: "safety",
  batchSize: 100,
  windowMs: 200,
  maxInFlight: 1_000,
  checkpointIntervalMs: 100,
  markBilled: true,
  onTokenLost: "rescan",
  shutdownTimeoutMs: 10_000,
  leaseTtlMs: TTL_MS,
  statsIntervalMs: 500,
  scanPageSize: 200,
  resilience: { initialDelayMs: 20, maxDelayMs: 500 },
  holder: "unset",
};

async function metricValue(metrics: Metrics, name: string, reason?: string): Promise<number> {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values ?? [])
    .filter((v) => reason === undefined || v.labels.reason === reason)
    .reduce((sum, v) => sum + v.value, 0);
}

const skewed = (offsetMs: number): Clock => ({ now: () => new Date(Date.now() + offsetMs) });

describe.skipIf(!mongo)("stream safety on a real replica set", () => {
  const m = mongo as TestMongo;
  const clients: MongoClient[] = [];
  let client: MongoClient;

  const connect = async () => {
    const c = await MongoClient.connect(m.uri, { writeConcern: { w: "majority" } });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    client = await connect();
  });
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await m.stop();
  });

  async function freshDb(): Promise<{ db: Db; out: string }> {
    const db = client.db(m.dbName("safety"));
    await ensureIndexes(db, { includeInputCollections: true });
    return { db, out: await mkdtemp(join(tmpdir(), "claimflow-safety-")) };
  }

  /** An engine on its own client (so a test can cut it off) with its own clock and holder. */
  async function engineOn(
    ctx: { db: Db; out: string },
    holder: string,
    clock: Clock,
    overrides: Partial<EngineOptions> = {},
  ) {
    const own = await connect();
    const db = own.db(ctx.db.databaseName);
    const metrics = new Metrics({ collectDefaults: false });
    const ports = createMongoPorts(own, db, {
      outputDir: ctx.out,
      streamName: "safety",
      maxAwaitTimeMs: 200,
    });
    const engine = new Engine(
      { ...options, holder, ...overrides },
      { ports, metrics, logger: silent, clock },
    );
    return { engine, metrics, ports, client: own };
  }

  const holderOf = async (db: Db) =>
    (await db.collection<{ _id: string; holder: string }>("stream_leases").findOne({ _id: "safety" }))
      ?.holder;

  describe("leases on the server's clock", () => {
    it("a processor whose clock runs a minute ahead does not steal a live lease", async () => {
      const ctx = await freshDb();
      const a = await engineOn(ctx, "a-true-clock", systemClock);
      await a.engine.start();
      expect(await holderOf(ctx.db)).toBe("a-true-clock");
      const b = await engineOn(ctx, "b-ahead", skewed(MINUTE));
      const bStarted = b.engine.start();
      // Several of b's polls (every TTL/3) and renewals of a's go by.
      await new Promise((r) => setTimeout(r, TTL_MS * 2));
      expect(b.engine.state).toBe("standby");
      expect(a.engine.state).toBe("running");
      expect(await holderOf(ctx.db)).toBe("a-true-clock");
      await b.engine.stop();
      await bStarted;
      await a.engine.stop();
    });

    it("a holder whose clock runs a minute behind keeps its live lease", async () => {
      const ctx = await freshDb();
      const a = await engineOn(ctx, "a-behind", skewed(-MINUTE));
      await a.engine.start();
      const b = await engineOn(ctx, "b-true-clock", systemClock);
      const bStarted = b.engine.start();
      await new Promise((r) => setTimeout(r, TTL_MS * 2));
      expect(b.engine.state).toBe("standby");
      expect(a.engine.state).toBe("running");
      expect(await holderOf(ctx.db)).toBe("a-behind");
      await b.engine.stop();
      await bStarted;
      await a.engine.stop();
    });

    it("a dead holder whose clock ran a minute ahead is taken over after the TTL, not a minute later", async () => {
      const ctx = await freshDb();
      const a = await engineOn(ctx, "a-ahead", skewed(MINUTE));
      await a.engine.start();
      const b = await engineOn(ctx, "b-true-clock", systemClock);
      const bStarted = b.engine.start();
      // a dies: its connection is gone, so it can neither renew nor release.
      await a.client.close(true);
      // Bound well under the minute of skew: TTL plus a few polls.
      await waitFor("b to take over", async () => b.engine.state === "running", 30_000);
      await bStarted;
      expect(await holderOf(ctx.db)).toBe("b-true-clock");
      // a stopped for good (lease lost or its connection gone), never to run beside b.
      await expect(a.engine.done).rejects.toBeDefined();
      await b.engine.stop();
    });

    it("token reset judges a lease live on the server's clock, whatever the operator's clock says", async () => {
      const ctx = await freshDb();
      const a = await engineOn(ctx, "a-true-clock", systemClock);
      await a.engine.start();
      const ports = createMongoPorts(client, ctx.db, { outputDir: ctx.out, streamName: "safety" });
      const plan = planTokenReset(
        { ports, clock: skewed(MINUTE) },
        "safety",
        { kind: "now" },
        { force: false },
      );
      await expect(plan).rejects.toThrow(/lease is held by a-true-clock/);
      await a.engine.stop();
      // Released: not live for anyone, even an operator whose clock runs behind.
      await expect(
        planTokenReset({ ports, clock: skewed(-MINUTE) }, "safety", { kind: "now" }, { force: false }),
      ).resolves.toMatchObject({ lease: null });
    });
  });

  /** Claim versions in processing_history (emitted). */
  const emitted = (db: Db) => countEmitted(db);

  describe("post-images that are gone", () => {
    it("looks up a draft→ready update whose post-image is null instead of counting it as deleted", async () => {
      const ctx = await freshDb();
      await ctx.db.command({ collMod: "claim_detail", changeStreamPreAndPostImages: { enabled: true } });
      const data = generate({
        claims: 6,
        groups: 2,
        clients: 2,
        seed: 5,
        now: new Date(),
        claimPrefix: "PI",
      });
      // Drafts first: the server filters their inserts out.
      await writeSynthetic(ctx.db, {
        ...data,
        claims: data.claims.map((c) => ({ ...c, status: "draft" })),
      });
      const first = await engineOn(ctx, "p1", systemClock, { leaseTtlMs: 15_000 });
      await first.engine.start();
      await waitFor("streaming", async () => first.engine.sourceState === "streaming");
      // One claim goes ready while the processor runs (its post-image is there): the baseline.
      await ctx.db
        .collection("claim_detail")
        .updateOne({ claim_number: data.claims[0]?.claim_number }, { $set: { status: "ready" } });
      await waitFor("the first claim", async () => (await emitted(ctx.db)) === 1);
      await first.engine.stop();

      // While no processor runs, the rest go ready; then their pre-images (from which the server
      // computes `whenAvailable` post-images) are removed, as expireAfterSeconds would.
      const rest = data.claims.slice(1).map((c) => c.claim_number);
      await ctx.db
        .collection("claim_detail")
        .updateMany({ claim_number: { $in: rest } }, { $set: { status: "ready" } });
      const preimages = client.db("config").collection("system.preimages");
      await preimages.deleteMany({ "_id.nsUUID": { $exists: true } });
      expect(await preimages.countDocuments()).toBe(0);

      const second = await engineOn(ctx, "p2", systemClock, { leaseTtlMs: 15_000 });
      await second.engine.start();
      await waitFor("every ready claim", async () => (await emitted(ctx.db)) === data.claims.length, 30_000);
      await second.engine.stop();
      const billed = await ctx.db.collection("claim_detail").countDocuments({ status: "billed" });
      expect(billed).toBe(data.claims.length);
      expect(await metricValue(second.metrics, "claimflow_events_skipped_total", "document_deleted")).toBe(0);
    });

    it("still counts an update whose document was deleted since as deleted", async () => {
      const ctx = await freshDb();
      await ctx.db.command({ collMod: "claim_detail", changeStreamPreAndPostImages: { enabled: true } });
      const data = generate({
        claims: 2,
        groups: 1,
        clients: 1,
        seed: 6,
        now: new Date(),
        claimPrefix: "PD",
      });
      await writeSynthetic(ctx.db, { ...data, claims: data.claims.map((c) => ({ ...c, status: "draft" })) });
      const first = await engineOn(ctx, "d1", systemClock, { leaseTtlMs: 15_000 });
      await first.engine.start();
      await waitFor("streaming", async () => first.engine.sourceState === "streaming");
      await first.engine.saveCheckpoint();
      await first.engine.stop();
      const [gone, kept] = data.claims.map((c) => c.claim_number);
      const col = ctx.db.collection("claim_detail");
      await col.updateMany({}, { $set: { status: "ready" } });
      await client.db("config").collection("system.preimages").deleteMany({});
      await col.deleteOne({ claim_number: gone });
      const second = await engineOn(ctx, "d2", systemClock, { leaseTtlMs: 15_000 });
      await second.engine.start();
      await waitFor("the kept claim", async () => (await emitted(ctx.db)) === 1, 30_000);
      await waitFor(
        "the deleted one counted",
        async () =>
          (await metricValue(second.metrics, "claimflow_events_skipped_total", "document_deleted")) === 1,
      );
      await second.engine.stop();
      expect(await col.findOne({ claim_number: kept })).toMatchObject({ status: "billed" });
    });
  });

  describe("EDI_GROUP_FILTER", () => {
    it("every filter config accepts reads the same in MongoDB's $regex as in JavaScript", async () => {
      const db = client.db(m.dbName("regex"));
      const ids = [
        "GRP_001",
        "GRP_002",
        "GRP_0012",
        "GROUP_01",
        "A",
        "AB_9",
        "B",
        "X",
        "GRP.0(1)",
        "aab",
        "_A",
        "0",
      ];
      await db.collection("g").insertMany(ids.map((g) => ({ g })));
      for (const source of PORTABLE) {
        const server = (
          await db
            .collection("g")
            .find({ g: { $regex: source } })
            .toArray()
        ).map((d) => d.g);
        const js = ids.filter((g) => new RegExp(source).test(g));
        expect([source, server.sort()]).toEqual([source, js.sort()]);
      }
    });

    it("never acks a claim silently when MongoDB and JavaScript disagree on the filter", async () => {
      const ctx = await freshDb();
      const data = generate({
        claims: 12,
        groups: 2,
        clients: 2,
        seed: 9,
        now: new Date(),
        claimPrefix: "GF",
      });
      await writeSynthetic(ctx.db, data);
      // Refused by config at start; here the engine is built directly, as if it had slipped
      // through: PCRE reads a POSIX class (GRP_0x matches), JavaScript a class of "[:uper" then "]".
      const e = await engineOn(ctx, "gf", systemClock, { groupFilter: "^[[:upper:]]", leaseTtlMs: 15_000 });
      await e.engine.start();
      await waitFor("every claim billed", async () => (await emitted(ctx.db)) === data.claims.length, 30_000);
      await e.engine.stop();
      expect(
        await metricValue(e.metrics, "claimflow_group_filter_disagreements_total"),
      ).toBeGreaterThanOrEqual(data.claims.length);
      expect(await metricValue(e.metrics, "claimflow_events_skipped_total", "group_filter")).toBe(0);
    });
  });
});
