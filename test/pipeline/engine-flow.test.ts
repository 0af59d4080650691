// The engine end to end over the in-memory twins: catch-up then stream, the three window
// flushes, idle-group release, graceful stop. Every test ends with the file invariant.
import { describe, expect, it } from "vitest";
import { Metrics } from "../../src/observability/metrics.js";
import { Engine } from "../../src/pipeline/engine.js";
import { systemClock } from "../../src/ports/clock.js";
import { decodeToken } from "../memory/memory-change-feed.js";
import {
  baseOptions,
  checkOutput,
  makeWorld,
  metricValue,
  moreClaims,
  readyVersions,
  silentLogger,
  startEngine,
  waitFor,
  waitForTokenCheckpoint,
} from "./harness.js";

describe("Engine flow", () => {
  it("bills every ready claim once: the catch-up scan, then what the stream brings", async () => {
    const w = makeWorld({ claims: 120, groups: 3, clients: 2 });
    const { engine, metrics } = await startEngine(w.ports);
    await waitFor("catch-up emitted", () => w.db.ledger.history().length === 120);
    const live = moreClaims(w, 60, "LIVE");
    w.db.claims.insertMany(live);
    await waitFor("stream emitted", () => w.db.ledger.history().length === 180);
    await engine.stop();

    const out = await checkOutput(w.db);
    expect(out).toEqual(readyVersions([...w.data.claims, ...live]));
    expect(await metricValue(metrics, "claimflow_events_received_total", { operation: "scan" })).toBe(120);
    // The last seeded claim sits exactly at T0, where the stream starts (inclusive): read
    // twice, billed once.
    const inserts = await metricValue(metrics, "claimflow_events_received_total", { operation: "insert" });
    expect(inserts - 60).toBeGreaterThanOrEqual(0);
    expect(inserts - 60).toBeLessThanOrEqual(1);
    expect(await metricValue(metrics, "claimflow_claims_duplicate_total")).toBe(inserts - 60);
    expect(await metricValue(metrics, "claimflow_claims_emitted_total")).toBe(180);
    // markBilled: every emitted claim is billed, and those marks never came back as work.
    expect(w.db.claims.all().every((d) => d.status === "billed")).toBe(true);
    // One file per (group, client) batch, all with their own control numbers.
    const batches = w.db.ledger.allBatches();
    for (const b of batches) expect(b.claims.length).toBeLessThanOrEqual(25);
    const isa = batches.map((b) => `${b.senderId}:${b.isaControlNumber}`);
    expect(new Set(isa).size).toBe(isa.length);
    expect(w.db.audit.all().filter((a) => a.action === "file_emitted")).toHaveLength(batches.length);
  });

  it("flushes a group as soon as it holds the batch size, long before its window closes", async () => {
    const w = makeWorld({ groups: 1, clients: 1 });
    const { engine, metrics } = await startEngine(w.ports, { batchSize: 10, windowMs: 60_000 });
    const claims = moreClaims(w, 30, "SIZE").map((c) => ({
      ...c,
      group_id: "GRP_001",
      client_id: "CLIENT001",
    }));
    w.db.claims.insertMany(claims);
    await waitFor("three full batches", () => w.db.ledger.history().length === 30);
    expect(w.db.ledger.allBatches().map((b) => b.claimCount)).toEqual([10, 10, 10]);
    expect(await metricValue(metrics, "claimflow_open_windows")).toBe(0);
    await engine.stop();
    await checkOutput(w.db);
  });

  it("flushes a group when its window time has passed since its first claim", async () => {
    const w = makeWorld({ groups: 1, clients: 1 });
    const windowMs = 500;
    const { engine } = await startEngine(w.ports, { batchSize: 1000, windowMs });
    const claims = moreClaims(w, 5, "TIME").map((c) => ({
      ...c,
      group_id: "GRP_001",
      client_id: "CLIENT001",
    }));
    const started = Date.now();
    w.db.claims.insertMany(claims.slice(0, 3));
    await new Promise((r) => setTimeout(r, 30));
    w.db.claims.insertMany(claims.slice(3));
    await waitFor("the window to flush", () => w.db.ledger.history().length === 5);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(windowMs - 5);
    // One batch: the later claims joined the window opened by the first one.
    expect(w.db.ledger.allBatches().map((b) => b.claimCount)).toEqual([5]);
    await engine.stop();
    await checkOutput(w.db);
  });

  it("releases idle groups: the open-windows gauge returns to zero once every window flushed", async () => {
    const w = makeWorld({ groups: 4, clients: 3 });
    const { engine, metrics } = await startEngine(w.ports, { windowMs: 250, batchSize: 1000 });
    w.db.claims.insertMany(moreClaims(w, 48, "IDLE"));
    await waitFor("windows open", async () => (await metricValue(metrics, "claimflow_open_windows")) > 1);
    await waitFor("all emitted", () => w.db.ledger.history().length === 48);
    await waitFor(
      "gauge back to zero",
      async () => (await metricValue(metrics, "claimflow_open_windows")) === 0,
    );
    expect(await metricValue(metrics, "claimflow_buffered_claims")).toBe(0);
    await engine.stop();
    await checkOutput(w.db);
  });

  it("on stop, flushes every open window and saves the checkpoint past the last event", async () => {
    const w = makeWorld({ groups: 3, clients: 2 });
    const { engine, metrics } = await startEngine(w.ports, {
      windowMs: 60_000,
      batchSize: 1000,
      checkpointIntervalMs: 60_000,
    });
    const claims = moreClaims(w, 17, "STOP");
    w.db.claims.insertMany(claims);
    await waitFor(
      "every event read",
      async () => (await metricValue(metrics, "claimflow_events_received_total")) === 17,
    );
    expect(await metricValue(metrics, "claimflow_open_windows")).toBeGreaterThan(0);
    expect(w.db.files.size).toBe(0);

    const stopping = engine.stop();
    await stopping;
    await expect(engine.done).resolves.toBeUndefined();
    expect(engine.state).toBe("stopped");
    expect(w.db.ledger.history()).toHaveLength(17);
    expect(await metricValue(metrics, "claimflow_open_windows")).toBe(0);
    const cp = w.db.checkpoints.peek("test");
    const lastInsert = w.db.claims
      .events()
      .filter((e) => e.operationType === "insert")
      .at(-1);
    expect(decodeToken(cp?.token)?.seq).toBeGreaterThanOrEqual(lastInsert?.seq ?? Number.POSITIVE_INFINITY);
    expect(await w.db.leases.current("test")).toBeNull();
    await checkOutput(w.db);
  });

  it("restarts after the stored token: claims inserted while down are billed, nothing twice", async () => {
    const w = makeWorld({ claims: 40 });
    const first = await startEngine(w.ports);
    await waitFor("first run", () => w.db.ledger.history().length === 40);
    await waitForTokenCheckpoint(w.db);
    await first.engine.stop();
    const down = moreClaims(w, 25, "DOWN");
    w.db.claims.insertMany(down);

    const second = await startEngine(w.db.connect().ports);
    await waitFor("second run", () => w.db.ledger.history().length === 65);
    await second.engine.stop();
    // Resumed from the token: no scan, and nothing already billed came back.
    expect(await metricValue(second.metrics, "claimflow_events_received_total", { operation: "scan" })).toBe(
      0,
    );
    expect(await metricValue(second.metrics, "claimflow_claims_emitted_total")).toBe(25);
    expect(await checkOutput(w.db)).toEqual(readyVersions([...w.data.claims, ...down]));
  });

  it("applies the group filter to the scan and to the stream", async () => {
    const w = makeWorld({ claims: 60, groups: 3 });
    const { engine } = await startEngine(w.ports, { groupFilter: "^GRP_00[12]$" });
    const live = moreClaims(w, 30, "GF");
    w.db.claims.insertMany(live);
    const mine = [...w.data.claims, ...live].filter((c) => c.group_id !== "GRP_003");
    await waitFor("filtered claims", () => w.db.ledger.history().length === mine.length);
    await new Promise((r) => setTimeout(r, 80));
    await engine.stop();
    expect(await checkOutput(w.db)).toEqual(readyVersions(mine));
    expect(
      w.db.claims
        .all()
        .filter((d) => d.group_id === "GRP_003")
        .every((d) => d.status === "ready"),
    ).toBe(true);
  });

  it("stands by while another processor holds the lease, then takes over when it is released", async () => {
    const w = makeWorld({ claims: 10 });
    const active = await startEngine(w.ports, { holder: "active" });
    await waitFor("active billed", () => w.db.ledger.history().length === 10);
    const standbyConn = w.db.connect();
    const engine2Metrics = new Metrics({ collectDefaults: false });
    const engine2 = new Engine(
      { ...baseOptions, holder: "standby", leaseTtlMs: 600 },
      {
        ports: standbyConn.ports,
        metrics: engine2Metrics,
        logger: silentLogger,
        clock: systemClock,
      },
    );
    const started = engine2.start();
    await waitFor("standby", () => engine2.state === "standby");
    // A hot standby is ready (a rolling update must not wait on it forever) and says so.
    await waitFor("standby ready", () => engine2.readiness().ready);
    expect(engine2.readiness()).toEqual({ ready: true, role: "standby" });
    expect(await metricValue(engine2Metrics, "claimflow_lease_active")).toBe(0);
    expect(await metricValue(active.metrics, "claimflow_lease_active")).toBe(1);
    await active.engine.stop();
    expect(await metricValue(active.metrics, "claimflow_lease_active")).toBe(0);
    await started;
    await waitFor("takeover", () => engine2.readiness().role === "active" && engine2.readiness().ready);
    expect(await metricValue(engine2Metrics, "claimflow_lease_active")).toBe(1);
    w.db.claims.insertMany(moreClaims(w, 5, "TAKE"));
    await waitFor("standby billed", () => w.db.ledger.history().length === 15);
    await engine2.stop();
    await checkOutput(w.db);
  });
});
