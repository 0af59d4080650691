// The patient validator's fast path against its oracle, zod (as claim-fast.test.ts does for
// claims): whenever the hand-written check accepts a document, zod accepts it and builds a
// strictly equal patient; on anything else the fast path steps aside and parsePatient answers
// exactly what zod answers. Valid documents in every representation, synthetic (canonical)
// patients, hostile mutations of valid ones at every path, and each check one at a time.
import { describe, expect, it } from "vitest";
import { parsePatient, patientSchema } from "../../src/domain/patient.js";
import { fastPatient } from "../../src/domain/patient-fast.js";
import { parseDocument } from "../../src/domain/schema-parts.js";
import { generate } from "../../src/seed/synthetic.js";
import { propertyRuns } from "../support/property-runs.js";
import { type Doc, patientArb } from "./arbitraries.js";
import { agreement, fastPathProperties, refusedAt, takesFastPath } from "./fast-path-oracle.js";

const RUNS = propertyRuns(1000);

/** Keys a mutation may add: optional fields the schema knows, and ones it drops. */
const PATIENT_ADD_KEYS = ["extra", "ssn", "middle_name", "line2", "claim_number", "subscriber", "_id"];

const oracle = (doc: unknown) => parseDocument(patientSchema, doc);
const patientPath = { fast: fastPatient, oracle, parse: parsePatient };
const agrees = agreement(patientPath);

/** The form stored patients take: BSON dates, trimmed text, upper-case state, ZIP without a dash. */
function canonicalPerson(p: Doc): Doc {
  const a = p.address as Doc;
  const out: Doc = {
    ...p,
    first_name: (p.first_name as string).trim(),
    last_name: (p.last_name as string).trim(),
    dob: typeof p.dob === "string" ? new Date(p.dob) : p.dob,
    member_id: (p.member_id as string).trim(),
    address: {
      ...a,
      line1: (a.line1 as string).trim(),
      city: (a.city as string).trim(),
      state: (a.state as string).toUpperCase(),
      zip: (a.zip as string).replace("-", ""),
      ...(a.line2 === undefined ? {} : { line2: (a.line2 as string).trim() }),
    },
  };
  if (p.middle_name !== undefined) out.middle_name = (p.middle_name as string).trim();
  return out;
}

function canonical(doc: Doc): Doc {
  const out = canonicalPerson(doc);
  if (doc.subscriber !== undefined) out.subscriber = canonicalPerson(doc.subscriber as Doc);
  return out;
}

/** A stored patient (BSON date, canonical text): the fast path's common case. */
function storedPatient(over: Doc = {}): Doc {
  return {
    patient_id: "P0000001",
    first_name: "JANE",
    last_name: "DOE",
    dob: new Date("1980-05-28T00:00:00Z"),
    gender: "F",
    address: { line1: "12 MAIN ST", city: "SPRINGFIELD", state: "IL", zip: "62701" },
    member_id: "M123456789",
    relationship_code: "18",
    ssn: "123-45-6789",
    ...over,
  };
}

const subscriber = {
  first_name: "JOHN",
  last_name: "DOE",
  dob: new Date("1978-01-02T00:00:00Z"),
  gender: "M",
  address: { line1: "12 MAIN ST", line2: "APT 2", city: "SPRINGFIELD", state: "IL", zip: "627011234" },
  member_id: "M987654321",
};

describe("patient validation fast path (zod is the oracle)", () => {
  it("takes the fast path for every synthetic (stored) patient, with zod's exact result", () => {
    const data = generate({ claims: 200, groups: 2, clients: 2, seed: 11, now: new Date() });
    expect(data.patients.some((p) => p.subscriber !== undefined)).toBe(true);
    for (const doc of data.patients) {
      takesFastPath(patientPath, doc, String(doc.patient_id));
    }
  });

  fastPathProperties({
    ...patientPath,
    valid: patientArb,
    stored: patientArb.map(canonical),
    storedForm: "BSON dates, trimmed text, upper-case state, ZIP without its dash",
    addKeys: PATIENT_ADD_KEYS,
    runs: RUNS,
  });
});

