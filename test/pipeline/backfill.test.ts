// `claimflow backfill` on the in-memory twins (issue 12 item 5): the processor's BackfillRunner
// reads a request from the stream-control store and bills exactly the slice's ready claims not
// yet emitted through the normal batch path, beside the stream; once; carried on by the next
// lease holder when a run was cut short; never a duplicate.
import { afterEach, describe, expect, it } from "vitest";
import { BackfillRunner } from "../../src/app/services/backfill-runner.js";
import { countSlice, requestBackfill } from "../../src/app/services/backfill-service.js";
import { Metrics } from "../../src/observability/metrics.js";
import type { ClaimSlice } from "../../src/ports/claim-store.js";
import { systemClock } from "../../src/ports/clock.js";
import type { BackfillRequest } from "../../src/ports/stream-control.js";
import { encodeToken } from "../memory/memory-change-feed.js";
import { MemoryStreamControl } from "../memory/memory-stream-control.js";
import {
  batchesPerVersion,
  checkOutput,
  makeWorld,
  metricValue,
  type Running,
  refKey,
  reserveElsewhere,
  silentLogger,
  startEngine,
  type World,
  waitFor,
} from "./harness.js";

const MARCH = (i: number) => new Date(Date.UTC(2026, 2, 1 + (i % 9), 12));
const FEBRUARY = new Date("2026-02-15T12:00:00Z");
const SLICE: ClaimSlice = {
  group: "GRP_001",
  since: new Date("2026-03-01T00:00:00Z"),
  until: new Date("2026-03-10T00:00:00Z"),
};

interface Setup {
  readonly w: World;
  /** Claim versions of SLICE (GRP_001, March 1-9). */
  readonly slice: Set<string>;
  readonly others: Set<string>;
}

/**
 * Ready claims in two groups, two thirds dated in March, and the stream's stored position after
 * every write to them (as after `token reset` past them): only a backfill can bill them.
 */
function setup(claims = 90): Setup {
  const w = makeWorld({ claims, groups: 2, clients: 2 });
  const slice = new Set<string>();
  const others = new Set<string>();
  w.data.claims.forEach((c, i) => {
    const march = i % 3 !== 0;
    w.db.claims.update(c.claim_number as string, { billing_date: march ? MARCH(i) : FEBRUARY });
    const key = refKey(c.claim_number as string, 1);
    if (march && c.group_id === "GRP_001") slice.add(key);
    else others.add(key);
  });
  const last = w.db.claims.events().at(-1);
  if (!last) throw new Error("no events");
  void w.ports.checkpoints.save({
    streamName: "test",
    token: encodeToken("event", w.db.claims.epoch, last.clusterTime, last.seq),
    updatedAt: new Date(),
    source: "test",
  });
  return { w, slice, others };
}

function runnerFor(r: Running, w: World, controls: MemoryStreamControl, holder = "test-processor") {
  return new BackfillRunner({
    streamName: "test",
    holder,
    backfills: controls,
    engine: r.engine,
    audit: w.ports.audit,
    clock: systemClock,
    metrics: r.metrics,
    logger: silentLogger,
  });
}

async function runOnce(runner: BackfillRunner): Promise<void> {
  await runner.poll();
  await runner.running;
}

const emitted = (w: World) => new Set(batchesPerVersion(w.db).keys());

let running: Running | undefined;
afterEach(async () => {
  await running?.engine.stop();
  running = undefined;
});

