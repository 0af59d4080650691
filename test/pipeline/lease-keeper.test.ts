// The lease keeper gives the lease up before it can lapse on the store when renewals hang (a
// stalled server or socket): each attempt is bounded, and without a renewal for 3/4 of the TTL
// it reports the loss — while the store still shows the lease live, so no standby has it yet.
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
});
