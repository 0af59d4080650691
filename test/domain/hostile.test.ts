// Hostile documents: operator injection ($where, {$gt: …}), keys with ".", wrong types and missing
// fields, anywhere in a claim, patient, client or npi record. Each must be rejected with issue
// paths, and no issue may carry a document value: every injected value holds a marker that must
// not appear in the result. Unknown fields, on the other hand, never change the outcome.
import fc from "fast-check";
import { Decimal128 } from "mongodb";
import { describe, expect, it } from "vitest";
import {
  type ParseResult,
  parseClaim,
  parseClient,
  parseNpiRecord,
  parsePatient,
} from "../../src/domain/index.js";
import { propertyRuns } from "../support/property-runs.js";
import {
  claimDocArb,
  clientArb,
  type Doc,
  npiArb,
  npiRecordArb,
  patientArb,
  stringOf,
} from "./arbitraries.js";

const RUNS = propertyRuns(1000);

type Path = readonly (string | number)[];
type Parser = (doc: unknown) => ParseResult<unknown>;

interface Collection {
  readonly name: string;
  readonly parse: Parser;
  readonly doc: fc.Arbitrary<Doc>;
  /** Paths the schema requires (removing one must be reported at that path). */
  readonly required: readonly Path[];
  /** Fields upstream sends that the schema drops on purpose. */
  readonly ignored: readonly string[];
  /** Money fields: a number there is as valid as a decimal string. */
  readonly money: readonly string[];
}

const COLLECTIONS: readonly Collection[] = [
  {
    name: "claim_detail",
    parse: parseClaim,
    doc: claimDocArb,
    required: [
      ["claim_number"],
      ["group_id"],
      ["client_id"],
      ["patient_id"],
      ["status"],
      ["billing_date"],
      ["payer"],
      ["payer", "payer_id"],
      ["payer", "name"],
      ["place_of_service"],
      ["service_date"],
      ["diagnosis_codes"],
      ["lines"],
      ["lines", 0, "procedure_code"],
      ["lines", 0, "units"],
      ["lines", 0, "charge"],
      ["lines", 0, "diagnosis_pointers"],
      ["total_charge"],
    ],
    ignored: [],
    money: ["charge", "total_charge"],
  },
  {
    name: "patient",
    parse: parsePatient,
    doc: patientArb,
    required: [
      ["patient_id"],
      ["first_name"],
      ["last_name"],
      ["dob"],
      ["gender"],
      ["address"],
      ["address", "line1"],
      ["address", "city"],
      ["address", "state"],
      ["address", "zip"],
      ["member_id"],
      ["relationship_code"],
    ],
    ignored: ["ssn"],
    money: [],
  },
  {
    name: "client",
    parse: parseClient,
    doc: clientArb,
    required: [
      ["client_id"],
      ["name"],
      ["npi"],
      ["tax_id"],
      ["taxonomy_code"],
      ["address"],
      ["contact"],
      ["contact", "name"],
      ["contact", "phone"],
      ["submitter_id"],
      ["receiver", "id"],
      ["receiver", "name"],
      ["isa", "sender_qualifier"],
      ["isa", "sender_id"],
      ["gs", "receiver_code"],
      ["usage_indicator"],
    ],
    ignored: [],
    money: [],
  },
  {
    name: "npi",
    parse: parseNpiRecord,
    doc: npiArb.chain((npi) => npiRecordArb(npi, false)),
    required: [["npi"], ["entity_type"]],
    ignored: [],
    money: [],
  },
];

function isContainer(v: unknown): v is Record<string | number, unknown> {
  if (typeof v !== "object" || v === null) return false;
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Deep copy of plain objects and arrays; Dates and Decimal128 are shared (never mutated). */
function clone<T>(v: T): T {
  if (!isContainer(v)) return v;
  if (Array.isArray(v)) return v.map(clone) as T;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clone(x)])) as T;
}

/** Every path in the document (containers and leaves), outside the fields the schema ignores. */
function pathsOf(doc: Doc, ignored: readonly string[]): Path[] {
  const out: Path[] = [];
  const walk = (v: unknown, path: Path): void => {
    if (path.length > 0) out.push(path);
    if (!isContainer(v)) return;
    for (const [k, x] of Object.entries(v)) {
      if (path.length === 0 && ignored.includes(k)) continue;
      walk(x, [...path, Array.isArray(v) ? Number(k) : k]);
    }
  };
  walk(doc, []);
  return out;
}

function getAt(doc: Doc, path: Path): unknown {
  let v: unknown = doc;
  for (const k of path) v = (v as Record<string | number, unknown>)[k];
  return v;
}

function setAt(doc: Doc, path: Path, value: unknown): void {
  const parent = getAt(doc, path.slice(0, -1)) as Record<string | number, unknown>;
  parent[path[path.length - 1] as string | number] = value;
}

function deleteAt(doc: Doc, path: Path): void {
  const parent = getAt(doc, path.slice(0, -1)) as Record<string | number, unknown>;
  delete parent[path[path.length - 1] as string | number];
}

const dotted = (path: Path) => path.join(".");

/** A value that stands for PHI: if it shows up in a parse result, a value leaked. */
const markerArb = stringOf("abcdefghijklmnopqrstuvwxyz0123456789", 8, 12).map((s) => `PHI${s}Z`);

/** Values of a type the field at `path` does not accept, each carrying the marker. */
function wrongTypes(
  current: unknown,
  key: string | number,
  money: readonly string[],
  marker: string,
): unknown[] {
  if (typeof key === "string" && money.includes(key))
    return [marker, { value: marker }, true, null, [marker]];
  if (typeof current === "string") return [12345, true, null, [marker], { value: marker }];
  if (typeof current === "number") return [marker, null, [marker], { value: marker }, false];
  if (current instanceof Date || current instanceof Decimal128)
    return [marker, true, [marker], { value: marker }];
  if (Array.isArray(current)) return [marker, { value: marker }, 7, null];
  return [marker, [marker], 7, null];
}

