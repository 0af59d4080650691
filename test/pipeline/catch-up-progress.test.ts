// Issue 12 item 7: a catch-up scan says how far it is, scanned of total, on /metrics.
import { describe, expect, it } from "vitest";
import { batchesPerVersion, makeWorld, metricValue, startEngine, waitFor } from "./harness.js";

describe("catch-up progress", () => {
  it("exports the scan's total when it starts and what it has scanned as it goes", async () => {
    const w = makeWorld({ claims: 120, groups: 2, clients: 2 });
    const ready = w.data.claims.filter((c) => c.status === "ready").length;
    const { engine, metrics } = await startEngine(w.ports, { scanPageSize: 25 });
    await waitFor("every ready claim filed", () => batchesPerVersion(w.db).size === ready);
    await engine.stop();
    expect(await metricValue(metrics, "claimflow_catchup_total_claims")).toBe(ready);
    expect(await metricValue(metrics, "claimflow_catchup_scanned_claims")).toBe(ready);
  });
});
