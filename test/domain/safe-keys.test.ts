// Unsafe-key issues reach dead letters and logs: their paths name positions, never the text of
// a key the document brought (a key can be a patient's name); only field names our schemas
// declare are shown by name.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseClaim } from "../../src/domain/claim.js";
import { parsePatient, patientSchema } from "../../src/domain/patient.js";
import { declaredFieldNames, findUnsafeKeys } from "../../src/domain/safe-keys.js";

describe("findUnsafeKeys", () => {
  it("names the path by positions, never by the text of the keys on the way", () => {
    const doc = {
      claim_number: "C-1",
      "SMITH, JOHN": { notes: [{ ok: 1 }, { "$JANE DOE": 1 }] },
    };
    const issues = findUnsafeKeys(doc);
    expect(issues).toEqual([{ path: "#1.#0.1", message: 'key #0 starts with "$" or contains "."' }]);
    const text = JSON.stringify(issues);
    for (const secret of ["SMITH", "JOHN", "JANE", "notes", "DOE"]) expect(text).not.toContain(secret);
  });

  it("still names a known operator, the one word that tells an operator what happened", () => {
    expect(findUnsafeKeys({ a: { $where: "1" } })).toEqual([
      { path: "#0", message: 'key "$where" starts with "$" or contains "."' },
    ]);
  });

  it("shows declared field names and hides an undeclared key that holds a name", () => {
    const names = declaredFieldNames(patientSchema);
    expect(names.has("address")).toBe(true);
    const r = parsePatient({ patient_id: "P1", address: { "DOE, JANE": { $gt: "" } } });
    expect(r.ok).toBe(false);
    const issues = r.ok ? [] : r.issues;
    expect(issues).toEqual([{ path: "address.#0", message: 'key "$gt" starts with "$" or contains "."' }]);
    expect(JSON.stringify(issues)).not.toContain("DOE");
  });

  it("hides an undeclared top-level key of a claim", () => {
    const r = parseClaim({ claim_number: "C-1", "O'BRIEN MARY": { "x.y": 1 } });
    expect(r.ok ? [] : r.issues).toEqual([{ path: "#1", message: 'key #0 starts with "$" or contains "."' }]);
  });
});

/** `{ a: { a: … { leaf } } }`, `levels` objects deep below the root. */
function nestedObjects(levels: number, leaf: Record<string, unknown>): Record<string, unknown> {
  let doc: Record<string, unknown> = leaf;
  for (let i = 0; i < levels; i++) doc = { a: doc };
  return doc;
}

describe("findUnsafeKeys: limits and what it walks", () => {
  it("walks 64 levels below the root and reports a document nested deeper at the deepest path it reached", () => {
    // The root is level 0: an unsafe key in an object at level 64 is still found by name.
    expect(findUnsafeKeys(nestedObjects(64, { $where: 1 }))).toEqual([
      { path: Array(64).fill("#0").join("."), message: 'key "$where" starts with "$" or contains "."' },
    ]);
    // One level more and the walk stops there (MongoDB itself allows 100 levels).
    expect(findUnsafeKeys(nestedObjects(65, { $where: 1 }))).toEqual([
      { path: Array(65).fill("#0").join("."), message: "nested too deeply" },
    ]);
    expect(findUnsafeKeys(nestedObjects(65, { a: 1 }), 20, new Set(["a"]))).toEqual([
      { path: Array(65).fill("a").join("."), message: "nested too deeply" },
    ]);
  });

  it("counts arrays as levels too, so nested arrays cannot exhaust the stack", () => {
    let doc: unknown = [{ $where: 1 }];
    for (let i = 0; i < 70; i++) doc = [doc];
    const issues = findUnsafeKeys({ notes: doc });
    expect(issues).toEqual([{ path: `#0.${Array(64).fill("0").join(".")}`, message: "nested too deeply" }]);
  });

  it("stops at the limit, also among the keys of one object", () => {
    const doc = { $a: 1, $b: 2, $c: 3 };
    expect(findUnsafeKeys(doc)).toEqual([
      { path: "(root)", message: 'key #0 starts with "$" or contains "."' },
      { path: "(root)", message: 'key #1 starts with "$" or contains "."' },
      { path: "(root)", message: 'key #2 starts with "$" or contains "."' },
    ]);
    expect(findUnsafeKeys(doc, 2)).toEqual([
      { path: "(root)", message: 'key #0 starts with "$" or contains "."' },
      { path: "(root)", message: 'key #1 starts with "$" or contains "."' },
    ]);
    expect(findUnsafeKeys({ x: { "a.b": 1 }, y: { $c: 1 }, z: { $d: 1 } }, 2)).toHaveLength(2);
  });

  it("walks objects without a prototype (Object.create(null)) like plain ones", () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { $where: "1" });
    expect(findUnsafeKeys({ a: bare })).toEqual([
      { path: "#0", message: 'key "$where" starts with "$" or contains "."' },
    ]);
  });

  it("does not walk into values that are not plain objects or arrays (null, text, Dates, class instances)", () => {
    class Holder {
      readonly $inner = 1;
    }
    const doc = { a: null, b: "$where", c: 5, d: new Date(0), e: new Holder(), f: [null, "x.y"] };
    expect(findUnsafeKeys(doc)).toEqual([]);
  });
});

describe("declaredFieldNames", () => {
  it("collects field names at every depth: objects, arrays, optional, nullable, defaults, pipes, unions, lazy", () => {
    const schema = z.object({
      top: z.string(),
      list: z.array(z.object({ in_array: z.string() })).optional(),
      maybe: z.object({ in_nullable: z.number() }).nullable(),
      either: z.union([z.object({ in_union_a: z.string() }), z.object({ in_union_b: z.string() })]),
      piped: z
        .string()
        .transform((s) => ({ in_pipe_out: { s } }))
        .pipe(z.object({ in_pipe_out: z.object({ s: z.string() }) })),
      defaulted: z.object({ in_default: z.string() }).default({ in_default: "x" }),
      deferred: z.lazy(() => z.object({ in_lazy: z.string() })),
    });
    expect([...declaredFieldNames(schema)].sort()).toEqual(
      [
        "top",
        "list",
        "in_array",
        "maybe",
        "in_nullable",
        "either",
        "in_union_a",
        "in_union_b",
        "piped",
        "in_pipe_out",
        "s",
        "defaulted",
        "in_default",
        "deferred",
        "in_lazy",
      ].sort(),
    );
  });

  it("terminates on a recursive schema and names its fields once", () => {
    type Node = { name: string; children: Node[] };
    const node: z.ZodType<Node> = z.object({ name: z.string(), children: z.array(z.lazy(() => node)) });
    expect([...declaredFieldNames(node)].sort()).toEqual(["children", "name"]);
  });
});
