// The source's restart paths and crash safety: token lost (rescan / fail), a live stream that
// fell off the oplog, invalidate, transient faults and the circuit, kill -9 at every step of
// the batch path, and stops that race recovery or a hung write.
import { describe, expect, it } from "vitest";
import { Metrics } from "../../src/observability/metrics.js";
import { TokenLostFatalError } from "../../src/pipeline/claim-source.js";
import { Engine } from "../../src/pipeline/engine.js";
import { type Clock, systemClock } from "../../src/ports/clock.js";
import type { FaultPoint } from "../memory/faults.js";
import {
  baseOptions,
  checkOutput,
  makeWorld,
  metricValue,
  moreClaims,
  readyVersions,
  silentLogger,
  startEngine,
  type World,
  waitFor,
  waitForTokenCheckpoint,
} from "./harness.js";

const emittedCount = (w: World) => w.db.ledger.emittedRows().length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A clock the tests can move forward, so cluster times (seconds) are under their control. */
function movableClock(): Clock & { advance(seconds: number): void } {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    advance(seconds) {
      offset += seconds * 1000;
    },
  };
}

/** Bills the seeded claims, stops, then loses the history the stored token points into. */
async function worldWithLostToken() {
  const clock = movableClock();
  const w = makeWorld({ claims: 30, clock });
  const first = await startEngine(w.ports, { markBilled: false });
  await waitFor("first run", () => emittedCount(w) === 30);
  await waitForTokenCheckpoint(w.db);
  await first.engine.stop();
  expect(w.db.checkpoints.peek("test")?.token).toBeDefined();
  // While down: time passes, new claims arrive, and the oplog rolls past the stored token.
  clock.advance(60);
  const down = moreClaims(w, 20, "DOWN");
  w.db.claims.insertMany(down);
  const firstDown = w.db.claims.events().find((e) => e.postImage?.claim_number === down[0]?.claim_number);
  if (!firstDown) throw new Error("no event for the first claim written while down");
  w.db.claims.truncateHistory(firstDown.clusterTime);
  return { w, clock, down };
}

