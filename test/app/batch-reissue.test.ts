// `batches reissue` over the in-memory ports: a written batch's claims go out again in a new,
// valid file under a new control number of the same sender; the old batch is superseded, the
// history follows the new one, the audit row keeps the reason; every refusal changes nothing;
// a crash before the file is written is finished by running the command again.
import { beforeEach, describe, expect, it } from "vitest";
import { ReissueRefusedError, reissueBatch } from "../../src/app/services/batch-reissue.js";
import { NotFoundError } from "../../src/app/services/operator-errors.js";
import { sumClaimCharges } from "../../src/edi/claim-charges.js";
import { validate837 } from "../../src/edi/validate.js";
import { systemClock } from "../../src/ports/clock.js";
import type { BatchRecord } from "../../src/ports/ledger.js";
import { contractBatch } from "../contracts/builders.js";
import { makeWorld, startEngine, type World, waitFor } from "../pipeline/harness.js";

const actor = () => ({ user: "ops", host: "test", pid: 1 });
const REASON = "TA1 I 024 invalid interchange content";

describe("batches reissue", () => {
  let w: World;
  let old: BatchRecord;
  const deps = () => ({ ports: w.ports, clock: systemClock, actor });

  beforeEach(async () => {
    w = makeWorld({ claims: 40, groups: 2, clients: 2 });
    const { engine } = await startEngine(w.ports, { windowMs: 20 });
    await waitFor("every claim billed", () => w.db.ledger.emittedRows().length === 40);
    await engine.stop();
    old = w.db.ledger.allBatches()[0] as BatchRecord;
  });

  it("sends the same claims in a new valid file under the sender's next control number", async () => {
    const before = w.db.ledger.counter(old.senderId);
    const r = await reissueBatch(deps(), old.batchId, REASON);

    expect(r).toMatchObject({
      oldBatchId: old.batchId,
      oldIsaControlNumber: old.isaControlNumber,
      resumed: false,
    });
    expect(r.senderId).toBe(old.senderId);
    expect(r.isaControlNumber).toBe(before + 1);
    expect(r.path).not.toBe(old.path);
    const next = (await w.ports.ledger.findBatch(r.batchId)) as BatchRecord;
    expect(next).toMatchObject({ state: "written", reissueOf: old.batchId, claimCount: old.claimCount });
    expect(next.claims).toEqual(old.claims);
    // The processor records each batch's total charge (report daily); the reissue carries it.
    expect(old.totalChargeCents).toBe(sumClaimCharges(old.content as string));
    expect(next.totalChargeCents).toBe(old.totalChargeCents);
    const file = w.db.files.all().get(r.path) as string;
    expect(file).toBe(next.content);
    const check = validate837(file);
    expect(check.violations).toEqual([]);
    expect([...check.claimNumbers].sort()).toEqual(old.claims.map((c) => c.claim_number).sort());
    expect(file).toContain(`*${String(r.isaControlNumber).padStart(9, "0")}*0*`);
    // The old file stays as it was; its batch is superseded and names the new one.
    expect(w.db.files.all().get(old.path)).toBe(old.content);
    expect(await w.ports.ledger.findBatch(old.batchId)).toMatchObject({
      state: "superseded",
      supersededBy: r.batchId,
    });
    // History: every claim of the batch now names the new batch, and is still emitted.
    const rows = w.db.ledger
      .history()
      .filter((h) => old.claims.some((c) => c.claim_number === h.claim_number));
    expect(rows.map((h) => h.batchId)).toEqual(old.claims.map(() => r.batchId));
    expect(await w.ports.ledger.findEmitted(old.claims)).toHaveLength(old.claimCount);
    const audit = w.db.audit.all().filter((e) => e.action === "batch_reissue");
    expect(audit).toEqual([
      expect.objectContaining({
        actor: actor(),
        batchId: r.batchId,
        details: expect.objectContaining({
          reason: REASON,
          reissue_of: old.batchId,
          isa13: r.isaControlNumber,
        }),
      }),
    ]);
  });

  it("refuses an unknown, reserved, already reissued, purged or corrupt batch, changing nothing", async () => {
    await expect(reissueBatch(deps(), "bnothere", REASON)).rejects.toBeInstanceOf(NotFoundError);

    await w.ports.ledger.reserve(contractBatch("bres", [{ claim_number: "R-1", version: 1 }], 900));
    await expect(reissueBatch(deps(), "bres", REASON)).rejects.toThrow(/still reserved/);

    await w.ports.ledger.reserve(
      contractBatch("bgone", [{ claim_number: "R-2", version: 1 }], 901, { content: null }),
    );
    await w.ports.ledger.markWritten("bgone", new Date());
    await expect(reissueBatch(deps(), "bgone", REASON)).rejects.toThrow(/removed by retention/);

    await w.ports.ledger.reserve(contractBatch("bbad", [{ claim_number: "R-3", version: 1 }], 902));
    await w.ports.ledger.markWritten("bbad", new Date());
    await expect(reissueBatch(deps(), "bbad", REASON)).rejects.toThrow(/does not match its recorded sha256/);

    const batches = w.db.ledger.allBatches().length;
    const files = w.db.files.all().size;
    const r = await reissueBatch(deps(), old.batchId, REASON);
    const again = await reissueBatch(deps(), old.batchId, REASON).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ReissueRefusedError);
    expect((again as Error).message).toContain(`already reissued as ${r.batchId}`);
    expect(w.db.ledger.allBatches().length).toBe(batches + 1);
    expect(w.db.files.all().size).toBe(files + 1);
    // The reissue itself can be reissued (a second rejection).
    const third = await reissueBatch(deps(), r.batchId, REASON);
    expect(third.isaControlNumber).toBe(r.isaControlNumber + 1);
  });

  it("finishes a reissue whose file was not written (a crash) when run again, with no third number", async () => {
    w.db.faults.arm("sink.write", { error: () => new Error("disk gone") });
    await expect(reissueBatch(deps(), old.batchId, REASON)).rejects.toThrow("disk gone");
    const [pending] = await w.ports.ledger.findReserved();
    expect(pending).toMatchObject({ reissueOf: old.batchId, state: "reserved" });
    const counter = w.db.ledger.counter(old.senderId);

    const r = await reissueBatch(deps(), old.batchId, REASON);
    expect(r).toMatchObject({ batchId: pending?.batchId, resumed: true });
    expect(w.db.ledger.counter(old.senderId)).toBe(counter);
    expect(await w.ports.ledger.countReserved()).toBe(0);
    expect(w.db.files.all().get(r.path)).toBe(pending?.content);
  });
});
