// Events that carry nothing to bill, and the conditions that must stop a processor: a lease
// taken by someone else, a control number that was already used.
import { describe, expect, it } from "vitest";
import { LeaseLostError } from "../../src/pipeline/lease-keeper.js";
import { BatchConflictError } from "../../src/ports/ledger.js";
import { decodeToken } from "../memory/memory-change-feed.js";
import {
  checkOutput,
  makeWorld,
  metricValue,
  moreClaims,
  readyVersions,
  startEngine,
  waitFor,
} from "./harness.js";

const emittedCount = (w: ReturnType<typeof makeWorld>) => w.db.ledger.emittedRows().length;

describe("Events with nothing to bill", () => {
  it("counts and skips deletes and updates whose document is gone, and moves the checkpoint past them", async () => {
    const w = makeWorld({});
    const { engine, metrics } = await startEngine(w.ports, { windowMs: 15 });
    w.db.faults.arm("cursor.tryNext", { hold: true });
    await waitFor("reads paused", () => w.db.faults.heldAt("cursor.tryNext") === 1);
    const [gone, kept] = moreClaims(w, 2, "DEL");
    w.db.claims.insertMany([gone, kept] as Record<string, unknown>[]);
    w.db.claims.update(gone?.claim_number as string, { note: "x" });
    w.db.claims.delete(gone?.claim_number as string);
    w.db.faults.resume("cursor.tryNext");

    // The insert events carry their documents, so both claims are billed; the update read
    // after the delete finds no document, and the delete itself has nothing to bill.
    await waitFor("both billed", () => emittedCount(w) === 2);
    const deleteSeq = w.db.claims.events().find((e) => e.operationType === "delete")?.seq ?? Number.NaN;
    await waitFor(
      "checkpoint past the delete",
      () => (decodeToken(w.db.checkpoints.peek("test")?.token)?.seq ?? 0) >= deleteSeq,
    );
    expect(await metricValue(metrics, "claimflow_events_skipped_total", { reason: "document_deleted" })).toBe(
      1,
    );
    expect(await metricValue(metrics, "claimflow_events_skipped_total", { reason: "delete" })).toBe(1);
    await engine.stop();
    expect(await checkOutput(w.db)).toEqual(readyVersions([gone, kept] as Record<string, unknown>[]));
    expect(w.db.claims.get(kept?.claim_number as string)?.status).toBe("billed");
    expect(w.db.claims.get(gone?.claim_number as string)).toBeNull();
  });
});

describe("Conditions that stop the processor", () => {
  it("stops with an error when another processor takes its lease", async () => {
    const w = makeWorld({ claims: 5 });
    const { engine } = await startEngine(w.ports, { leaseTtlMs: 300 });
    await waitFor("billed", () => emittedCount(w) === 5);
    // Another processor takes the lease (as after a long pause of this one, once it lapsed).
    await w.db.leases.release("test", "test-processor");
    await w.db.leases.tryAcquire("test", "thief", 60_000);
    await expect(engine.done).rejects.toBeInstanceOf(LeaseLostError);
    expect(engine.state).toBe("failed");
    expect((await w.db.leases.current("test"))?.holder).toBe("thief");
    await checkOutput(w.db);
  });

  it("stops rather than reuse a control number when edi_counters was lowered by hand", async () => {
    const w = makeWorld({ groups: 1, clients: 1 });
    const { engine } = await startEngine(w.ports, { windowMs: 10 });
    const claims = moreClaims(w, 4, "CTR").map(
      (c): Record<string, unknown> => ({
        ...c,
        group_id: "GRP_001",
        client_id: "CLIENT001",
      }),
    );
    w.db.claims.insertMany(claims.slice(0, 2));
    await waitFor("first batch", () => emittedCount(w) === 2);
    // Counters are keyed by the interchange sender as rendered (ISA05*ISA06), as the batch row says.
    w.db.ledger.setCounter(w.db.ledger.allBatches()[0]?.senderId as string, 0);
    w.db.claims.insertMany(claims.slice(2));
    const err = await engine.done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BatchConflictError);
    expect((err as BatchConflictError).conflict).toBe("control_number");
    // Nothing was reserved or written for the refused batch; its claims stay ready for later.
    expect(w.db.ledger.allBatches()).toHaveLength(1);
    expect(await checkOutput(w.db)).toEqual(readyVersions(claims.slice(0, 2)));
    expect(claims.slice(2).map((c) => w.db.claims.get(c.claim_number as string)?.status)).toEqual([
      "ready",
      "ready",
    ]);
  });
});