describe("patient validation fast path: each of its checks, one field at a time", () => {
  it.each<[string, Doc]>([
    ["a patient who is the subscriber", storedPatient()],
    ["a dependent with the subscriber", storedPatient({ relationship_code: "19", subscriber })],
    [
      "every optional field",
      storedPatient({
        middle_name: "Q",
        claim_number: "C-1",
        address: { line1: "1 A ST", line2: "UNIT B", city: "AB", state: "TX", zip: "750011234" },
      }),
    ],
    ["ids at their maximum length", storedPatient({ patient_id: "P".repeat(80), member_id: "M".repeat(80) })],
    ["the shortest ids", storedPatient({ patient_id: "P", member_id: "M1" })],
  ])("takes the fast path for %s, with zod's exact result", (_, doc) => {
    expect(takesFastPath(patientPath, doc)).not.toHaveProperty("ssn");
  });

  it.each<[string, Doc, string | undefined]>([
    ["an empty patient id", storedPatient({ patient_id: "" }), "patient_id"],
    ["a patient id of 81 characters", storedPatient({ patient_id: "P".repeat(81) }), "patient_id"],
    ["a patient id given as a number", storedPatient({ patient_id: 7 }), "patient_id"],
    ["an unknown relationship code", storedPatient({ relationship_code: "99" }), "relationship_code"],
    ["a dependent without the subscriber", storedPatient({ relationship_code: "01" }), "subscriber"],
    ["an empty first name", storedPatient({ first_name: "" }), "first_name"],
    ["a last name given as a number", storedPatient({ last_name: 5 }), "last_name"],
    ["an invalid date of birth", storedPatient({ dob: new Date(Number.NaN) }), "dob"],
    ["an unknown gender", storedPatient({ gender: "X" }), "gender"],
    ["a one-character member id", storedPatient({ member_id: "M" }), "member_id"],
    ["a member id of 81 characters", storedPatient({ member_id: "M".repeat(81) }), "member_id"],
    ["a member id given as a number", storedPatient({ member_id: 123456789 }), "member_id"],
    ["an address that is not an object", storedPatient({ address: "12 MAIN ST" }), "address"],
    [
      "a three-letter state",
      storedPatient({ address: { line1: "1 A ST", city: "AB", state: "ILL", zip: "62701" } }),
      "address.state",
    ],
    [
      "a four-digit ZIP",
      storedPatient({ address: { line1: "1 A ST", city: "AB", state: "IL", zip: "6270" } }),
      "address.zip",
    ],
    [
      "an empty second address line",
      storedPatient({ address: { line1: "1 A ST", line2: "", city: "AB", state: "IL", zip: "62701" } }),
      "address.line2",
    ],
    ["an empty middle name", storedPatient({ middle_name: " " }), "middle_name"],
    ["a claim number given as a number", storedPatient({ claim_number: 12 }), "claim_number"],
    [
      "a subscriber with an invalid member id",
      storedPatient({ relationship_code: "19", subscriber: { ...subscriber, member_id: "" } }),
      "subscriber.member_id",
    ],
    ["a subscriber that is not an object", storedPatient({ subscriber: "JOHN" }), "subscriber"],
    ["a subscriber that is null", storedPatient({ relationship_code: "19", subscriber: null }), "subscriber"],
    [
      "an unknown relationship code with a subscriber",
      storedPatient({ relationship_code: "99", subscriber }),
      "relationship_code",
    ],
    [
      "an empty first address line",
      storedPatient({ address: { line1: "", city: "AB", state: "IL", zip: "62701" } }),
      "address.line1",
    ],
    [
      "a city given as a number",
      storedPatient({ address: { line1: "1 A ST", city: 12, state: "IL", zip: "62701" } }),
      "address.city",
    ],
    // A pattern test reads its argument as text: ["IL"] and 62701 would pass it, the type must not.
    [
      "a state given as an array",
      storedPatient({ address: { line1: "1 A ST", city: "AB", state: ["IL"], zip: "62701" } }),
      "address.state",
    ],
    [
      "a ZIP given as a number",
      storedPatient({ address: { line1: "1 A ST", city: "AB", state: "IL", zip: 62701 } }),
      "address.zip",
    ],
  ])("steps aside for %s, and zod rejects it at its path", (_, doc, path) => {
    refusedAt(patientPath, doc, path);
  });

  it.each<[string, Doc]>([
    [
      "a lower-case state",
      storedPatient({ address: { line1: "1 A ST", city: "AB", state: "il", zip: "62701" } }),
    ],
    [
      "a ZIP with its dash",
      storedPatient({ address: { line1: "1 A ST", city: "AB", state: "IL", zip: "62701-1234" } }),
    ],
    ["a padded first name", storedPatient({ first_name: " JANE" })],
    ["a padded member id", storedPatient({ member_id: "M123 " })],
    ["a padded patient id", storedPatient({ patient_id: " P1" })],
    ["a date of birth as ISO text", storedPatient({ dob: "1980-05-28" })],
    ["a key present with the value undefined", storedPatient({ middle_name: undefined })],
    ["a claim number present as undefined", storedPatient({ claim_number: undefined })],
  ])("steps aside for %s, which zod normalises, and gives zod's result", (_, doc) => {
    expect(fastPatient(doc)).toBeUndefined();
    expect(oracle(doc).ok).toBe(true);
    agrees(doc);
  });
});