describe("Token lost", () => {
  it("rescan: clears the checkpoint first, then catches up on everything not yet billed, without duplicates", async () => {
    const { w, down } = await worldWithLostToken();
    const conn = w.db.connect();
    const savesBefore = w.db.checkpoints.saves.length;
    conn.faults.arm("checkpoints.clear", { hold: true });
    const second = await startEngine(conn.ports, { markBilled: false }, { waitStreaming: false });
    await waitFor("the clear", () => conn.faults.heldAt("checkpoints.clear") === 1);
    // Nothing happens before the dead token is gone.
    await sleep(30);
    expect(await metricValue(second.metrics, "claimflow_events_received_total")).toBe(0);
    expect(w.db.checkpoints.saves.length).toBe(savesBefore);
    conn.faults.resume("checkpoints.clear");

    await waitFor("catch-up", () => emittedCount(w) === 50);
    await second.engine.stop();
    expect(await metricValue(second.metrics, "claimflow_token_lost_total")).toBe(1);
    expect(
      await metricValue(second.metrics, "claimflow_stream_restarts_total", { reason: "token_lost" }),
    ).toBe(1);
    // The scan saw all 50 ready claims; the 30 already in processing_history were skipped.
    expect(await metricValue(second.metrics, "claimflow_events_received_total", { operation: "scan" })).toBe(
      20,
    );
    expect(await metricValue(second.metrics, "claimflow_claims_emitted_total")).toBe(20);
    expect(await checkOutput(w.db)).toEqual(readyVersions([...w.data.claims, ...down]));
    // And the next start resumes from a fresh, valid checkpoint.
    const third = await startEngine(w.db.connect().ports, { markBilled: false });
    expect(third.engine.sourceState).toBe("streaming");
    await third.engine.stop();
    expect(await metricValue(third.metrics, "claimflow_token_lost_total")).toBe(0);
  });

  it("fail: the engine ends with a fatal error, and the dead token is cleared so a rescan start works", async () => {
    const { w, down } = await worldWithLostToken();
    const second = await startEngine(w.db.connect().ports, { onTokenLost: "fail" }, { waitStreaming: false });
    await expect(second.engine.done).rejects.toBeInstanceOf(TokenLostFatalError);
    expect(second.engine.state).toBe("failed");
    expect(w.db.checkpoints.peek("test")).toBeNull();
    expect(emittedCount(w)).toBe(30);
    await second.engine.stop();
    expect(second.engine.state).toBe("failed");
    await waitFor("the lease handed back", async () => (await w.db.leases.current("test")) === null);

    const third = await startEngine(w.db.connect().ports, {}, { waitStreaming: false });
    await waitFor("catch-up", () => emittedCount(w) === 50);
    await third.engine.stop();
    expect(await checkOutput(w.db)).toEqual(readyVersions([...w.data.claims, ...down]));
  });

  it("a live stream that fell behind the oplog rescans and misses nothing", async () => {
    const clock = movableClock();
    const w = makeWorld({ clock });
    const { engine, metrics } = await startEngine(w.ports);
    // The processor stalls (a long GC pause, a slow network) while the oplog rolls over.
    w.db.faults.arm("cursor.tryNext", { hold: true });
    await waitFor("the read to stall", () => w.db.faults.heldAt("cursor.tryNext") === 1);
    clock.advance(30);
    const lost = moreClaims(w, 15, "LOST");
    w.db.claims.insertMany(lost);
    clock.advance(30);
    const kept = moreClaims(w, 1, "KEPT", 99);
    w.db.claims.insertMany(kept);
    w.db.claims.truncateHistory(w.db.claims.events().at(-1)?.clusterTime ?? { t: 0, i: 0 });
    w.db.faults.resume("cursor.tryNext");

    await waitFor("everything billed", () => emittedCount(w) === 16);
    await engine.stop();
    expect(await metricValue(metrics, "claimflow_token_lost_total")).toBe(1);
    expect(await checkOutput(w.db)).toEqual(readyVersions([...lost, ...kept]));
  });
});

describe("Invalidate", () => {
  it("restarts after the invalidate with startAfter and a catch-up, billing what the new collection holds once", async () => {
    const w = makeWorld({});
    const { engine, metrics } = await startEngine(w.ports);
    const before = moreClaims(w, 10, "PRE");
    w.db.claims.insertMany(before);
    await waitFor("first claims", () => emittedCount(w) === 10);

    w.db.claims.drop();
    const after = moreClaims(w, 12, "POST");
    w.db.claims.insertMany(after);
    await waitFor("claims of the recreated collection", () => emittedCount(w) === 22);
    expect(await metricValue(metrics, "claimflow_stream_restarts_total", { reason: "invalidate" })).toBe(1);
    expect(await metricValue(metrics, "claimflow_events_skipped_total", { reason: "drop" })).toBe(1);

    // Streaming goes on after the restart.
    await waitFor("streaming again", () => engine.sourceState === "streaming");
    const later = moreClaims(w, 5, "LATER");
    w.db.claims.insertMany(later);
    await waitFor("later claims", () => emittedCount(w) === 27);
    await engine.stop();
    expect(await checkOutput(w.db)).toEqual(readyVersions([...before, ...after, ...later]));

    // The saved checkpoint lies after the invalidate and resumes cleanly.
    const again = await startEngine(w.db.connect().ports);
    expect(again.engine.sourceState).toBe("streaming");
    await again.engine.stop();
    expect(await metricValue(again.metrics, "claimflow_stream_restarts_total")).toBe(0);
  });
});

