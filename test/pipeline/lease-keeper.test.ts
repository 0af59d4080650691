// The lease keeper gives the lease up before it can lapse on the store when renewals hang (a
// stalled server or socket): each attempt is bounded, and without a renewal for 3/4 of the TTL
// it reports the loss — while the store still shows the lease live, so no standby has it yet.
// A process frozen past that deadline (GC pause, starved CPU) asks the store once instead: it
// keeps the lease only if no other processor took it meanwhile.
import { describe, expect, it } from "vitest";
import { Metrics } from "../../src/observability/metrics.js";
import { Engine } from "../../src/pipeline/engine.js";
import { LeaseLostError } from "../../src/pipeline/lease-keeper.js";
import { systemClock } from "../../src/ports/clock.js";
import { baseOptions, makeWorld, metricValue, silentLogger, waitFor } from "./harness.js";

describe("LeaseKeeper", () => {
  it("stops while its lease is still live when a renewal hangs", async () => {
    const w = makeWorld({ claims: 3 });
    const conn = w.db.connect();
    const metrics = new Metrics({ collectDefaults: false });
    const engine = new Engine(
      { ...baseOptions, leaseTtlMs: 2_000 },
      { ports: conn.ports, metrics, logger: silentLogger, clock: systemClock },
    );
    await engine.start();
    expect(await metricValue(metrics, "claimflow_lease_active")).toBe(1);
    // The first renewal after this never answers.
    conn.faults.arm("leases.tryAcquire", { hold: true, times: Number.POSITIVE_INFINITY });
    await expect(engine.done).rejects.toBeInstanceOf(LeaseLostError);
    const lease = await w.db.leases.current("test");
    expect(lease?.holder).toBe(baseOptions.holder);
    expect(lease?.live).toBe(true);
    expect(await metricValue(metrics, "claimflow_lease_active")).toBe(0);
    expect(conn.faults.heldAt("leases.tryAcquire")).toBeGreaterThan(0);
    conn.faults.resume("leases.tryAcquire");
    await waitFor("stopped", () => engine.state === "failed");
  });

  /** Blocks the event loop, as a long GC pause or a starved CPU does. */
  function freeze(ms: number): void {
    const until = performance.now() + ms;
    while (performance.now() < until) {
      // busy: no timer, no renewal, no work can run
    }
  }

  async function lonelyEngine(ttlMs: number) {
    const w = makeWorld({ claims: 3 });
    const conn = w.db.connect();
    const metrics = new Metrics({ collectDefaults: false });
    const engine = new Engine(
      { ...baseOptions, leaseTtlMs: ttlMs },
      { ports: conn.ports, metrics, logger: silentLogger, clock: systemClock },
    );
    await engine.start();
    return { w, conn, metrics, engine };
  }

  it("keeps running after a pause past the deadline when no other processor took the lease", async () => {
    const { w, conn, metrics, engine } = await lonelyEngine(300);
    // A renewal is on the wire when the process freezes; its reply is read only in the event
    // loop's poll phase, after the timers phase has run the (now overdue) deadline. Here the
    // held call stands for that reply and setImmediate (after timers) for its arrival.
    conn.faults.arm("leases.tryAcquire", { hold: true, times: Number.POSITIVE_INFINITY });
    await waitFor("a renewal in flight", () => conn.faults.heldAt("leases.tryAcquire") === 1);
    freeze(600);
    setImmediate(() => conn.faults.resume("leases.tryAcquire"));
    // Several renewal periods later: the late deadline asked the store and kept the lease.
    await new Promise((r) => setTimeout(r, 400));
    expect(engine.state).toBe("running");
    expect(await metricValue(metrics, "claimflow_lease_active")).toBe(1);
    expect((await w.db.leases.current("test"))?.holder).toBe(baseOptions.holder);
    await engine.stop();
    await expect(engine.done).resolves.toBeUndefined();
  });

  it("stops after a pause past the deadline when another processor took the lease meanwhile", async () => {
    const { w, metrics, engine } = await lonelyEngine(300);
    freeze(400);
    // Our lease lapsed during the pause; a standby takes it before this process runs again.
    await w.db.leases.tryAcquire("test", "standby-host:2", 60_000);
    await expect(engine.done).rejects.toBeInstanceOf(LeaseLostError);
    expect(await metricValue(metrics, "claimflow_lease_active")).toBe(0);
    expect((await w.db.leases.current("test"))?.holder).toBe("standby-host:2");
  });
});
