// The envelope of a file (src/edi/render.ts): control numbers, what a batch must be before any
// byte is written, and the HL numbering across claims. Cases mutation testing found unchecked
// (test/MUTATION.md).
import { describe, expect, it } from "vitest";
import { render837 } from "../../src/edi/render.js";
import { RenderBatchError } from "../../src/edi/render-errors.js";
import { SEGMENT_END, SegmentWriter } from "../../src/edi/segment-writer.js";
import { batchOf, claimDoc, clientDoc, dependentDoc, joined, thrown } from "./builders.js";

const segments = (text: string) => text.split(SEGMENT_END).filter((s) => s !== "");

describe("batch checks say which rule a batch breaks", () => {
  it("names the control number range, the creation date rule and the batch id rule", () => {
    const j = joined();
    for (const controlNumber of [0, 1_000_000_000, 2.5]) {
      const err = thrown(() => render837(batchOf([j], { controlNumber })));
      expect(err).toBeInstanceOf(RenderBatchError);
      expect((err as Error).message).toBe("control number must be an integer from 1 to 999999999");
    }
    for (const createdAt of [new Date(Number.NaN), new Date("0999-12-31T00:00:00Z")]) {
      expect(() => render837(batchOf([j], { createdAt }))).toThrow(
        new RenderBatchError("createdAt must be a valid date with a four-digit year"),
      );
    }
    expect(() => render837(batchOf([j], { batchId: "A~B" }))).toThrow(
      new RenderBatchError("batchId must be 1 to 30 plain ASCII characters without delimiters"),
    );
  });

  it("refuses a creation time that is not a Date with its own error, not a TypeError", () => {
    const createdAt = "2026-03-14T15:09:26Z" as unknown as Date;
    const err = thrown(() => render837(batchOf([joined()], { createdAt })));
    expect(err).toBeInstanceOf(RenderBatchError);
  });

  it("takes the first and last control numbers, zero-padded in ISA13/IEA02 and plain in GS06/GE02", () => {
    const first = segments(render837(batchOf([joined()], { controlNumber: 1 })));
    expect(first[0]?.split("*")[13]).toBe("000000001");
    expect(first[1]?.split("*")[6]).toBe("1");
    expect(first.at(-2)).toBe("GE*1*1");
    expect(first.at(-1)).toBe("IEA*1*000000001");
    const last = segments(render837(batchOf([joined()], { controlNumber: 999_999_999 })));
    expect(last[1]?.split("*")[6]).toBe("999999999");
    expect(last.at(-1)).toBe("IEA*1*999999999");
  });

  it("refuses a claim whose claim document, or whose joined client, belongs to another client", () => {
    const mine = joined();
    const client = mine.client;
    // Only the claim document names another client (the joined client is the batch's).
    const claimElsewhere = joined(
      { claim: claimDoc({ client_id: "OTHER", claim_number: "CLM-0002" }) },
      client,
    );
    // Only the joined client is another one (the claim document names the batch's client).
    const otherClient = joined({ client: clientDoc({ client_id: "OTHER" }) });
    const joinedElsewhere = {
      ...joined({ claim: claimDoc({ claim_number: "CLM-0003" }) }),
      client: otherClient.client,
    };
    for (const stranger of [claimElsewhere, joinedElsewhere]) {
      expect(() => render837(batchOf([mine, stranger]))).toThrow(
        new RenderBatchError("every claim of a batch must belong to the batch's client"),
      );
    }
  });
});

describe("HL numbering across claims", () => {
  it("numbers every claim's subscriber and patient loops in one count, each patient under its subscriber", () => {
    const claims = [
      joined({ claim: claimDoc({ claim_number: "C1" }) }),
      joined({ claim: claimDoc({ claim_number: "C2" }), patient: dependentDoc() }),
      joined({ claim: claimDoc({ claim_number: "C3" }), patient: dependentDoc() }),
      joined({ claim: claimDoc({ claim_number: "C4" }) }),
    ];
    const hl = segments(render837(batchOf(claims))).filter((s) => s.startsWith("HL*"));
    expect(hl).toEqual([
      "HL*1**20*1",
      "HL*2*1*22*0",
      "HL*3*1*22*1",
      "HL*4*3*23*0",
      "HL*5*1*22*1",
      "HL*6*5*23*0",
      "HL*7*1*22*0",
    ]);
  });
});

describe("SegmentWriter", () => {
  it("drops trailing empty elements only, and counts every segment", () => {
    const w = new SegmentWriter();
    expect(w.count).toBe(0);
    w.add("N3*12 OAK AVE*");
    w.add("NM1*QC*1*DOE*TIMMY**");
    w.add("REF*EI*123");
    w.add("PER*IC**TE*5551234567");
    expect(w.count).toBe(4);
    expect(w.toString()).toBe("N3*12 OAK AVE~\nNM1*QC*1*DOE*TIMMY~\nREF*EI*123~\nPER*IC**TE*5551234567~\n");
  });
});
