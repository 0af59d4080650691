// The document schemas of SPEC section 2: what a valid claim, patient, client and npi record is.
import { describe, expect, it } from "vitest";
import { parseClaim, parseClient, parseNpiRecord, parsePatient } from "../../src/domain/index.js";
import {
  claimDoc,
  clientDoc,
  dependentDoc,
  lineDoc,
  npiDoc,
  patientDoc,
  personDoc,
} from "../edi/builders.js";

function issuesOf(r: { ok: boolean; issues?: unknown }): unknown {
  expect(r.ok).toBe(false);
  return r.issues;
}

describe("claim schema", () => {
  it("accepts ICD-10-CM codes with or without the dot, in any case, and stores them without it", () => {
    const codes = ["E119", "e11.9", " S52.521A ", "Z23", "U071", "F17210", "W010XXA"];
    const r = parseClaim(claimDoc({ diagnosis_codes: codes }));
    expect(r.ok && r.value.diagnosis_codes).toEqual([
      "E119",
      "E119",
      "S52521A",
      "Z23",
      "U071",
      "F17210",
      "W010XXA",
    ]);
  });

  it("rejects diagnosis codes that are not ICD-10 shaped, naming each position", () => {
    const bad = ["E1", "1E11", "E11.9.1", "E11-9", "E119999X", "EE11", "", "E1 19"];
    const r = parseClaim(claimDoc({ diagnosis_codes: ["I10", ...bad] }));
    expect(issuesOf(r)).toEqual(
      bad.map((_, i) => ({
        path: `diagnosis_codes.${i + 1}`,
        message: "must be an ICD-10 code without the dot",
      })),
    );
    expect(issuesOf(parseClaim(claimDoc({ diagnosis_codes: [] })))).toEqual([
      { path: "diagnosis_codes", message: "Too small: expected array to have >=1 items" },
      { path: "lines.0.diagnosis_pointers.0", message: "points past the last diagnosis code" },
    ]);
    const thirteen = Array.from({ length: 13 }, () => "I10");
    expect(issuesOf(parseClaim(claimDoc({ diagnosis_codes: thirteen })))).toEqual([
      { path: "diagnosis_codes", message: "Too big: expected array to have <=12 items" },
    ]);
  });

  it("requires the payer claim control number for frequency 7 (replacement) and 8 (void) only", () => {
    for (const frequency of ["7", "8", 7, 8]) {
      expect(issuesOf(parseClaim(claimDoc({ frequency_code: frequency })))).toEqual([
        {
          path: "payer_claim_control_number",
          message: "required for frequency_code 7 (replacement) and 8 (void)",
        },
      ]);
      const ok = parseClaim(claimDoc({ frequency_code: frequency, payer_claim_control_number: "ICN-1" }));
      expect(ok.ok && ok.value.frequency_code).toBe(String(frequency));
    }
    expect(issuesOf(parseClaim(claimDoc({ frequency_code: "7", payer_claim_control_number: "  " })))).toEqual(
      [
        { path: "payer_claim_control_number", message: "Too small: expected string to have >=1 characters" },
        {
          path: "payer_claim_control_number",
          message: "required for frequency_code 7 (replacement) and 8 (void)",
        },
      ],
    );
    const original = parseClaim(claimDoc());
    expect(original.ok && original.value.frequency_code).toBe("1");
    expect(issuesOf(parseClaim(claimDoc({ frequency_code: "2" })))).toEqual([
      { path: "frequency_code", message: "does not match any accepted form" },
    ]);
  });

  it("checks claim number, group id, status, place of service and version by their rules", () => {
    expect(issuesOf(parseClaim(claimDoc({ claim_number: "clm 1" })))).toEqual([
      { path: "claim_number", message: "must match ^[A-Z0-9-]{1,50}$" },
    ]);
    expect(issuesOf(parseClaim(claimDoc({ group_id: "GRP-1" })))).toEqual([
      { path: "group_id", message: "must match ^[A-Z0-9_]{1,20}$" },
    ]);
    expect(issuesOf(parseClaim(claimDoc({ status: "READY" })))).toEqual([
      { path: "status", message: 'must be one of "draft", "ready", "billed", "hold", "error"' },
    ]);
    expect(issuesOf(parseClaim(claimDoc({ place_of_service: "1" })))).toEqual([
      { path: "place_of_service", message: "must be 2 digits" },
    ]);
    expect(issuesOf(parseClaim(claimDoc({ version: 0 })))).toEqual([
      { path: "version", message: "Too small: expected number to be >=1" },
    ]);
    const noVersion = claimDoc();
    delete noVersion.version;
    const r = parseClaim(noVersion);
    expect(r.ok && r.value.version).toBe(1);
  });

  it("checks lines: drug fields, pointers within the diagnoses, at most four modifiers", () => {
    const drug = parseClaim(
      claimDoc({ lines: [lineDoc({ ndc: "00002-1433-80", ndc_quantity: 2, ndc_unit: "ML" })] }),
    );
    expect(drug.ok && drug.value.lines[0]?.ndc).toBe("00002143380");
    expect(issuesOf(parseClaim(claimDoc({ lines: [lineDoc({ ndc: "0000214338" })] })))).toEqual([
      { path: "lines.0.ndc", message: "must be an 11-digit NDC (5-4-2)" },
      { path: "lines.0.ndc_quantity", message: "required when ndc is present" },
      { path: "lines.0.ndc_unit", message: "required when ndc is present" },
    ]);
    expect(issuesOf(parseClaim(claimDoc({ lines: [lineDoc({ diagnosis_pointers: [1, 2] })] })))).toEqual([
      { path: "lines.0.diagnosis_pointers.1", message: "points past the last diagnosis code" },
    ]);
    expect(
      issuesOf(parseClaim(claimDoc({ lines: [lineDoc({ modifiers: ["25", "59", "RT", "LT", "GT"] })] }))),
    ).toEqual([{ path: "lines.0.modifiers", message: "Too big: expected array to have <=4 items" }]);
    const none = lineDoc();
    delete none.modifiers;
    const r = parseClaim(claimDoc({ lines: [none] }));
    expect(r.ok && r.value.lines[0]?.modifiers).toEqual([]);
    expect(issuesOf(parseClaim(claimDoc({ lines: [] })))).toEqual([
      { path: "lines", message: "Too small: expected array to have >=1 items" },
    ]);
  });

  it("reads dates as Date objects or ISO text, in UTC, and rejects anything else", () => {
    const r = parseClaim(
      claimDoc({ billing_date: new Date("2026-03-14T00:00:00Z"), service_date: "2026-03-10T23:30:00-05:00" }),
    );
    expect(r.ok && r.value.service_date.toISOString()).toBe("2026-03-11T04:30:00.000Z");
    for (const bad of ["2026-13-01", "yesterday", "14/03/2026", 1773446400000, new Date(Number.NaN)]) {
      expect(issuesOf(parseClaim(claimDoc({ service_date: bad })))).toEqual([
        { path: "service_date", message: "does not match any accepted form" },
      ]);
    }
  });

  it("ignores fields it does not know, at any depth, and returns only the ones it knows", () => {
    const doc = claimDoc({
      source_system: "upstream-v2",
      _id: "65f0c0ffee0000000000beef",
      payer: { payer_id: "60054", name: "Aetna", plan_type: "PPO" },
      lines: [lineDoc({ revenue_code: "0450", note: { nested: [1, 2, 3] } })],
    });
    const r = parseClaim(doc);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).not.toHaveProperty("source_system");
    expect(r.value).not.toHaveProperty("_id");
    expect(r.value.payer).toEqual({ payer_id: "60054", name: "Aetna" });
    expect(r.value.lines[0]).not.toHaveProperty("revenue_code");
  });
});

