// checkRenderable's problem list, one rule per row: each claim field X12 cannot carry yields exactly
// one issue with its path and rule text (operators read them as dead-letter reasons), and a valid
// claim yields none. Documents are patched after parsing, because the schemas already refuse some of
// these (an empty diagnosis list, a line without pointers) and checkRenderable must not depend on it.
import { describe, expect, it } from "vitest";
import type { Client } from "../../src/domain/client.js";
import type { InputIssue } from "../../src/domain/errors.js";
import { parseNpiRecord } from "../../src/domain/index.js";
import type { JoinedClaim } from "../../src/domain/joined-claim.js";
import type { NpiRecord } from "../../src/domain/npi-record.js";
import { render837 } from "../../src/edi/render.js";
import { NotRenderableError } from "../../src/edi/render-errors.js";
import { checkRenderable } from "../../src/edi/renderable.js";
import { EMPTY_TEXT } from "../../src/edi/x12-text.js";
import {
  BILLING_NPI,
  batchOf,
  claimDoc,
  dependentDoc,
  joined,
  lineDoc,
  must,
  npiDoc,
  REFERRING_NPI,
  RENDERING_NPI,
  thrown,
} from "./builders.js";

type Over = Record<string, unknown>;

const BAD_CHARS =
  "contains characters an X12 identifier cannot carry (delimiters, control or non-ASCII characters)";
const EMPTY = "must not be empty";
const BAD_DATE = "must be a date with a four-digit year";
const BAD_QUANTITY = "rounds to zero at three decimals";
const longer = (n: number) => `is longer than ${n} characters, the maximum of its X12 element`;
const shorter = (n: number) => `is shorter than ${n} characters, the minimum of its X12 element`;
/** A year the D8 date format cannot carry. */
const YEAR_10000 = new Date("+010000-01-01T00:00:00Z");

/** A valid claim with two lines (so line paths show their index) and a dependent patient. */
function base(): JoinedClaim {
  return joined({
    claim: claimDoc({ lines: [lineDoc(), lineDoc({ procedure_code: "85025", diagnosis_pointers: [1] })] }),
  });
}
function selfBase(): JoinedClaim {
  return base();
}
function dependentBase(): JoinedClaim {
  return joined({ patient: dependentDoc() });
}

function client(over: Over, nested?: { key: keyof Client; over: Over }) {
  return (j: JoinedClaim): JoinedClaim => {
    let c = { ...j.client, ...over } as Client;
    if (nested !== undefined)
      c = { ...c, [nested.key]: { ...(j.client[nested.key] as object), ...nested.over } };
    return { ...j, client: c };
  };
}
function claim(over: Over) {
  return (j: JoinedClaim): JoinedClaim => ({ ...j, claim: { ...j.claim, ...over } as JoinedClaim["claim"] });
}
function line1(over: Over) {
  return (j: JoinedClaim): JoinedClaim => {
    const lines = [...j.claim.lines];
    lines[1] = { ...lines[1], ...over } as (typeof lines)[number];
    return { ...j, claim: { ...j.claim, lines } };
  };
}
const DRUG: Over = { ndc: "00002143380", ndc_quantity: 30, ndc_unit: "UN", prescription_number: "RX1" };
function patient(over: Over) {
  return (j: JoinedClaim): JoinedClaim => ({
    ...j,
    patient: { ...j.patient, ...over } as JoinedClaim["patient"],
  });
}
function subscriber(over: Over) {
  return (j: JoinedClaim): JoinedClaim => {
    const s = j.patient.subscriber;
    if (s === undefined) throw new Error("subscriber row needs a dependent patient");
    return { ...j, patient: { ...j.patient, subscriber: { ...s, ...over } } as JoinedClaim["patient"] };
  };
}
function subscriberAddress(over: Over) {
  return (j: JoinedClaim): JoinedClaim => {
    const s = j.patient.subscriber;
    if (s === undefined) throw new Error("subscriber row needs a dependent patient");
    return subscriber({ address: { ...s.address, ...over } })(j);
  };
}
function npi(npiValue: string, over: Over = {}): NpiRecord {
  return { ...must(parseNpiRecord(npiDoc(npiValue)), "npi"), ...over } as NpiRecord;
}
/** The claim names a rendering provider whose record is `rec`. */
function rendering(rec: NpiRecord | undefined, claimNpi = RENDERING_NPI) {
  return (j: JoinedClaim): JoinedClaim => {
    const { rendering: _r, ...rest } = j;
    return {
      ...rest,
      claim: { ...j.claim, rendering_npi: claimNpi },
      ...(rec === undefined ? {} : { rendering: rec }),
    };
  };
}
function referring(rec: NpiRecord | undefined) {
  return (j: JoinedClaim): JoinedClaim => {
    const { referring: _r, ...rest } = j;
    return {
      ...rest,
      claim: { ...j.claim, referring_npi: REFERRING_NPI },
      ...(rec === undefined ? {} : { referring: rec }),
    };
  };
}

