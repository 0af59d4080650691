// Charges read back from a stored file equal the claims' totals the renderer wrote.
import { describe, expect, it } from "vitest";
import { sumClaimCharges } from "../../src/edi/claim-charges.js";
import { render837 } from "../../src/edi/render.js";
import { batchClaim, batchOf, joined } from "./builders.js";

describe("sumClaimCharges", () => {
  it("sums CLM02 of every claim, in cents", () => {
    const claims = Array.from({ length: 30 }, (_, i) => joined(batchClaim(i)));
    const expected = claims.reduce((s, c) => s + c.claim.total_charge, 0);
    expect(expected).toBeGreaterThan(0);
    expect(sumClaimCharges(render837(batchOf(claims)))).toBe(expected);
  });

  it("is undefined for text that is not an 837 or an amount it cannot read exactly", () => {
    const text = render837(batchOf([joined(batchClaim(0))]));
    expect(sumClaimCharges("not x12")).toBeUndefined();
    expect(sumClaimCharges(text.replace(/^(CLM\*[^*]*\*)[^*]*/m, "$1ABC"))).toBeUndefined();
    expect(sumClaimCharges(text.replace(/^(CLM\*[^*]*\*)[^*]*/m, "$112.345"))).toBeUndefined();
    expect(sumClaimCharges(text.replace(/^(CLM\*[^*]*\*)[^*]*/m, "$112.3"))).toBe(1230);
  });
});
