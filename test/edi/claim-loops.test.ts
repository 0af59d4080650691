// writeClaim (src/edi/claim-loops.ts) refuses on its own what it cannot write, even when handed
// a claim that never went through checkRenderable: the documents below are valid ones altered
// after parsing, as a caller that skipped the check would pass them. Each refusal must be a
// NotRenderableError carrying checkRenderable's issues (never a TypeError, never a file with a
// hole in it).
import { describe, expect, it } from "vitest";
import type { ClaimLine } from "../../src/domain/claim.js";
import type { JoinedClaim } from "../../src/domain/joined-claim.js";
import type { NpiRecord } from "../../src/domain/npi-record.js";
import { writeClaim } from "../../src/edi/claim-loops.js";
import { NotRenderableError } from "../../src/edi/render-errors.js";
import { checkRenderable } from "../../src/edi/renderable.js";
import { SegmentWriter } from "../../src/edi/segment-writer.js";
import { BILLING_NPI, claimDoc, joined, lineDoc, npiDoc, REFERRING_NPI, RENDERING_NPI } from "./builders.js";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function base(): JoinedClaim {
  return joined({
    claim: claimDoc({
      lines: [lineDoc({ ndc: "00002143380", ndc_quantity: 2, ndc_unit: "UN" })],
      rendering_npi: RENDERING_NPI,
      referring_npi: REFERRING_NPI,
    }),
    npis: [npiDoc(RENDERING_NPI), npiDoc(REFERRING_NPI)],
  });
}

function withClaim(j: JoinedClaim, over: Record<string, unknown>): JoinedClaim {
  return { ...j, claim: { ...j.claim, ...over } as JoinedClaim["claim"] };
}

function withLine(j: JoinedClaim, over: Record<string, unknown>): JoinedClaim {
  const line = { ...(j.claim.lines[0] as ClaimLine), ...over } as ClaimLine;
  return withClaim(j, { lines: [line] });
}

function withRendering(
  j: JoinedClaim,
  over: Partial<Mutable<NpiRecord>>,
  drop: readonly string[] = [],
): JoinedClaim {
  const rec = { ...(j.rendering as NpiRecord), ...over } as Record<string, unknown>;
  for (const k of drop) delete rec[k];
  return { ...j, rendering: rec as unknown as NpiRecord };
}

function write(j: JoinedClaim): string {
  const w = new SegmentWriter();
  writeClaim(w, j, 2, BILLING_NPI);
  return w.toString();
}

function refusal(j: JoinedClaim): NotRenderableError {
  try {
    write(j);
  } catch (e) {
    if (e instanceof NotRenderableError) return e;
    throw e;
  }
  throw new Error("writeClaim wrote a claim it should have refused");
}

describe("writeClaim: the unaltered claim", () => {
  it("is written, so each refusal below is due to its one alteration", () => {
    const j = base();
    expect(checkRenderable(j)).toEqual([]);
    const text = write(j);
    expect(text).toContain(`NM1*82*1*HOUSE*GREGORY****XX*${RENDERING_NPI}~\n`);
    expect(text).toContain("SV1*HC:99213*125*UN*1***1~\n");
    expect(text).toContain("CTP****2*UN~\n");
  });

  it("writes an individual provider without a first name with an empty NM104", () => {
    const text = write(withRendering(base(), {}, ["first_name"]));
    expect(text).toContain(`NM1*82*1*HOUSE*****XX*${RENDERING_NPI}~\n`);
  });
});

describe("writeClaim: refusals carry checkRenderable's issues", () => {
  const j0 = base();
  it.each<[string, JoinedClaim]>([
    ["five modifiers", withLine(j0, { modifiers: ["25", "59", "76", "77", "91"] })],
    ["no diagnosis pointer", withLine(j0, { diagnosis_pointers: [] })],
    [
      "five diagnosis pointers",
      withLine(withClaim(j0, { diagnosis_codes: ["E119", "I10", "J45", "K21", "M54"] }), {
        diagnosis_pointers: [1, 2, 3, 4, 5],
      }),
    ],
    [
      "a fractional diagnosis pointer",
      withLine(withClaim(j0, { diagnosis_codes: ["E119", "I10"] }), { diagnosis_pointers: [1.5] }),
    ],
    ["a diagnosis pointer 0", withLine(j0, { diagnosis_pointers: [0] })],
    ["a diagnosis pointer past the last code", withLine(j0, { diagnosis_pointers: [2] })],
    ["an NDC without its unit", withLine(j0, { ndc_unit: undefined })],
    ["an NDC without its quantity", withLine(j0, { ndc_quantity: undefined })],
    [
      "a dependent without subscriber",
      {
        ...j0,
        patient: { ...j0.patient, relationship_code: "19", subscriber: undefined } as JoinedClaim["patient"],
      },
    ],
    ["no diagnosis code", withClaim(j0, { diagnosis_codes: [] })],
    [
      "thirteen diagnosis codes",
      withClaim(j0, { diagnosis_codes: Array.from({ length: 13 }, (_, i) => `E1${10 + i}`) }),
    ],
    ["no line", withClaim(j0, { lines: [] })],
    [
      "a replacement without the payer's claim control number",
      withClaim(j0, { frequency_code: "7", payer_claim_control_number: undefined }),
    ],
    ["a referring NPI without its record", { ...j0, referring: undefined }],
    ["a rendering NPI without its record", { ...j0, rendering: undefined }],
    ["a rendering record of another NPI", withRendering(j0, { npi: "1003000126" })],
    ["an organization without its name", withRendering(j0, { entity_type: 2 }, ["organization_name"])],
    ["an individual without a last name", withRendering(j0, {}, ["last_name"])],
  ])("%s", (_what, j) => {
    const issues = checkRenderable(j);
    expect(issues.length).toBeGreaterThan(0);
    const e = refusal(j);
    expect(e.code).toBe("NOT_RENDERABLE");
    expect(e.issues).toEqual(issues);
  });
});