describe("Transient faults", () => {
  it("retries every failed step and resumes the stream after the last token: nothing lost, nothing twice", async () => {
    const w = makeWorld({ claims: 40 });
    const f = w.db.faults;
    f.arm("claims.scanReady", { times: 2 });
    f.arm("ledger.findEmitted", { times: 2 });
    f.arm("lookups.patients", { times: 2 });
    f.arm("lookups.clients", { times: 1 });
    f.arm("ledger.nextControlNumber", { lostReply: true });
    f.arm("ledger.reserve", { lostReply: true, skip: 1 });
    f.arm("sink.write", { times: 2, skip: 2 });
    f.arm("ledger.markWritten", { lostReply: true });
    f.arm("claims.markBilled", { times: 2 });
    f.arm("checkpoints.save", { times: 2 });
    const { engine, metrics } = await startEngine(w.ports, {}, { waitStreaming: false });
    await waitFor("catch-up", () => emittedCount(w) === 40);
    await waitFor("streaming", () => engine.sourceState === "streaming");

    f.arm("cursor.tryNext", { times: 3 });
    f.arm("feed.open", { times: 2 });
    const live = moreClaims(w, 30, "LIVE");
    w.db.claims.insertMany(live.slice(0, 15));
    await waitFor("first live claims", () => emittedCount(w) >= 45);
    f.arm("cursor.tryNext", { times: 1, skip: 2 });
    w.db.claims.insertMany(live.slice(15));
    await waitFor("all live claims", () => emittedCount(w) === 70);
    await engine.stop();

    expect(
      await metricValue(metrics, "claimflow_stream_restarts_total", { reason: "transient" }),
    ).toBeGreaterThanOrEqual(2);
    expect(w.db.claims.all().every((d) => d.status === "billed")).toBe(true);
    expect(await checkOutput(w.db)).toEqual(readyVersions([...w.data.claims, ...live]));
  });

  it("opens the circuit when the stream keeps failing (not ready), and closes it once reads succeed", async () => {
    const w = makeWorld({});
    const { engine } = await startEngine(w.ports, {
      resilience: { breakAfter: 3, halfOpenAfterMs: 60, initialDelayMs: 2, maxDelayMs: 10 },
    });
    expect(engine.readiness()).toEqual({ ready: true, role: "active" });
    w.db.faults.arm("cursor.tryNext", { times: Number.POSITIVE_INFINITY });
    await waitFor("circuit open", () => engine.readiness().reason === "circuit open: MongoDB keeps failing");
    w.db.faults.disarm("cursor.tryNext");
    await waitFor("ready again", () => engine.readiness().ready);
    const claims = moreClaims(w, 8, "CB");
    w.db.claims.insertMany(claims);
    await waitFor("billed", () => emittedCount(w) === 8);
    await engine.stop();
    expect(await checkOutput(w.db)).toEqual(readyVersions(claims));
  });
});

describe("Readiness while the change stream restarts", () => {
  it("answers not ready from the failed read until a read after the restart succeeds", async () => {
    const w = makeWorld({});
    // A long backoff and a circuit that does not open: the restart itself is what is seen.
    const { engine } = await startEngine(w.ports, {
      resilience: { breakAfter: 1_000, initialDelayMs: 400, maxDelayMs: 400 },
    });
    expect(engine.readiness().ready).toBe(true);
    w.db.faults.arm("cursor.tryNext", { times: 1 });
    await waitFor("not ready", () => !engine.readiness().ready);
    expect(engine.readiness()).toEqual({ ready: false, reason: "change stream restarting", role: "active" });
    await waitFor("ready again", () => engine.readiness().ready);
    const claims = moreClaims(w, 4, "RS");
    w.db.claims.insertMany(claims);
    await waitFor("billed", () => emittedCount(w) === 4);
    await engine.stop();
    expect(await checkOutput(w.db)).toEqual(readyVersions(claims));
  });
});

