// The sender an acknowledgement names back (its ISA07/ISA08) against the sender our batches
// were keyed by: ISA06 alone (ledger v1) or ISA05 and ISA06 as rendered (ledger v2).
import { describe, expect, it } from "vitest";
import { claimFactsOf, senderMatches } from "../../src/app/services/ack-matcher.js";
import type { AckEnvelope } from "../../src/edi/acknowledgement.js";
import { render837 } from "../../src/edi/render.js";
import { batchOf, claimDoc, joined, lineDoc } from "../edi/builders.js";

const env = (qualifier: string, id: string): AckEnvelope => ({
  pos: 1,
  senderQualifier: "ZZ",
  senderId: "CLEARINGHOUSE",
  receiverQualifier: qualifier,
  receiverId: id,
  controlNumber: "000000001",
});

describe("senderMatches", () => {
  it("accepts ISA06 alone and ISA05 with ISA06 in the forms a ledger keys them", () => {
    for (const ours of [
      "SENDER1",
      "ZZSENDER1",
      "ZZ:SENDER1",
      "ZZ*SENDER1",
      "ZZ*SENDER1        ",
      "sender1",
    ]) {
      expect(senderMatches(ours, env("ZZ", "SENDER1")), ours).toBe(true);
    }
  });

  it("refuses another sender, or the same id under another qualifier", () => {
    expect(senderMatches("SENDER2", env("ZZ", "SENDER1"))).toBe(false);
    expect(senderMatches("01*SENDER1", env("ZZ", "SENDER1"))).toBe(false);
    expect(senderMatches("SENDER", env("ZZ", "SENDER1"))).toBe(false);
  });
});

describe("claimFactsOf", () => {
  it("reads CLM02 in cents and the DTP*472 dates of each claim of our 837", () => {
    const content = render837(
      batchOf([
        joined({ claim: claimDoc({ claim_number: "F-1" }) }),
        joined({
          claim: claimDoc({
            claim_number: "F-2",
            total_charge: "75.50",
            service_date: "2026-02-03",
            lines: [lineDoc({ charge: "75.50", service_date: "2026-02-05" })],
          }),
        }),
      ]),
    );
    const facts = claimFactsOf(content);
    expect(facts.get("F-1")?.amountCents).toBe(12500); // the builder's default lines
    expect(facts.get("F-2")).toEqual({ amountCents: 7550, dates: ["20260205"] });
  });
});
