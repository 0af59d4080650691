// render837's optional client elements (N302, PER07/08) and its error codes; sumClaimCharges'
// refusals of amounts a charge cannot be.
import { describe, expect, it } from "vitest";
import { sumClaimCharges } from "../../src/edi/claim-charges.js";
import { render837 } from "../../src/edi/render.js";
import { NotRenderableError, RenderBatchError } from "../../src/edi/render-errors.js";
import { batchOf, clientDoc, joined, thrown } from "./builders.js";

const ADDRESS = { line1: "100 Main St", city: "Springfield", state: "IL", zip: "62701-1234" };
const CONTACT = { name: "Billing Office", phone: "(555) 123-4567" };

function segments(client: Record<string, unknown>): string[] {
  return render837(batchOf([joined({ client: clientDoc(client) })])).split(/~\r?\n?/);
}

describe("render837: optional client elements", () => {
  it("writes N302 only when the address has a second line", () => {
    expect(segments({ address: { ...ADDRESS, line2: "Suite 2" } })).toContain("N3*100 MAIN ST*SUITE 2");
    const without = segments({ address: ADDRESS });
    expect(without).toContain("N3*100 MAIN ST");
    expect(without.filter((s) => s.startsWith("N3*100 MAIN ST"))).toEqual(["N3*100 MAIN ST"]);
  });

  it("writes PER07/PER08 (EM) only when the contact has an email", () => {
    expect(segments({ contact: { ...CONTACT, email: "billing@sunrise.example" } })).toContain(
      "PER*IC*BILLING OFFICE*TE*5551234567*EM*BILLING@SUNRISE.EXAMPLE",
    );
    expect(segments({ contact: CONTACT })).toContain("PER*IC*BILLING OFFICE*TE*5551234567");
  });
});

describe("render errors carry stable codes", () => {
  it("RENDER_BATCH_INVALID for an unusable envelope", () => {
    const err = thrown(() => render837(batchOf([joined()], { controlNumber: 0 })));
    expect(err).toBeInstanceOf(RenderBatchError);
    expect((err as RenderBatchError).code).toBe("RENDER_BATCH_INVALID");
  });

  it("NOT_RENDERABLE names the claim or the batch", () => {
    const claim = new NotRenderableError("CLM-9", [{ path: "claim.place_of_service", message: "m" }]);
    expect(claim.code).toBe("NOT_RENDERABLE");
    expect(claim.message).toBe(
      "claim CLM-9 cannot be rendered: claim.place_of_service: m; run checkRenderable first and dead-letter what it reports",
    );
    const batch = new NotRenderableError(undefined, [{ path: "client.name", message: "m" }]);
    expect(batch.message).toBe(
      "batch cannot be rendered: client.name: m; run checkRenderable first and dead-letter what it reports",
    );
  });
});

describe("sumClaimCharges: amounts a charge cannot be", () => {
  const text = render837(batchOf([joined()]));
  const withClm02 = (amount: string) => text.replace(/^(CLM\*[^*]*\*)[^*]*/m, `$1${amount}`);

  it("reads a zero charge as 0 and refuses a negative one", () => {
    expect(sumClaimCharges(withClm02("0"))).toBe(0);
    expect(sumClaimCharges(withClm02("-5"))).toBeUndefined();
    expect(sumClaimCharges(withClm02("-0.01"))).toBeUndefined();
  });

  it("returns totals up to Number.MAX_SAFE_INTEGER cents and refuses larger ones", () => {
    expect(sumClaimCharges(withClm02("90071992547409.91"))).toBe(Number.MAX_SAFE_INTEGER);
    expect(sumClaimCharges(withClm02("90071992547409.92"))).toBeUndefined();
  });
});
