// A replacement (frequency 7) or void (8) that upstream sent without the payer's claim control
// number takes the one recorded from an accepted 277CA (SPEC section 9); with none recorded it
// is a dead letter for that reason, as before.
import { describe, expect, it } from "vitest";
import type { AckStore } from "../../src/ports/acknowledgements.js";
import { makeWorld, moreClaims, startEngine, waitFor } from "./harness.js";

/** The one AckStore method the engine uses, over a fixed map (the Mongo store is tested in test/app). */
function recorded(pcns: Record<string, string>): AckStore {
  return { payerClaimControlNumber: async (n: string) => pcns[n] } as unknown as AckStore;
}

describe("Replacement claims and the recorded payer claim control number", () => {
  it("bills a frequency-7 claim with the 277CA's REF*1K when upstream gave none, and dead-letters one with none recorded", async () => {
    const w = makeWorld({ groups: 1, clients: 1 });
    const ports = { ...w.ports, acks: recorded({ "RPL-KNOWN": "PCN-FROM-277CA" }) };
    const { engine } = await startEngine(ports, { windowMs: 30, batchSize: 1000 });
    const [base] = moreClaims(w, 1, "RPL");
    const known = { ...structuredClone(base), claim_number: "RPL-KNOWN", version: 2, frequency_code: "7" };
    const unknown = {
      ...structuredClone(base),
      claim_number: "RPL-UNKNOWN",
      version: 2,
      frequency_code: "8",
    };
    const given = {
      ...structuredClone(base),
      claim_number: "RPL-GIVEN",
      version: 2,
      frequency_code: "7",
      payer_claim_control_number: "PCN-UPSTREAM",
    };
    w.db.claims.insertMany([known, unknown, given]);
    await waitFor(
      "two billed, one parked",
      () => w.db.ledger.history().length === 2 && w.db.deadLetters.all().length === 1,
    );
    await engine.stop();

    const files = [...w.db.files.all().values()].join("");
    expect(files).toMatch(/CLM\*RPL-KNOWN\*[^~]*~\n(?:[^~]*~\n)*?REF\*F8\*PCN-FROM-277CA~/);
    expect(files).toMatch(/CLM\*RPL-GIVEN\*[^~]*~\n(?:[^~]*~\n)*?REF\*F8\*PCN-UPSTREAM~/);
    expect(files).not.toMatch(/RPL-UNKNOWN/);
    expect(w.db.deadLetters.all()).toEqual([
      expect.objectContaining({
        claimNumber: "RPL-UNKNOWN",
        reason: "invalid_claim",
        issues: [
          {
            path: "payer_claim_control_number",
            message: "required for frequency_code 7 (replacement) and 8 (void)",
          },
        ],
      }),
    ]);
  });
});
