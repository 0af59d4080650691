// The common case of patient validation without zod, as claim-fast.ts does for claims: a patient
// document whose every field is already canonical (trimmed text, a BSON date, an upper-case
// state, a ZIP without its dash) is checked by hand and built exactly as zod would build it.
// Anything else returns undefined and goes to zod, the oracle, which alone says what is wrong.
// Every claim of a batch joins one patient, and zod's parse of it was most of the enricher's
// own CPU. A property test (test/domain/patient-fast.test.ts) pins that whenever this accepts a
// document, zod accepts it with a strictly equal result.
import type { Patient, Subscriber } from "./patient.js";
import { RELATIONSHIP_CODES } from "./patient.js";

type Doc = Record<string, unknown>;
type Address = Subscriber["address"];

let RELATIONSHIPS: ReadonlySet<unknown> | undefined;
const STATE = /^[A-Z]{2}$/;
const ZIP = /^(\d{5}|\d{9})$/;

function isDoc(v: unknown): v is Doc {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Text zod's `text` (trim, at least one character) leaves as it is. */
function text(v: unknown): v is string {
  return typeof v === "string" && v.length > 0 && v.trim() === v;
}

/**
 * An optional text field: absent is fine (`null` answer: omit it), present must be canonical
 * text; `undefined` under a present key is left to zod, which keeps such a key.
 */
function optionalText(doc: Doc, key: string): string | null | undefined {
  if (!(key in doc)) return null;
  const v = doc[key];
  return text(v) ? v : undefined;
}

function address(v: unknown): Address | undefined {
  if (!isDoc(v)) return undefined;
  const { line1, city, state, zip } = v;
  if (!text(line1) || !text(city)) return undefined;
  if (typeof state !== "string" || !STATE.test(state)) return undefined;
  if (typeof zip !== "string" || !ZIP.test(zip)) return undefined;
  const line2 = optionalText(v, "line2");
  if (line2 === undefined) return undefined;
  const out: { -readonly [K in keyof Address]: Address[K] } = { line1, city, state, zip };
  if (line2 !== null) out.line2 = line2;
  return out;
}

/** The person fields (subscriber, or the patient's own), or undefined when zod must decide. */
function person(doc: Doc): Subscriber | undefined {
  const { first_name, last_name, dob, gender, member_id } = doc;
  if (!text(first_name) || !text(last_name)) return undefined;
  if (!(dob instanceof Date) || Number.isNaN(dob.getTime())) return undefined;
  if (gender !== "M" && gender !== "F" && gender !== "U") return undefined;
  if (typeof member_id !== "string" || member_id.length < 2 || member_id.length > 80) return undefined;
  if (member_id.trim() !== member_id) return undefined;
  const addr = address(doc.address);
  if (addr === undefined) return undefined;
  const middle = optionalText(doc, "middle_name");
  if (middle === undefined) return undefined;
  const out: { -readonly [K in keyof Subscriber]: Subscriber[K] } = {
    first_name,
    last_name,
    dob,
    gender,
    address: addr,
    member_id,
  };
  if (middle !== null) out.middle_name = middle;
  return out;
}

/** The patient zod would produce, or undefined when zod must decide. */
export function fastPatient(doc: unknown): Patient | undefined {
  if (!isDoc(doc)) return undefined;
  const { patient_id, relationship_code } = doc;
  if (typeof patient_id !== "string" || patient_id.length < 1 || patient_id.length > 80) return undefined;
  if (patient_id.trim() !== patient_id) return undefined;
  RELATIONSHIPS ??= new Set(RELATIONSHIP_CODES);
  if (!RELATIONSHIPS.has(relationship_code)) return undefined;
  const self = person(doc);
  if (self === undefined) return undefined;
  const out: { -readonly [K in keyof Patient]: Patient[K] } = {
    patient_id,
    ...self,
    relationship_code: relationship_code as Patient["relationship_code"],
  };
  if ("claim_number" in doc) {
    if (typeof doc.claim_number !== "string") return undefined;
    out.claim_number = doc.claim_number;
  }
  if ("subscriber" in doc) {
    if (!isDoc(doc.subscriber)) return undefined;
    const subscriber = person(doc.subscriber);
    if (subscriber === undefined) return undefined;
    out.subscriber = subscriber;
  } else if (relationship_code !== "18") return undefined;
  return out;
}
