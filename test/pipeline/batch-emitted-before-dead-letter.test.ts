// The batch looks up already-emitted claims and enriches in parallel; what it finds emitted must
// be dropped before anything is decided from the joins: an emitted claim whose patient has
// gone since is a repeat to skip, never a dead letter.
import { describe, expect, it } from "vitest";
import { checkOutput, makeWorld, metricValue, readyVersions, startEngine, waitFor } from "./harness.js";

describe("A batch holding claims emitted before", () => {
  it("skips them as repeats even when their references no longer resolve, and sends nothing to dead_letters", async () => {
    const w = makeWorld({ claims: 10 });
    const emitted = () => w.db.ledger.emittedRows().length;
    // markBilled off: the claims stay ready, so touching them sends them through a batch again.
    const { engine, metrics } = await startEngine(w.ports, { markBilled: false });
    await waitFor("first run", () => emitted() === 10);

    const touched = w.data.claims.slice(0, 5);
    w.db.lookups.removePatients(touched.map((c) => c.patient_id as string));
    for (const c of touched) w.db.claims.update(c.claim_number as string, { note: "touched" });
    await waitFor(
      "the touched claims read again",
      async () => (await metricValue(metrics, "claimflow_claims_duplicate_total")) >= 5,
    );
    await engine.stop();

    expect(await w.db.deadLetters.count()).toBe(0);
    expect(await metricValue(metrics, "claimflow_claims_dead_lettered_total")).toBe(0);
    expect(await metricValue(metrics, "claimflow_claims_emitted_total")).toBe(10);
    expect(await checkOutput(w.db)).toEqual(readyVersions(w.data.claims));
    // EDI_MARK_BILLED off: a repeat found by the lookup is not marked either.
    for (const c of touched) expect(w.db.claims.get(c.claim_number as string)?.status).toBe("ready");
  });
});