function expectNoValue(result: ParseResult<unknown>, marker: string): void {
  expect(JSON.stringify(result)).not.toContain(marker);
}

function expectIssueAt(result: ParseResult<unknown>, path: string): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.issues.length).toBeGreaterThan(0);
  for (const i of result.issues) {
    expect(typeof i.path).toBe("string");
    expect(i.message.length).toBeGreaterThan(0);
  }
  expect(
    result.issues.some((i) => i.path === path || i.path.startsWith(`${path}.`)),
    `${path} in ${JSON.stringify(result.issues)}`,
  ).toBe(true);
}

const OPERATORS = ["$gt", "$ne", "$where", "$regex", "$in", "$expr", "$function", "$set"];

describe.each(COLLECTIONS)("hostile $name documents", (c) => {
  it("rejects an operator object anywhere, naming its path and never its value", () => {
    fc.assert(
      fc.property(c.doc, fc.nat(), fc.constantFrom(...OPERATORS), markerArb, (doc, pick, op, marker) => {
        const paths = pathsOf(doc, c.ignored);
        const path = paths[pick % paths.length] as Path;
        const bad = clone(doc);
        setAt(bad, path, { [op]: marker });
        const r = c.parse(bad);
        expect(r).toMatchObject({ ok: false, unsafeKeys: true });
        expect(r.ok === false && r.issues).toContainEqual({
          path: dotted(path),
          message: `key "${op}" starts with "$" or contains "."`,
        });
        expectNoValue(r, marker);
      }),
      { numRuns: RUNS },
    );
  });

  it("rejects keys that contain a dot or start with $ at any depth without echoing the key", () => {
    fc.assert(
      fc.property(
        c.doc,
        fc.nat(),
        markerArb,
        fc.constantFrom("dot", "dollar", "root"),
        (doc, pick, marker, kind) => {
          const objects = [[], ...pathsOf(doc, c.ignored)].filter((p) => {
            const v = getAt(doc, p);
            return isContainer(v) && !Array.isArray(v);
          });
          const at = kind === "root" ? [] : (objects[pick % objects.length] as Path);
          const key = kind === "dot" ? `payer.${marker}` : kind === "dollar" ? `$${marker}` : "$where";
          const bad = clone(doc);
          const holder = at.length === 0 ? bad : (getAt(bad, at) as Doc);
          holder[key] = `function() { return "${marker}"; }`;
          const r = c.parse(bad);
          expect(r).toMatchObject({ ok: false, unsafeKeys: true });
          expect(r.ok === false && r.issues.map((i) => i.path)).toContain(
            at.length === 0 ? "(root)" : dotted(at),
          );
          expectNoValue(r, marker);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("rejects a value of the wrong type anywhere, at its path, without echoing it", () => {
    fc.assert(
      fc.property(c.doc, fc.nat(), fc.nat(), markerArb, (doc, pick, which, marker) => {
        const paths = pathsOf(doc, c.ignored);
        const path = paths[pick % paths.length] as Path;
        const current = getAt(doc, path);
        const options = wrongTypes(current, path[path.length - 1] as string | number, c.money, marker);
        const bad = clone(doc);
        setAt(bad, path, options[which % options.length]);
        const r = c.parse(bad);
        expectIssueAt(r, dotted(path));
        expectNoValue(r, marker);
      }),
      { numRuns: RUNS },
    );
  });

  it("rejects a document missing a required field, naming the field", () => {
    fc.assert(
      fc.property(c.doc, fc.constantFrom(...c.required), (doc, path) => {
        const bad = clone(doc);
        deleteAt(bad, path);
        expectIssueAt(c.parse(bad), dotted(path));
      }),
      { numRuns: RUNS },
    );
  });

  it("accepts valid documents, and unknown fields at any depth do not change the result", () => {
    const extra = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.integer(), { maxLength: 3 }),
      fc.dictionary(stringOf("abcdefgh", 1, 6), fc.string(), { maxKeys: 3 }),
    );
    fc.assert(
      fc.property(c.doc, fc.nat(), stringOf("abcdefghij_", 1, 12), extra, (doc, pick, name, value) => {
        const objects = [[], ...pathsOf(doc, c.ignored)].filter((p) => {
          const v = getAt(doc, p);
          return isContainer(v) && !Array.isArray(v);
        });
        const at = objects[pick % objects.length] as Path;
        const more = clone(doc);
        const holder = at.length === 0 ? more : (getAt(more, at) as Doc);
        holder[`x_${name}`] = value;
        const plain = c.parse(doc);
        expect(plain.ok).toBe(true);
        expect(c.parse(more)).toEqual(plain);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("documents that are not documents", () => {
  it("rejects non-objects and deep nesting with a root issue", () => {
    for (const parse of [parseClaim, parsePatient, parseClient, parseNpiRecord]) {
      for (const bad of [null, undefined, 42, "claim", [], true]) {
        const r = parse(bad);
        expect(r.ok).toBe(false);
        expect(r.ok === false && r.issues[0]?.path).toBe("");
      }
    }
    let deep: Doc = { leaf: 1 };
    for (let i = 0; i < 100; i++) deep = { nest: deep };
    const r = parseClaim({ extra: deep });
    expect(r).toMatchObject({ ok: false, unsafeKeys: true });
    expect(r.ok === false && r.issues[0]?.message).toBe("nested too deeply");
  });
});