const issue = (path: string, message: string): InputIssue => ({ path, message });

/** Client rules: checkRenderable and render837 (batch-level refusal) report the same single issue. */
const CLIENT_ROWS: readonly (readonly [string, (j: JoinedClaim) => JoinedClaim, InputIssue])[] = [
  ["name empty in X12", client({ name: "***" }), issue("client.name", EMPTY_TEXT)],
  ["npi too short", client({ npi: "123456789" }), issue("client.npi", shorter(10))],
  ["tax id too long", client({ tax_id: "1234567890" }), issue("client.tax_id", longer(9))],
  [
    "taxonomy with a delimiter",
    client({ taxonomy_code: "3336C*003X" }),
    issue("client.taxonomy_code", BAD_CHARS),
  ],
  [
    "phone too short",
    client({}, { key: "contact", over: { phone: "555123456" } }),
    issue("client.contact.phone", shorter(10)),
  ],
  ["submitter id too short", client({ submitter_id: "S" }), issue("client.submitter_id", shorter(2))],
  [
    "receiver name empty",
    client({}, { key: "receiver", over: { name: "~~" } }),
    issue("client.receiver.name", EMPTY_TEXT),
  ],
  [
    "receiver id too short",
    client({}, { key: "receiver", over: { id: "C" } }),
    issue("client.receiver.id", shorter(2)),
  ],
  [
    "address line1 empty",
    client({}, { key: "address", over: { line1: "*" } }),
    issue("client.address.line1", EMPTY_TEXT),
  ],
  [
    "address city empty",
    client({}, { key: "address", over: { city: "*" } }),
    issue("client.address.city", EMPTY_TEXT),
  ],
  [
    "address city of one character",
    client({}, { key: "address", over: { city: "X" } }),
    issue("client.address.city", "must keep at least 2 characters in X12 (N401)"),
  ],
  [
    "address state too long",
    client({}, { key: "address", over: { state: "ILL" } }),
    issue("client.address.state", longer(2)),
  ],
  [
    "address zip too short",
    client({}, { key: "address", over: { zip: "62" } }),
    issue("client.address.zip", shorter(3)),
  ],
  [
    "ISA sender id empty",
    client({}, { key: "isa", over: { sender_id: " " } }),
    issue("client.isa.sender_id", EMPTY),
  ],
  [
    "ISA receiver id too long",
    client({}, { key: "isa", over: { receiver_id: "R".repeat(16) } }),
    issue("client.isa.receiver_id", longer(15)),
  ],
  [
    "GS sender code too short",
    client({}, { key: "gs", over: { sender_code: "S" } }),
    issue("client.gs.sender_code", shorter(2)),
  ],
  [
    "GS receiver code with a delimiter",
    client({}, { key: "gs", over: { receiver_code: "AC:ME" } }),
    issue("client.gs.receiver_code", BAD_CHARS),
  ],
];

describe("checkRenderable: client rules", () => {
  it("a valid claim has no issues", () => {
    expect(checkRenderable(base())).toEqual([]);
    expect(checkRenderable(dependentBase())).toEqual([]);
  });

  it.each(CLIENT_ROWS)("%s", (_name, patch, expected) => {
    const j = patch(base());
    expect(checkRenderable(j)).toEqual([expected]);
  });

  it.each(CLIENT_ROWS)(
    "render837 refuses the batch (%s) with that issue and no claim number",
    (_name, patch, expected) => {
      const err = thrown(() => render837(batchOf([patch(base())])));
      expect(err).toBeInstanceOf(NotRenderableError);
      const e = err as NotRenderableError;
      expect(e.code).toBe("NOT_RENDERABLE");
      expect(e.claimNumber).toBeUndefined();
      expect(e.issues).toEqual([expected]);
      expect(e.message).toBe(
        `batch cannot be rendered: ${expected.path}: ${expected.message}; run checkRenderable first and dead-letter what it reports`,
      );
    },
  );
});

