// The reissued file must be exactly what the renderer would have written for the same claims
// under the new batch id, control number and time: the oracle is render837 itself.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ReissueContentError, reissueEnvelope } from "../../src/edi/reissue-envelope.js";
import { render837 } from "../../src/edi/render.js";
import { validate837 } from "../../src/edi/validate.js";
import { propertyRuns } from "../support/property-runs.js";
import { batchClaim, batchOf, clientDoc, joined } from "./builders.js";

const claims = Array.from({ length: 7 }, (_, i) => joined(batchClaim(i)));
const old = batchOf(claims, { batchId: "bold00001", controlNumber: 41 });
const oldText = render837(old);

describe("reissueEnvelope", () => {
  it("gives the renderer's own bytes for the same claims under the new envelope", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 999_999_999 }),
        fc.date({
          min: new Date("2000-01-01T00:00:00Z"),
          max: new Date("2099-12-31T23:59:59Z"),
          noInvalidDate: true,
        }),
        fc.stringMatching(/^b[0-9a-z]{1,40}$/),
        (controlNumber, createdAt, batchId) => {
          const next = { batchId, controlNumber, createdAt };
          const text = reissueEnvelope(oldText, 41, next);
          expect(text).toBe(render837({ ...old, ...next }));
        },
      ),
      { numRuns: propertyRuns(300) },
    );
  });

  it("changes only the envelope: every claim segment is kept, and the file validates", () => {
    const text = reissueEnvelope(oldText, 41, {
      batchId: "bnew00002",
      controlNumber: 1042,
      createdAt: new Date("2026-11-29T01:02:00Z"),
    });
    const before = oldText.split("~\n");
    const after = text.split("~\n");
    expect(after).toHaveLength(before.length);
    const changed = after.flatMap((s, i) => (s === before[i] ? [] : [s.slice(0, s.indexOf("*"))]));
    expect(changed).toEqual(["ISA", "GS", "BHT", "GE", "IEA"]);
    expect(after[0]).toContain("*261129*0102*^*00501*000001042*");
    expect(after[1]).toBe(
      `GS*HC*${before[1]?.split("*")[2]}*${before[1]?.split("*")[3]}*20261129*0102*1042*X*005010X222A1`,
    );
    expect(text).toContain("BHT*0019*00*BNEW00002*20261129*0102*CH~");
    expect(text.endsWith("GE*1*1042~\nIEA*1*000001042~\n")).toBe(true);
    expect(validate837(text)).toMatchObject({ ok: true, claimCount: 7 });
  });

  it("keeps a lower-case or short ISA06 and the other ISA fields as they were", () => {
    const client = joined({
      client: clientDoc({
        isa: { sender_qualifier: "ZZ", sender_id: "acme", receiver_qualifier: "30", receiver_id: "RCV" },
      }),
    });
    const b = batchOf([client], { controlNumber: 7 });
    const text = reissueEnvelope(render837(b), 7, {
      batchId: "bx",
      controlNumber: 8,
      createdAt: b.createdAt,
    });
    expect(text).toBe(render837({ ...b, batchId: "bx", controlNumber: 8 }));
  });

  it("refuses a file whose envelope does not carry the recorded control number, or is not ours", () => {
    const next = { batchId: "b2", controlNumber: 2, createdAt: new Date() };
    expect(() => reissueEnvelope(oldText, 40, next)).toThrow(ReissueContentError);
    expect(() => reissueEnvelope(oldText, 40, next)).toThrow("ISA13 000000040");
    const gsEdited = oldText.replace(/^(GS\*(?:[^*]*\*){5})41\*/m, "$142*");
    expect(() => reissueEnvelope(gsEdited, 41, next)).toThrow("GS06 41");
    expect(() => reissueEnvelope(oldText.replace(/~\n$/, "~"), 41, next)).toThrow(ReissueContentError);
    const twoGroups = oldText.replace(
      /(GE\*1\*41~\n)/,
      "$1GS*HC*A*B*20260101*0000*9*X*005010X222A1~\nGE*0*9~\n",
    );
    expect(() => reissueEnvelope(twoGroups, 41, next)).toThrow("2 GS segment(s)");
    expect(() => reissueEnvelope(oldText, 41, { ...next, controlNumber: 0 })).toThrow(RangeError);
    expect(() => reissueEnvelope(oldText, 41, { ...next, controlNumber: 1e9 })).toThrow(RangeError);
  });
});