describe("patient schema", () => {
  it("drops the ssn so it can never reach a file, a log or a dead letter", () => {
    const r = parsePatient(patientDoc({ ssn: "123-45-6789" }));
    expect(r.ok).toBe(true);
    expect(JSON.stringify(r)).not.toContain("123-45-6789");
  });

  it("requires the subscriber when the patient is not the subscriber (relationship other than 18)", () => {
    expect(parsePatient(dependentDoc()).ok).toBe(true);
    const noSubscriber = dependentDoc();
    delete noSubscriber.subscriber;
    expect(issuesOf(parsePatient(noSubscriber))).toEqual([
      { path: "subscriber", message: "required when relationship_code is not 18 (self)" },
    ]);
    expect(issuesOf(parsePatient(dependentDoc({ subscriber: personDoc({ member_id: "" }) })))).toEqual([
      { path: "subscriber.member_id", message: "Too small: expected string to have >=2 characters" },
    ]);
    expect(issuesOf(parsePatient(patientDoc({ relationship_code: "99" })))).toEqual([
      {
        path: "relationship_code",
        message: 'must be one of "18", "19", "20", "21", "39", "40", "53", "01", "G8"',
      },
    ]);
  });

  it("normalises state and ZIP, and rejects a gender outside M/F/U", () => {
    const r = parsePatient(
      patientDoc({ address: { line1: "1 A St", city: "Austin", state: "tx", zip: "73301-0001" } }),
    );
    expect(r.ok && r.value.address).toEqual({
      line1: "1 A St",
      city: "Austin",
      state: "TX",
      zip: "733010001",
    });
    expect(issuesOf(parsePatient(patientDoc({ gender: "X" })))).toEqual([
      { path: "gender", message: 'must be one of "M", "F", "U"' },
    ]);
    expect(
      issuesOf(
        parsePatient(patientDoc({ address: { line1: "1 A St", city: "Austin", state: "TX", zip: "7330" } })),
      ),
    ).toEqual([{ path: "address.zip", message: "must be a 5- or 9-digit ZIP code" }]);
  });
});

