// The one place zod issues become InputIssues, and the order parseDocument checks in: unsafe
// keys first, then the fast path, then the schema. Issue texts reach dead_letters and logs, so
// they are pinned exactly and must never quote a document's value or key.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseClaim } from "../../src/domain/claim.js";
import { parsePatient } from "../../src/domain/patient.js";
import { parseDocument, toIssues } from "../../src/domain/schema-parts.js";
import { claimDoc, patientDoc } from "../edi/builders.js";

function issuesOf(r: { ok: boolean; issues?: unknown }): unknown {
  expect(r.ok).toBe(false);
  return r.issues;
}

describe("toIssues", () => {
  it("names the expected type of a wrong-typed field, not zod's text with what it received", () => {
    expect(issuesOf(parsePatient(patientDoc({ patient_id: 12345, gender: "X" })))).toEqual([
      { path: "patient_id", message: "expected string" },
      { path: "gender", message: 'must be one of "M", "F", "U"' },
    ]);
  });

  it("never quotes an unrecognised key (a key can hold a name): 'unexpected keys'", () => {
    const r = z.strictObject({ id: z.string() }).safeParse({ id: "1", "DOE, JANE": 1 });
    expect(r.success).toBe(false);
    if (!r.success) {
      expect(toIssues(r.error)).toEqual([{ path: "", message: "unexpected keys" }]);
      expect(JSON.stringify(toIssues(r.error))).not.toContain("DOE");
    }
  });

  it("says 'does not match any accepted form' for a union, and joins nested paths with dots", () => {
    const schema = z.object({ a: z.array(z.object({ b: z.union([z.number(), z.boolean()]) })) });
    const r = schema.safeParse({ a: [{ b: 1 }, { b: "SMITH" }] });
    expect(r.success).toBe(false);
    if (!r.success)
      expect(toIssues(r.error)).toEqual([{ path: "a.1.b", message: "does not match any accepted form" }]);
  });

  it("passes our own rule texts through (money, custom refinements)", () => {
    expect(issuesOf(parseClaim(claimDoc({ total_charge: "12.345" })))).toEqual([
      { path: "total_charge", message: "must have at most 2 decimal places" },
    ]);
  });
});

describe("parseDocument", () => {
  const schema = z.object({ id: z.string() });

  it("takes the fast path's value as it is when it gives one, without running the schema", () => {
    const built = { id: "from the fast path" };
    const r = parseDocument(schema, { id: "doc" }, () => built);
    expect(r).toEqual({ ok: true, value: built });
    if (r.ok) expect(r.value).toBe(built);
  });

  it("lets the schema decide when the fast path steps aside", () => {
    expect(parseDocument(schema, { id: "doc", extra: 1 }, () => undefined)).toEqual({
      ok: true,
      value: { id: "doc" },
    });
    expect(parseDocument(schema, { id: 1 }, () => undefined)).toEqual({
      ok: false,
      issues: [{ path: "id", message: "expected string" }],
    });
  });

  it("checks unsafe keys before the fast path and the schema, and marks the result", () => {
    let fastCalls = 0;
    const r = parseDocument(schema, { id: "doc", $where: "1" }, () => {
      fastCalls++;
      return { id: "doc" };
    });
    expect(r).toEqual({
      ok: false,
      unsafeKeys: true,
      issues: [{ path: "(root)", message: 'key "$where" starts with "$" or contains "."' }],
    });
    expect(fastCalls).toBe(0);
  });
});
