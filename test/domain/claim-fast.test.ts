// The claim validator's fast path against its oracle, zod: whenever the hand-written check
// accepts a document, zod accepts it too and builds a strictly equal claim; on anything else
// the fast path steps aside. Valid documents in every representation, synthetic (canonical)
// claims, and hostile mutations of valid ones at every path.
import fc from "fast-check";
import { Decimal128 } from "mongodb";
import { describe, expect, it } from "vitest";
import { claimSchema, parseClaim } from "../../src/domain/claim.js";
import { fastClaim } from "../../src/domain/claim-fast.js";
import { parseDocument } from "../../src/domain/schema-parts.js";
import { generate } from "../../src/seed/synthetic.js";
import { claimDoc, lineDoc } from "../edi/builders.js";
import { claimDocArb, type Doc } from "./arbitraries.js";

const RUNS = 1000;

/** What zod alone says (the schema without the fast path). */
const oracle = (doc: unknown) => parseDocument(claimSchema, doc);

function agrees(doc: unknown): void {
  const fast = fastClaim(doc);
  const zod = oracle(doc);
  if (fast !== undefined) {
    expect(zod.ok, "the fast path accepted a document zod rejects").toBe(true);
    if (zod.ok) expect(fast).toStrictEqual(zod.value);
  }
  // The public parser answers exactly what zod answers: the same value or the same issues.
  expect(parseClaim(doc)).toStrictEqual(zod);
}

type Path = (string | number)[];

/** Every path to a value inside a document (object keys and array indices), root excluded. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...prefix, i], ...pathsOf(v, [...prefix, i])]);
  if (
    typeof value === "object" &&
    value !== null &&
    !(value instanceof Date) &&
    !(value instanceof Decimal128)
  )
    return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
  return [];
}

const HOSTILE: readonly unknown[] = [
  undefined,
  null,
  "",
  " ",
  " padded ",
  "lower",
  "A.B",
  "$where",
  "-",
  0,
  -0,
  -1,
  1,
  1.5,
  7,
  13,
  99_999,
  100_000,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  "12.345",
  "1e3",
  "0.10",
  "12",
  "1234567890",
  "1234567893",
  "12345-6789-01",
  "123456789012",
  true,
  [],
  [1],
  ["A1"],
  {},
  { a: 1 },
  new Date("not a date"),
  new Date("2024-02-29T00:00:00Z"),
  "2024-02-29",
  Decimal128.fromString("1.5"),
  Decimal128.fromString("-1"),
];

/** Boundary changes of the value already there: just past each limit the schemas set. */
function tweaks(v: unknown): unknown[] {
  if (typeof v === "number")
    return [
      v + 1,
      v - 1,
      v * 1000,
      -v,
      0,
      0.5,
      v + 0.001,
      4,
      5,
      12,
      13,
      99_999,
      100_000,
      9_999_999,
      10_000_000,
    ];
  if (typeof v === "string")
    return [
      ` ${v}`,
      `${v} `,
      v.toLowerCase(),
      `${v}.`,
      `${v}-`,
      v.slice(1),
      "7",
      "8",
      ...[2, 5, 11, 20, 21, 50, 51, 64, 65, 80, 81].map((n) => v.padEnd(n, "7")),
    ];
  if (Array.isArray(v)) {
    const last = v[v.length - 1];
    return [
      [],
      ...[4, 5, 12, 13, 50, 51].map((n) => [
        ...v,
        ...Array.from({ length: Math.max(0, n - v.length) }, () => fresh(last)),
      ]),
    ];
  }
  // A date an earlier tweak already made invalid has no ISO form.
  if (v instanceof Date)
    return Number.isNaN(v.getTime()) ? [v.getTime()] : [new Date(Number.NaN), v.toISOString(), v.getTime()];
  return [];
}

type Mutation =
  | { readonly op: "tweak"; readonly at: number; readonly pick: number }
  | { readonly op: "set"; readonly at: number; readonly value: unknown }
  | { readonly op: "delete"; readonly at: number }
  | { readonly op: "dropTop"; readonly at: number }
  | { readonly op: "add"; readonly at: number; readonly key: string; readonly value: unknown };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant("tweak" as const), at: fc.nat(), pick: fc.nat() }), weight: 3 },
  fc.record({ op: fc.constant("set" as const), at: fc.nat(), value: fc.constantFrom(...HOSTILE) }),
  fc.record({ op: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("dropTop" as const), at: fc.nat() }),
  fc.record({
    op: fc.constant("add" as const),
    at: fc.nat(),
    key: fc.constantFrom(
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
    ),
    value: fc.constantFrom(...HOSTILE),
  }),
);