const CLAIM_ROWS: readonly (readonly [string, (j: JoinedClaim) => JoinedClaim, readonly InputIssue[]])[] = [
  ["claim number empty", claim({ claim_number: "" }), [issue("claim.claim_number", EMPTY)]],
  [
    "payer id too short",
    claim({ payer: { payer_id: "6", name: "Aetna" } }),
    [issue("claim.payer.payer_id", shorter(2))],
  ],
  [
    "payer name empty",
    claim({ payer: { payer_id: "60054", name: "**" } }),
    [issue("claim.payer.name", EMPTY_TEXT)],
  ],
  [
    "place of service of one digit",
    claim({ place_of_service: "1" }),
    [issue("claim.place_of_service", shorter(2))],
  ],
  ["service date year 10000", claim({ service_date: YEAR_10000 }), [issue("claim.service_date", BAD_DATE)]],
  [
    "prior authorization with a delimiter",
    claim({ prior_authorization: "PA*1" }),
    [issue("claim.prior_authorization", BAD_CHARS)],
  ],
  [
    "replacement (7) without payer claim control number",
    claim({ frequency_code: "7" }),
    [issue("claim.payer_claim_control_number", "required for frequency_code 7 and 8")],
  ],
  [
    "void (8) without payer claim control number",
    claim({ frequency_code: "8" }),
    [issue("claim.payer_claim_control_number", "required for frequency_code 7 and 8")],
  ],
  [
    "replacement with an unusable payer claim control number",
    claim({ frequency_code: "7", payer_claim_control_number: "PCN~1" }),
    [issue("claim.payer_claim_control_number", BAD_CHARS)],
  ],
  ["original (1) needs no payer claim control number", claim({ frequency_code: "1" }), []],
  [
    "replacement with a control number",
    claim({ frequency_code: "8", payer_claim_control_number: "PCN1" }),
    [],
  ],
  [
    "no diagnosis codes (the lines' pointers then point nowhere)",
    claim({ diagnosis_codes: [] }),
    [
      issue("claim.diagnosis_codes", "must hold 1 to 12 codes (one HI segment)"),
      issue("claim.lines.0.diagnosis_pointers.0", "must point at one of the diagnosis codes"),
      issue("claim.lines.1.diagnosis_pointers.0", "must point at one of the diagnosis codes"),
    ],
  ],
  [
    "13 diagnosis codes",
    claim({ diagnosis_codes: Array.from({ length: 13 }, (_, i) => `E1${i + 10}`) }),
    [issue("claim.diagnosis_codes", "must hold 1 to 12 codes (one HI segment)")],
  ],
  ["12 diagnosis codes", claim({ diagnosis_codes: Array.from({ length: 12 }, (_, i) => `E1${i + 10}`) }), []],
  [
    "second diagnosis code with a delimiter",
    claim({ diagnosis_codes: ["E119", "I1*0"] }),
    [issue("claim.diagnosis_codes.1", BAD_CHARS)],
  ],
  ["no lines", claim({ lines: [] }), [issue("claim.lines", "must hold at least one line")]],
  [
    "line procedure code empty",
    line1({ procedure_code: " " }),
    [issue("claim.lines.1.procedure_code", EMPTY)],
  ],
  [
    "five modifiers",
    line1({ modifiers: ["25", "59", "RT", "LT", "GT"] }),
    [issue("claim.lines.1.modifiers", "must hold at most 4 modifiers")],
  ],
  ["four modifiers", line1({ modifiers: ["25", "59", "RT", "LT"] }), []],
  [
    "second modifier of one character",
    line1({ modifiers: ["25", "5"] }),
    [issue("claim.lines.1.modifiers.1", shorter(2))],
  ],
  ["units rounding to zero", line1({ units: 0.0001 }), [issue("claim.lines.1.units", BAD_QUANTITY)]],
  [
    "line service date year 10000",
    line1({ service_date: YEAR_10000 }),
    [issue("claim.lines.1.service_date", BAD_DATE)],
  ],
  [
    "no diagnosis pointers",
    line1({ diagnosis_pointers: [] }),
    [issue("claim.lines.1.diagnosis_pointers", "must hold 1 to 4 pointers")],
  ],
  [
    "five diagnosis pointers",
    line1({ diagnosis_pointers: [1, 1, 1, 1, 1] }),
    [issue("claim.lines.1.diagnosis_pointers", "must hold 1 to 4 pointers")],
  ],
  ["four diagnosis pointers", line1({ diagnosis_pointers: [1, 1, 1, 1] }), []],
  [
    "pointer 0",
    line1({ diagnosis_pointers: [1, 0] }),
    [issue("claim.lines.1.diagnosis_pointers.1", "must point at one of the diagnosis codes")],
  ],
  [
    "pointer 1.5",
    line1({ diagnosis_pointers: [1.5] }),
    [issue("claim.lines.1.diagnosis_pointers.0", "must point at one of the diagnosis codes")],
  ],
  [
    "pointer past the last diagnosis code",
    line1({ diagnosis_pointers: [2] }),
    [issue("claim.lines.1.diagnosis_pointers.0", "must point at one of the diagnosis codes")],
  ],
  ["a complete drug line", line1(DRUG), []],
  ["NDC of 10 digits", line1({ ...DRUG, ndc: "0000214338" }), [issue("claim.lines.1.ndc", shorter(11))]],
  [
    "NDC without quantity",
    line1({ ...DRUG, ndc_quantity: undefined }),
    [issue("claim.lines.1.ndc_quantity", BAD_QUANTITY)],
  ],
  [
    "NDC quantity rounding to zero",
    line1({ ...DRUG, ndc_quantity: 0.0004 }),
    [issue("claim.lines.1.ndc_quantity", BAD_QUANTITY)],
  ],
  [
    "NDC without unit",
    line1({ ...DRUG, ndc_unit: undefined }),
    [issue("claim.lines.1.ndc_unit", "required when ndc is present")],
  ],
  ["NDC without prescription number", line1({ ...DRUG, prescription_number: undefined }), []],
  [
    "prescription number with a delimiter",
    line1({ ...DRUG, prescription_number: "RX*1" }),
    [issue("claim.lines.1.prescription_number", BAD_CHARS)],
  ],
  [
    "drug fields without an NDC are not checked (no LIN segment)",
    line1({ ndc_quantity: 0.0004, prescription_number: "RX*1" }),
    [],
  ],
];

