// The claim validator's fast path against its oracle, zod: whenever the hand-written check
// accepts a document, zod accepts it too and builds a strictly equal claim; on anything else
// the fast path steps aside. Valid documents in every representation, synthetic (canonical)
// claims, and hostile mutations of valid ones at every path.
import { describe, expect, it } from "vitest";
import { claimSchema, parseClaim } from "../../src/domain/claim.js";
import { fastClaim } from "../../src/domain/claim-fast.js";
import { parseDocument } from "../../src/domain/schema-parts.js";
import { generate } from "../../src/seed/synthetic.js";
import { claimDoc, lineDoc } from "../edi/builders.js";
import { claimDocArb, type Doc } from "./arbitraries.js";
import { agreement, fastPathProperties, refusedAt, takesFastPath } from "./fast-path-oracle.js";

const RUNS = 1000;

/** Keys a mutation may add: fields the claim schema knows, and two it does not. */
const CLAIM_ADD_KEYS = [
  "extra",
  "ssn",
  "modifiers",
  "ndc",
  "ndc_unit",
  "version",
  "created_at",
  "updated_at",
  "service_date",
  "payer_claim_control_number",
  "prior_authorization",
];

/** What zod alone says (the schema without the fast path). */
const oracle = (doc: unknown) => parseDocument(claimSchema, doc);
const claimPath = { fast: fastClaim, oracle, parse: parseClaim };
const agrees = agreement(claimPath);

/** The form MongoDB documents take: BSON dates, ICD-10 codes upper-case without the dot, text trimmed. */
function canonical(doc: Doc): Doc {
  const asDate = (v: unknown) => (typeof v === "string" ? new Date(v) : v);
  const lines = (doc.lines as Doc[]).map((l) =>
    l.service_date === undefined ? l : { ...l, service_date: asDate(l.service_date) },
  );
  return {
    ...doc,
    billing_date: asDate(doc.billing_date),
    payer: { ...(doc.payer as Doc), name: ((doc.payer as Doc).name as string).trim() },
    service_date: asDate(doc.service_date),
    diagnosis_codes: (doc.diagnosis_codes as string[]).map((d) => d.toUpperCase().replace(".", "")),
    lines,
  };
}

describe("claim validation fast path (zod is the oracle)", () => {
  it("takes the fast path for every synthetic (canonical) claim, with zod's exact result", () => {
    const data = generate({ claims: 500, groups: 3, clients: 3, seed: 5, now: new Date() });
    for (const doc of data.claims) {
      takesFastPath(claimPath, doc, String(doc.claim_number));
    }
  });

  fastPathProperties({
    ...claimPath,
    valid: claimDocArb,
    stored: claimDocArb.map(canonical),
    storedForm: "Dates, bare ICD codes, trimmed text",
    addKeys: CLAIM_ADD_KEYS,
    runs: RUNS,
  });
});

/** A claim as MongoDB hands it over (BSON dates, trimmed text): the fast path's common case. */
function storedClaim(over: Doc = {}, lineOver: Doc = {}, lineCount = 1): Doc {
  const lines = Array.from({ length: lineCount }, () => lineDoc(lineOver));
  return claimDoc({
    billing_date: new Date("2026-03-14T00:00:00Z"),
    service_date: new Date("2026-03-10T00:00:00Z"),
    lines,
    ...over,
  });
}

function withoutKeys(doc: Doc, keys: readonly string[]): Doc {
  const copy = { ...doc };
  for (const k of keys) delete copy[k];
  return copy;
}

/** The same claim with the `modifiers` key absent from every line (not merely undefined). */
function withoutModifiers(doc: Doc): Doc {
  const lines = (doc.lines as Doc[]).map(({ modifiers: _, ...rest }) => rest);
  return { ...doc, lines };
}

