// Claims that cannot be billed go to dead_letters with a reason and issue paths (never
// values), and the rest of their batch is billed; the watermark moves past them.
import { describe, expect, it } from "vitest";
import type { DeadLetterReason } from "../../src/domain/errors.js";
import { npiWithCheckDigit } from "../../src/domain/npi.js";
import { makeInvalidClaims } from "../../src/seed/synthetic.js";
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

function unsafeKeyClaim(base: Record<string, unknown>, prefix: string): Record<string, unknown> {
  const found = makeInvalidClaims(base, prefix).find((c) => String(c.claim_number).endsWith("UNSAFEKEY"));
  if (!found) throw new Error("makeInvalidClaims has no UNSAFEKEY variant");
  return found;
}

describe("Dead letters", () => {
  it("parks each unbillable claim with its reason while the rest of the batch is billed", async () => {
    const w = makeWorld({ groups: 1, clients: 1 });
    const { engine, metrics } = await startEngine(w.ports, { windowMs: 30, batchSize: 1000 });
    const good = moreClaims(w, 20, "OK").map((c) => ({ ...c, group_id: "GRP_001", client_id: "CLIENT001" }));
    const base = good[0] as Record<string, unknown>;
    // A patient document that fails its schema, and an NPI that passes the check but is unknown.
    w.db.lookups.upsertPatients([{ patient_id: "P-BROKEN", first_name: "SECRETNAME", dob: "SECRETDOB" }]);
    const bad = [
      ...makeInvalidClaims(base, "BAD"),
      { ...structuredClone(base), claim_number: "BAD-NONPI", rendering_npi: npiWithCheckDigit("199999999") },
      { ...structuredClone(base), claim_number: "BAD-PATIENT", patient_id: "P-BROKEN" },
      {
        ...structuredClone(base),
        claim_number: "BAD-DOLLAR",
        payer: { payer_id: "60054", name: "AETNA", $where: "sleep(1000)" },
      },
    ];
    // Bad claims sit among the good ones, in the same (group, client) windows.
    w.db.claims.insertMany([...good.slice(0, 10), ...bad, ...good.slice(10)]);
    await waitFor("good billed", () => w.db.ledger.history().length === 20);
    await waitFor("bad parked", () => w.db.deadLetters.all().length === bad.length);

    const reasons = Object.fromEntries(w.db.deadLetters.all().map((d) => [d.claimNumber, d.reason]));
    expect(reasons).toEqual({
      "BAD-NOPATIENT": "patient_missing",
      "BAD-BADNPI": "invalid_claim",
      "BAD-BADTOTAL": "invalid_claim",
      "BAD-UNSAFEKEY": "unsafe_keys",
      "BAD-NOPCCN": "invalid_claim",
      "BAD-NOCLIENT": "client_missing",
      "BAD-NONPI": "npi_missing",
      "BAD-PATIENT": "patient_invalid",
      "BAD-DOLLAR": "unsafe_keys",
    } satisfies Record<string, DeadLetterReason>);
    const byNumber = new Map(w.db.deadLetters.all().map((d) => [d.claimNumber, d]));
    expect(byNumber.get("BAD-BADTOTAL")?.issues.map((i) => i.path)).toEqual(["total_charge"]);
    expect(byNumber.get("BAD-NONPI")?.issues.map((i) => i.path)).toEqual(["rendering_npi"]);
    expect(byNumber.get("BAD-DOLLAR")?.issues[0]?.path).toBe("payer");
    expect(byNumber.get("BAD-NOCLIENT")).toMatchObject({
      groupId: "GRP_001",
      clientId: "CLIENT999",
      attempts: 1,
    });
    // Paths and rules only: no value from the documents (names, member ids, the injected text).
    const text = JSON.stringify(w.db.deadLetters.all());
    expect(text).not.toContain("SECRET");
    expect(text).not.toContain("sleep(1000)");
    expect(text).not.toContain("999999.99");
    expect(text).not.toContain("1234567890");

    expect(await metricValue(metrics, "claimflow_claims_dead_lettered_total")).toBe(bad.length);
    expect(
      await metricValue(metrics, "claimflow_claims_dead_lettered_total", { reason: "unsafe_keys" }),
    ).toBe(2);
    // Dead letters are done work: the checkpoint moves past them.
    const lastSeq = w.db.claims.lastSeq;
    await waitFor("checkpoint past the dead letters", () => {
      return (decodeToken(w.db.checkpoints.peek("test")?.token)?.seq ?? 0) >= lastSeq;
    });
    await engine.stop();
    expect(await checkOutput(w.db)).toEqual(readyVersions(good));
  });

  it("counts a dead letter read again as another attempt, and bills its corrected version", async () => {
    const w = makeWorld({ groups: 1, clients: 1 });
    const { engine } = await startEngine(w.ports, { windowMs: 15 });
    const [base] = moreClaims(w, 1, "FIX").map(
      (c): Record<string, unknown> => ({
        ...c,
        group_id: "GRP_001",
        client_id: "CLIENT001",
      }),
    );
    const broken: Record<string, unknown> = { ...base, patient_id: "P-GHOST" };
    w.db.claims.insert(broken);
    await waitFor("parked", () => w.db.deadLetters.all().length === 1);
    w.db.claims.update(broken.claim_number as string, { note: "resent" });
    await waitFor("second attempt", () => w.db.deadLetters.all()[0]?.attempts === 2);
    expect(w.db.deadLetters.all()).toHaveLength(1);

    w.db.claims.bumpVersion(broken.claim_number as string, {
      patient_id: (base as Record<string, unknown>).patient_id,
    });
    await waitFor("corrected version billed", () => w.db.ledger.history().length === 1);
    await engine.stop();
    const out = await checkOutput(w.db);
    expect([...out]).toEqual([`${broken.claim_number}@2`]);
  });

  it("the stream goes on after a dead letter: claims read once it is written are billed", async () => {
    const w = makeWorld({ groups: 1, clients: 1 });
    const { engine } = await startEngine(w.ports, { windowMs: 30, batchSize: 1000 });
    const good = moreClaims(w, 6, "AFTER").map((c) => ({
      ...c,
      group_id: "GRP_001",
      client_id: "CLIENT001",
    }));
    // Refused by the schema (a key MongoDB could read as an operator path): a dead letter of
    // the classify step, before any window.
    const bad = unsafeKeyClaim(good[0] as Record<string, unknown>, "FIRST");
    w.db.claims.insert(bad);
    await waitFor("dead letter written", () => w.db.deadLetters.all().length === 1);
    w.db.claims.insertMany(good);
    await waitFor("later claims billed", () => w.db.ledger.history().length === 6);
    await engine.stop();
    expect(await checkOutput(w.db)).toEqual(readyVersions(good));
  });

  it("a dead letter the store refuses for good fails the pipeline, its claim unacked", async () => {
    const w = makeWorld({ groups: 1, clients: 1 });
    const { engine } = await startEngine(w.ports, { windowMs: 30, batchSize: 1000 });
    const good = moreClaims(w, 1, "BASE").map((c) => ({ ...c, group_id: "GRP_001", client_id: "CLIENT001" }));
    const bad = unsafeKeyClaim(good[0] as Record<string, unknown>, "REFUSED");
    w.db.faults.arm("deadLetters.record", { error: () => new TypeError("dead_letters rejected the row") });
    w.db.claims.insert(bad);
    await expect(engine.done).rejects.toThrow("dead_letters rejected the row");
    expect(engine.state).toBe("failed");
    expect(w.db.deadLetters.all()).toHaveLength(0);
  });
});