describe("checkRenderable: claim and line rules", () => {
  it.each(CLAIM_ROWS)("%s", (_name, patch, expected) => {
    expect(checkRenderable(patch(base()))).toEqual(expected);
  });

  it("puts the client's issues first, then the claim's", () => {
    const j = claim({ place_of_service: "1" })(client({ name: "***" })(base()));
    expect(checkRenderable(j)).toEqual([
      issue("client.name", EMPTY_TEXT),
      issue("claim.place_of_service", shorter(2)),
    ]);
  });

  it("render837 refuses the claim by its number with checkRenderable's issues", () => {
    const j = claim({ place_of_service: "1" })(base());
    const err = thrown(() => render837(batchOf([j]))) as NotRenderableError;
    expect(err).toBeInstanceOf(NotRenderableError);
    expect(err.claimNumber).toBe("CLM-0001");
    expect(err.message).toBe(
      `claim CLM-0001 cannot be rendered: claim.place_of_service: ${shorter(2)}; run checkRenderable first and dead-letter what it reports`,
    );
  });
});

const PATIENT_ROWS: readonly (readonly [string, () => JoinedClaim, readonly InputIssue[]])[] = [
  [
    "self: last name empty",
    () => patient({ last_name: "**" })(selfBase()),
    [issue("patient.last_name", EMPTY_TEXT)],
  ],
  [
    "self: birth year 10000",
    () => patient({ dob: YEAR_10000 })(selfBase()),
    [issue("patient.dob", BAD_DATE)],
  ],
  [
    "self: member id too short",
    () => patient({ member_id: "M" })(selfBase()),
    [issue("patient.member_id", shorter(2))],
  ],
  [
    "self: address zip too short",
    () => patient({ address: { line1: "12 Oak Ave", city: "Austin", state: "TX", zip: "73" } })(selfBase()),
    [issue("patient.address.zip", shorter(3))],
  ],
  [
    "dependent without subscriber",
    () => patient({ subscriber: undefined })(dependentBase()),
    [issue("patient.subscriber", "required when relationship_code is not 18 (self)")],
  ],
  [
    "dependent: own member id is not written (2010CA has none), so not checked",
    () => patient({ member_id: "M" })(dependentBase()),
    [],
  ],
  [
    "dependent: own birth year 10000",
    () => patient({ dob: YEAR_10000 })(dependentBase()),
    [issue("patient.dob", BAD_DATE)],
  ],
  [
    "dependent: subscriber member id too short",
    () => subscriber({ member_id: "M" })(dependentBase()),
    [issue("patient.subscriber.member_id", shorter(2))],
  ],
  [
    "dependent: subscriber last name empty",
    () => subscriber({ last_name: "~" })(dependentBase()),
    [issue("patient.subscriber.last_name", EMPTY_TEXT)],
  ],
  [
    "dependent: subscriber birth year 10000",
    () => subscriber({ dob: YEAR_10000 })(dependentBase()),
    [issue("patient.subscriber.dob", BAD_DATE)],
  ],
  [
    "dependent: subscriber state too long",
    () => subscriberAddress({ state: "TEX" })(dependentBase()),
    [issue("patient.subscriber.address.state", longer(2))],
  ],
];