describe("backfill through the running processor", () => {
  it("bills exactly the slice's ready claims, once; a second request finds them emitted", async () => {
    const { w, slice } = setup();
    expect(slice.size).toBeGreaterThan(10);
    const controls = new MemoryStreamControl();
    const deps = { backfills: controls, ...w.ports, clock: systemClock };
    running = await startEngine(w.ports, { markBilled: false });
    // The stream resumed after the claims: nothing is billed without a backfill.
    await new Promise((r) => setTimeout(r, 100));
    expect(emitted(w).size).toBe(0);

    const dry = await requestBackfill(deps, "test", {}, SLICE, true);
    expect(dry).toMatchObject({ ready: slice.size, notEmitted: slice.size, request: null, dryRun: true });
    expect(await controls.listBackfills("test", 10)).toEqual([]);
    expect(w.db.audit.all().filter((a) => a.action.startsWith("backfill"))).toEqual([]);

    const req = await requestBackfill(deps, "test", {}, SLICE, false);
    expect(req.state).toBe("pending");
    const runner = runnerFor(running, w, controls);
    await runOnce(runner);

    const [done] = (await controls.listBackfills("test", 1)) as [BackfillRequest];
    expect(done).toMatchObject({
      id: req.request,
      state: "done",
      attempts: 1,
      runBy: "test-processor",
      total: slice.size,
      scanned: slice.size,
      alreadyEmitted: 0,
      queued: slice.size,
      billed: slice.size,
    });
    expect(await checkOutput(w.db)).toEqual(slice);
    const m = running.metrics;
    expect(await metricValue(m, "claimflow_backfill_total_claims")).toBe(slice.size);
    expect(await metricValue(m, "claimflow_backfill_scanned_claims")).toBe(slice.size);
    expect(await metricValue(m, "claimflow_backfill_billed_claims")).toBe(slice.size);
    expect(await metricValue(m, "claimflow_backfill_running")).toBe(0);
    expect(await metricValue(m, "claimflow_backfills_total", { outcome: "done" })).toBe(1);
    expect(await metricValue(m, "claimflow_events_received_total", { operation: "backfill" })).toBe(
      slice.size,
    );
    const audit = w.db.audit.all().filter((a) => a.action.startsWith("backfill"));
    expect(audit.map((a) => [a.action, a.details?.request])).toEqual([
      ["backfill_requested", req.request],
      ["backfill_done", req.request],
    ]);

    // Run once: a done request is not taken again.
    await runOnce(runner);
    expect((await controls.listBackfills("test", 5)).map((b) => b.attempts)).toEqual([1]);
    // The same slice again (EDI_MARK_BILLED=false: still ready): all already emitted, nothing new.
    expect(await countSlice(w.ports, {}, SLICE)).toEqual({ ready: slice.size, notEmitted: 0 });
    const again = await requestBackfill(deps, "test", {}, SLICE, false);
    await runOnce(runner);
    const [second] = (await controls.listBackfills("test", 1)) as [BackfillRequest];
    expect(second).toMatchObject({
      id: again.request,
      state: "done",
      scanned: slice.size,
      alreadyEmitted: slice.size,
      queued: 0,
      billed: 0,
    });
    expect(await checkOutput(w.db)).toEqual(slice);
  });

  it("narrows by client and by [since, until); a slice outside the stream's group filter is empty", async () => {
    const { w, slice } = setup();
    const client = w.data.claims.find((c) => refKey(c.claim_number as string, 1) === [...slice][0])
      ?.client_id as string;
    const ofClient = new Set(
      w.data.claims
        .filter((c) => c.client_id === client && slice.has(refKey(c.claim_number as string, 1)))
        .map((c) => refKey(c.claim_number as string, 1)),
    );
    expect(ofClient.size).toBeLessThan(slice.size);
    const one = { ...SLICE, client };
    expect((await countSlice(w.ports, {}, one)).ready).toBe(ofClient.size);
    expect((await countSlice(w.ports, { groupFilter: "^GRP_002$" }, SLICE)).ready).toBe(0);
    // since inclusive, until exclusive: [March 2 12:00, March 3 12:00) holds the March 2 claims.
    const day = { ...SLICE, since: MARCH(1), until: MARCH(2) };
    const march2 = w.data.claims.filter((c, i) => i % 9 === 1 && c.group_id === "GRP_001").length;
    expect(march2).toBeGreaterThan(0);
    expect((await countSlice(w.ports, {}, day)).ready).toBe(march2);

    const controls = new MemoryStreamControl();
    running = await startEngine(w.ports);
    await requestBackfill({ backfills: controls, ...w.ports, clock: systemClock }, "test", {}, one, false);
    await runOnce(runnerFor(running, w, controls));
    expect(await checkOutput(w.db)).toEqual(ofClient);
    // EDI_MARK_BILLED=true: what the backfill billed is no longer ready.
    expect((await countSlice(w.ports, {}, one)).ready).toBe(0);
  });

  it("a run cut short is carried on by the next lease holder, skipping what was already emitted", async () => {
    const { w, slice } = setup();
    const controls = new MemoryStreamControl();
    const req = await requestBackfill(
      { backfills: controls, ...w.ports, clock: systemClock },
      "test",
      {},
      SLICE,
      false,
    );
    // A first holder started it and billed a few claims (one batch) before it died.
    const firstFew = w.data.claims
      .filter((c) => slice.has(refKey(c.claim_number as string, 1)))
      .filter((c, _i, all) => c.client_id === all[0]?.client_id)
      .slice(0, 3);
    await reserveElsewhere(w.ports, firstFew, { batchId: "b-first-holder", streamName: "test", write: true });
    await controls.updateBackfill(req.request as string, {
      state: "running",
      attempts: 1,
      runBy: "dead-holder",
      scanned: 40,
    });

    // A standby (not running) leaves it alone.
    const standby = runnerFor({ engine: { state: "standby" } } as unknown as Running, w, controls, "standby");
    await runOnce(standby);
    expect((await controls.nextBackfill("test"))?.runBy).toBe("dead-holder");

    running = await startEngine(w.ports);
    await runOnce(runnerFor(running, w, controls, "next-holder"));
    const [done] = (await controls.listBackfills("test", 1)) as [BackfillRequest];
    expect(done).toMatchObject({
      state: "done",
      attempts: 2,
      runBy: "next-holder",
      total: slice.size,
      scanned: slice.size,
      alreadyEmitted: firstFew.length,
      queued: slice.size - firstFew.length,
      billed: slice.size - firstFew.length,
    });
    expect(await checkOutput(w.db)).toEqual(slice);
  });

  it("a request that fails is marked failed once, audited and counted (the alert's series), never run again", async () => {
    const { w } = setup();
    const controls = new MemoryStreamControl();
    const metrics = new Metrics({ collectDefaults: false });
    let calls = 0;
    // Not transient (a bug, a permission): it reaches the runner after any retries below it.
    const engine = {
      state: "running",
      backfill: async () => {
        calls++;
        throw new TypeError("boom");
      },
    };
    const runner = new BackfillRunner({
      streamName: "test",
      holder: "test-processor",
      backfills: controls,
      engine,
      audit: w.ports.audit,
      clock: systemClock,
      metrics,
      logger: silentLogger,
    });
    const deps = { backfills: controls, ...w.ports, clock: systemClock };
    await requestBackfill(deps, "test", {}, SLICE, false);
    await runOnce(runner);
    await runOnce(runner);
    expect(calls).toBe(1);
    const [failed] = (await controls.listBackfills("test", 1)) as [BackfillRequest];
    expect(failed).toMatchObject({ state: "failed", error: "TypeError" });
    expect(await metricValue(metrics, "claimflow_backfills_total", { outcome: "failed" })).toBe(1);
    expect(await metricValue(metrics, "claimflow_backfill_running")).toBe(0);
    expect(w.db.audit.all().filter((a) => a.action === "backfill_failed")).toHaveLength(1);
  });

  it("waits while the stream is paused and goes on after resume", async () => {
    const { w, slice } = setup(45);
    const controls = new MemoryStreamControl();
    running = await startEngine(w.ports);
    running.engine.setPaused({ paused: true, by: "ops@host", reason: "payer outage" });
    await waitFor("the source to pause", () => running?.engine.sourceState === "paused");
    await requestBackfill({ backfills: controls, ...w.ports, clock: systemClock }, "test", {}, SLICE, false);
    const runner = runnerFor(running, w, controls);
    await runner.poll();
    await new Promise((r) => setTimeout(r, 150));
    expect(emitted(w).size).toBe(0);
    expect((await controls.nextBackfill("test"))?.state).toBe("running");
    running.engine.setPaused({ paused: false });
    await runner.running;
    expect((await controls.listBackfills("test", 1))[0]?.state).toBe("done");
    expect(await checkOutput(w.db)).toEqual(slice);
  });

  it("the stream billing claims of the slice meanwhile never makes a second file", async () => {
    const { w, slice } = setup();
    const controls = new MemoryStreamControl();
    running = await startEngine(w.ports, { markBilled: false });
    await requestBackfill({ backfills: controls, ...w.ports, clock: systemClock }, "test", {}, SLICE, false);
    // Upstream touches every claim of the slice while the backfill reads it: both paths see them.
    for (const k of slice) w.db.claims.update(k.split("@")[0] as string, { updated_at: new Date() });
    await runOnce(runnerFor(running, w, controls));
    await waitFor("the stream's events done", () => emitted(w).size === slice.size);
    await running.engine.stop();
    const [done] = (await controls.listBackfills("test", 1)) as [BackfillRequest];
    expect(done.state).toBe("done");
    // Whichever path reserved a claim first billed it; the other was dropped at the ledger.
    expect(done.alreadyEmitted + done.queued).toBe(slice.size);
    expect(done.billed).toBe(done.queued);
    expect(await checkOutput(w.db)).toEqual(slice);
  });
});