function mutate(doc: Doc, mutations: readonly Mutation[]): Doc {
  const copy = structuredClone(doc);
  // structuredClone turns a Decimal128 into a plain object; keep the original instances.
  restoreDecimals(doc, copy);
  for (const m of mutations) {
    if (m.op === "dropTop") {
      // A field of the claim itself goes missing (each equally likely, however deep the rest is).
      const keys = Object.keys(copy);
      delete copy[keys[m.at % keys.length] as string];
      continue;
    }
    const paths = pathsOf(copy);
    const path = paths[m.at % paths.length] as Path;
    const parent = path
      .slice(0, -1)
      .reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], copy);
    const key = path[path.length - 1] as string | number;
    const target = parent as Record<string | number, unknown>;
    if (m.op === "tweak") {
      const options = tweaks(target[key]);
      if (options.length > 0) target[key] = options[m.pick % options.length];
    } else if (m.op === "set") target[key] = fresh(m.value);
    else if (m.op === "delete") {
      if (Array.isArray(target)) target.splice(key as number, 1);
      else delete target[key];
    } else {
      const holder = target[key];
      if (typeof holder === "object" && holder !== null && !Array.isArray(holder))
        (holder as Record<string, unknown>)[m.key] = fresh(m.value);
      else target[m.key] = fresh(m.value);
    }
  }
  return copy;
}

/** A copy of a shared hostile value, so later mutations never reach the shared one. */
function fresh(v: unknown): unknown {
  if (v instanceof Date) return new Date(v.getTime());
  if (Array.isArray(v)) return [...v];
  if (typeof v === "object" && v !== null && !(v instanceof Decimal128)) return { ...v };
  return v;
}

function restoreDecimals(from: unknown, to: unknown): void {
  if (typeof from !== "object" || from === null || typeof to !== "object" || to === null) return;
  for (const [k, v] of Object.entries(from)) {
    if (v instanceof Decimal128) (to as Record<string, unknown>)[k] = v;
    else restoreDecimals(v, (to as Record<string, unknown>)[k]);
  }
}

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
      const fast = fastClaim(doc);
      expect(fast, String(doc.claim_number)).toBeDefined();
      const zod = oracle(doc);
      expect(zod.ok).toBe(true);
      if (zod.ok) expect(fast).toStrictEqual(zod.value);
    }
  });

  it("agrees with zod on valid documents in every representation", () => {
    fc.assert(fc.property(claimDocArb, agrees), { numRuns: RUNS });
  });

  it("takes the fast path for valid documents in canonical form (Dates, bare ICD codes, trimmed text)", () => {
    let fastHits = 0;
    fc.assert(
      fc.property(claimDocArb.map(canonical), (doc) => {
        if (fastClaim(doc) !== undefined) fastHits++;
        agrees(doc);
      }),
      { numRuns: RUNS },
    );
    // Not vacuous: the fast path is the common path for what MongoDB hands the processor.
    expect(fastHits).toBe(RUNS);
  });

  it("never accepts what zod rejects, and never differs from it, on hostile mutations", () => {
    fc.assert(
      // Mutations of canonical documents: the ones the fast path would otherwise accept.
      fc.property(
        claimDocArb.map(canonical),
        fc.array(mutationArb, { minLength: 1, maxLength: 2 }),
        (doc, mutations) => {
          agrees(mutate(doc, mutations));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("steps aside for documents that are not objects", () => {
    for (const doc of [null, undefined, 1, "claim", [], new Date()]) agrees(doc);
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
    const fast = fastClaim(doc);
    expect(fast).toBeDefined();
    const zod = oracle(doc);
    expect(zod.ok).toBe(true);
    if (zod.ok) expect(fast).toStrictEqual(zod.value);
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
    expect(fastClaim(doc)).toBeUndefined();
    const zod = oracle(doc);
    expect(zod.ok).toBe(false);
    if (!zod.ok) expect(zod.issues.map((i) => i.path)).toContain(path);
    expect(parseClaim(doc)).toStrictEqual(zod);
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