describe("checkRenderable: patient and subscriber rules", () => {
  it.each(PATIENT_ROWS)("%s", (_name, make, expected) => {
    expect(checkRenderable(make())).toEqual(expected);
  });
});

const MISSING = "npi record is missing (the enricher should have dead-lettered the claim)";

const PROVIDER_ROWS: readonly (readonly [string, (j: JoinedClaim) => JoinedClaim, readonly InputIssue[]])[] =
  [
    ["rendering provider with its record", rendering(npi(RENDERING_NPI)), []],
    ["rendering provider without record", rendering(undefined), [issue("rendering", MISSING)]],
    [
      "rendering provider that is the billing provider needs no record",
      rendering(undefined, BILLING_NPI),
      [],
    ],
    [
      "rendering record of another NPI",
      rendering(npi(RENDERING_NPI, { npi: REFERRING_NPI })),
      [issue("rendering.npi", "does not match the claim's NPI")],
    ],
    [
      "rendering record with an 11-digit NPI",
      rendering(npi(RENDERING_NPI, { npi: "12453195990" }), "12453195990"),
      [issue("rendering.npi", longer(10))],
    ],
    [
      "rendering person without last name",
      rendering(npi(RENDERING_NPI, { last_name: undefined })),
      [issue("rendering.last_name", EMPTY_TEXT)],
    ],
    [
      "rendering person with an empty last name",
      rendering(npi(RENDERING_NPI, { last_name: "**" })),
      [issue("rendering.last_name", EMPTY_TEXT)],
    ],
    [
      "rendering organisation with a name",
      rendering(npi(RENDERING_NPI, { entity_type: 2, last_name: undefined, organization_name: "Lab Corp" })),
      [],
    ],
    [
      "rendering organisation without a name",
      rendering(npi(RENDERING_NPI, { entity_type: 2, last_name: undefined, organization_name: undefined })),
      [issue("rendering.organization_name", EMPTY_TEXT)],
    ],
    [
      "rendering organisation with an empty name",
      rendering(npi(RENDERING_NPI, { entity_type: 2, organization_name: "~~" })),
      [issue("rendering.organization_name", EMPTY_TEXT)],
    ],
    [
      "rendering taxonomy too short",
      rendering(npi(RENDERING_NPI, { taxonomy_code: "207Q" })),
      [issue("rendering.taxonomy_code", shorter(10))],
    ],
    ["rendering record without taxonomy", rendering(npi(RENDERING_NPI, { taxonomy_code: undefined })), []],
    ["referring provider with its record", referring(npi(REFERRING_NPI)), []],
    ["referring provider without record", referring(undefined), [issue("referring", MISSING)]],
    [
      "referring organisation",
      referring(npi(REFERRING_NPI, { entity_type: 2, organization_name: "Lab Corp" })),
      [issue("referring.entity_type", "must be 1 (person) for the referring provider loop 2310A")],
    ],
  ];

describe("checkRenderable: provider rules", () => {
  it.each(PROVIDER_ROWS)("%s", (_name, patch, expected) => {
    expect(checkRenderable(patch(base()))).toEqual(expected);
  });
});
