// Unsafe-key issues reach dead letters and logs: their paths name positions, never the text of
// a key the document brought (a key can be a patient's name); only field names our schemas
// declare are shown by name.
import { describe, expect, it } from "vitest";
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