describe("Crash (kill -9) and restart", () => {
  const points: [FaultPoint, number][] = [
    ["ledger.reserve", 1],
    ["sink.write", 1],
    ["ledger.markWritten", 2],
    ["claims.markBilled", 1],
    ["audit.append", 3],
    ["checkpoints.save", 1],
    ["cursor.tryNext", 4],
  ];
  it.each(points)(
    "killed at %s (after %i calls): the next start bills every claim version exactly once",
    async (point, skip) => {
      const w = makeWorld({ claims: 45, groups: 3, clients: 2 });
      const crashed = w.db.connect();
      crashed.faults.arm(point, { kill: true, skip });
      // The killed engine is left as a dead process would be: none of its calls ever returns.
      await startEngine(
        crashed.ports,
        { holder: "p1", leaseTtlMs: 300, batchSize: 10 },
        { waitStreaming: false },
      );
      // Claims keep arriving, also while the processor is dead.
      const live = moreClaims(w, 15, "LIVE");
      w.db.claims.insertMany(live.slice(0, 5));
      await waitFor("the crash", () => crashed.faults.killed);
      await sleep(20);
      const reservedAtCrash = await w.db.ledger.countReserved();
      w.db.claims.insertMany(live.slice(5));

      const restarted = await startEngine(
        w.db.connect().ports,
        { holder: "p2", leaseTtlMs: 300 },
        { waitStreaming: false },
      );
      await waitFor(
        "every claim billed",
        () => emittedCount(w) === 60 && w.db.ledger.history().length === 60,
      );
      await restarted.engine.stop();
      expect(await metricValue(restarted.metrics, "claimflow_batches_total", { outcome: "recovered" })).toBe(
        reservedAtCrash,
      );
      if (point === "sink.write") expect(reservedAtCrash).toBe(1);
      expect(w.db.claims.all().every((d) => d.status === "billed")).toBe(true);
      expect(await checkOutput(w.db)).toEqual(readyVersions([...w.data.claims, ...live]));
    },
  );
});

describe("Stopping", () => {
  it("a stop during recovery ends the engine there: it never starts streaming", async () => {
    const w = makeWorld({ claims: 5 });
    const conn = w.db.connect();
    conn.faults.arm("ledger.findReserved", { hold: true });
    const engine = new Engine(baseOptions, {
      ports: conn.ports,
      metrics: new Metrics({ collectDefaults: false }),
      logger: silentLogger,
      clock: systemClock,
    });
    const starting = engine.start();
    await waitFor(
      "recovering",
      () => engine.state === "recovering" && conn.faults.heldAt("ledger.findReserved") === 1,
    );
    await engine.stop();
    conn.faults.resume("ledger.findReserved");
    await starting;
    await sleep(50);
    expect(engine.state).toBe("stopped");
    expect(conn.faults.count("feed.open")).toBe(0);
    expect(conn.faults.count("claims.scanReady")).toBe(0);
    expect(await w.db.leases.current("test")).toBeNull();
    await expect(engine.done).resolves.toBeUndefined();
  });

  it("gives up on a hung write at the shutdown timeout; the next start writes the reserved batch", async () => {
    const w = makeWorld({});
    const conn = w.db.connect();
    const { engine } = await startEngine(conn.ports, { shutdownTimeoutMs: 1_000, windowMs: 10 });
    conn.faults.arm("sink.write", { hold: true, times: Number.POSITIVE_INFINITY });
    const claims = moreClaims(w, 6, "HUNG");
    w.db.claims.insertMany(claims);
    await waitFor("a write hung", () => conn.faults.heldAt("sink.write") > 0);
    const started = Date.now();
    await engine.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    // Work was abandoned: the engine reports a failure (non-zero exit), never a clean stop.
    await expect(engine.done).rejects.toBeDefined();
    expect(engine.state).toBe("failed");
    expect(await w.db.leases.current("test")).toBeNull();
    expect(await w.db.ledger.countReserved()).toBeGreaterThan(0);

    const next = await startEngine(w.db.connect().ports);
    await waitFor("all billed", () => emittedCount(w) === 6);
    await next.engine.stop();
    expect(await checkOutput(w.db)).toEqual(readyVersions(claims));
  });
});