describe("claim validation fast path: each of its checks, one field at a time", () => {
  it.each<[string, Doc]>([
    ["a stored claim", storedClaim()],
    ["a line without modifiers", withoutModifiers(storedClaim())],
    ["50 lines, the most a claim holds", storedClaim({}, {}, 50)],
    [
      "the most units and NDC quantity",
      storedClaim({}, { units: 99_999, ndc: "12345678901", ndc_quantity: 9_999_999, ndc_unit: "UN" }),
    ],
    [
      "a claim without version and frequency code (1 and original)",
      withoutKeys(storedClaim(), ["version", "frequency_code"]),
    ],
    [
      "text at its maximum length",
      storedClaim({
        patient_id: "P".repeat(80),
        payer: { payer_id: "6".repeat(80), name: "Aetna" },
        prior_authorization: "A".repeat(50),
        payer_claim_control_number: "C".repeat(50),
        frequency_code: "7",
      }),
    ],
  ])("takes the fast path for %s, with zod's exact result", (_, doc) => {
    if ((doc.lines as Doc[])[0]?.modifiers === undefined)
      for (const l of doc.lines as Doc[]) delete l.modifiers;
    takesFastPath(claimPath, doc);
  });

  it.each<[string, Doc, string]>([
    ["a lower-case group id", storedClaim({ group_id: "grp_001" }), "group_id"],
    ["a one-digit place of service", storedClaim({ place_of_service: "1" }), "place_of_service"],
    [
      "a diagnosis code that is not ICD-10 shaped",
      storedClaim({ diagnosis_codes: ["E1"] }),
      "diagnosis_codes.0",
    ],
    ["no lines", storedClaim({ lines: [], total_charge: "0" }), "lines"],
    ["51 lines", storedClaim({}, {}, 51), "lines"],
    ["a line that is not an object", { ...storedClaim(), lines: [null], total_charge: "0" }, "lines.0"],
    [
      "a four-character procedure code",
      storedClaim({}, { procedure_code: "9921" }),
      "lines.0.procedure_code",
    ],
    ["a one-character modifier", storedClaim({}, { modifiers: ["A"] }), "lines.0.modifiers.0"],
    ["a modifier that is a number", storedClaim({}, { modifiers: [25] }), "lines.0.modifiers.0"],
    ["an NPI given as a number", storedClaim({ rendering_npi: 1234567893 }), "rendering_npi"],
    // Upstream may send a code as a number: its text would pass the pattern, the type must not.
    ["a claim number given as a number", storedClaim({ claim_number: 10001 }), "claim_number"],
    [
      "a procedure code given as a number",
      storedClaim({}, { procedure_code: 99213 }),
      "lines.0.procedure_code",
    ],
    ["a group id given as a number", storedClaim({ group_id: 1 }), "group_id"],
    ["a place of service given as a number", storedClaim({ place_of_service: 11 }), "place_of_service"],
    ["a diagnosis code inside an array", storedClaim({ diagnosis_codes: [["E119"]] }), "diagnosis_codes.0"],
    ["zero units", storedClaim({}, { units: 0 }), "lines.0.units"],
    ["units given as text", storedClaim({}, { units: "2" }), "lines.0.units"],
    [
      "an NDC without its quantity",
      storedClaim({}, { ndc: "12345678901", ndc_unit: "UN" }),
      "lines.0.ndc_quantity",
    ],
  ])("steps aside for %s, and zod rejects it at its path", (_, doc, path) => {
    refusedAt(claimPath, doc, path);
  });

  it("steps aside for a lower-case modifier, which only zod upper-cases", () => {
    const doc = storedClaim({}, { modifiers: ["a1"] });
    expect(fastClaim(doc)).toBeUndefined();
    const r = parseClaim(doc);
    expect(r.ok && r.value.lines[0]?.modifiers).toEqual(["A1"]);
  });

  it("gives zod's exact result for a key present with the value undefined (zod keeps the key)", () => {
    agrees(storedClaim({}, { service_date: undefined }));
    agrees(storedClaim({ prior_authorization: undefined }));
  });
});