describe("client schema", () => {
  it("normalises tax id and phone, and checks the envelope identifiers", () => {
    const r = parseClient(clientDoc());
    expect(r.ok && [r.value.tax_id, r.value.contact.phone]).toEqual(["123456789", "5551234567"]);
    expect(issuesOf(parseClient(clientDoc({ tax_id: "12-345678" })))).toEqual([
      { path: "tax_id", message: "must be 9 digits" },
    ]);
    expect(
      issuesOf(
        parseClient(
          clientDoc({
            isa: { sender_qualifier: "XX", sender_id: "A*B", receiver_qualifier: "ZZ", receiver_id: "R" },
          }),
        ),
      ),
    ).toEqual([
      {
        path: "isa.sender_qualifier",
        message: 'must be one of "14", "20", "27", "28", "29", "30", "33", "01", "ZZ"',
      },
      { path: "isa.sender_id", message: "must be letters, digits, space, dot, dash or underscore" },
    ]);
    expect(issuesOf(parseClient(clientDoc({ usage_indicator: "X" })))).toEqual([
      { path: "usage_indicator", message: 'must be one of "P", "T"' },
    ]);
  });
});

describe("npi schema", () => {
  it("needs a last name for a person and an organization name for an organization", () => {
    expect(parseNpiRecord(npiDoc("1245319599", { entity_type: "1" }))).toMatchObject({
      ok: true,
      value: { entity_type: 1 },
    });
    expect(issuesOf(parseNpiRecord({ npi: "1245319599", entity_type: 1 }))).toEqual([
      { path: "last_name", message: "required for entity_type 1 (person)" },
    ]);
    expect(issuesOf(parseNpiRecord({ npi: "1245319599", entity_type: 2 }))).toEqual([
      { path: "organization_name", message: "required for entity_type 2 (organization)" },
    ]);
    expect(issuesOf(parseNpiRecord({ npi: "1245319599", entity_type: 3, last_name: "X" }))).toEqual([
      { path: "entity_type", message: "does not match any accepted form" },
    ]);
  });
});
