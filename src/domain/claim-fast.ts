// The common case of claim validation without zod: a claim whose every field is already in
// its canonical form (trimmed, upper-cased, Dates not text, no ICD dot) is checked by hand
// and built as zod would build it. Anything else — a representation zod normalises, an
// unusual value, an invalid field — returns undefined and goes to zod, the oracle: it alone
// says what is wrong, with exact issue paths. A property test (test/domain/claim-fast.test.ts)
// pins that whenever this accepts a document, zod accepts it with a strictly equal result.
import type { Claim, ClaimLine } from "./claim.js";
import { CLAIM_NUMBER, CLAIM_STATUSES, CLIENT_ID, GROUP_ID, ICD10, NDC_UNITS } from "./claim.js";
import { toCents } from "./money.js";
import { isValidNpi } from "./npi.js";

type Doc = Record<string, unknown>;

// Built on first use: claim.ts imports this module, so its constants are not ready at load time.
let STATUSES: ReadonlySet<unknown> | undefined;
let UNITS: ReadonlySet<unknown> | undefined;
const PROCEDURE = /^[A-Z0-9]{5}$/;
const MODIFIER = /^[A-Z0-9]{2}$/;
const POS = /^\d{2}$/;
const NPI = /^\d{10}$/;
const NDC = /^\d{11}$/;

/** Not here at all: the key is missing. `undefined` under a present key goes to zod. */
const ABSENT = Symbol("absent");
/** Sentinel for "not the common case": the caller falls back to zod. */
const NO = Symbol("no");

function isDoc(v: unknown): v is Doc {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function field(doc: Doc, key: string): unknown {
  const v = doc[key];
  return v === undefined && !(key in doc) ? ABSENT : v;
}

/** A string already trimmed, of min..max characters. */
function trimmed(v: unknown, min: number, max: number): v is string {
  return typeof v === "string" && v.length >= min && v.length <= max && v.trim() === v;
}

function validDate(v: unknown): v is Date {
  return v instanceof Date && !Number.isNaN(v.getTime());
}

function finiteIn(v: unknown, max: number): v is number {
  return typeof v === "number" && Number.isFinite(v) && v > 0 && v <= max;
}

function intIn(v: unknown, min: number, max: number): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= min && v <= max;
}

function npi(v: unknown): v is string {
  return typeof v === "string" && NPI.test(v) && isValidNpi(v);
}

function fastLine(raw: unknown, diagnosisCount: number): ClaimLine | typeof NO {
  if (!isDoc(raw)) return NO;
  const procedure = raw.procedure_code;
  if (typeof procedure !== "string" || !PROCEDURE.test(procedure)) return NO;
  const rawModifiers = field(raw, "modifiers");
  let modifiers: string[];
  if (rawModifiers === ABSENT) modifiers = [];
  else {
    if (!Array.isArray(rawModifiers) || rawModifiers.length > 4) return NO;
    for (const m of rawModifiers) if (typeof m !== "string" || !MODIFIER.test(m)) return NO;
    modifiers = [...(rawModifiers as string[])];
  }
  const units = raw.units;
  if (!finiteIn(units, 99_999)) return NO;
  const charge = toCents(raw.charge);
  if (!charge.ok) return NO;
  const pointers = raw.diagnosis_pointers;
  if (!Array.isArray(pointers) || pointers.length < 1 || pointers.length > 4) return NO;
  for (const p of pointers) if (!intIn(p, 1, 12) || p > diagnosisCount) return NO;

  const line: { -readonly [K in keyof ClaimLine]: ClaimLine[K] } = {
    procedure_code: procedure,
    modifiers,
    units,
    charge: charge.cents,
    diagnosis_pointers: [...(pointers as number[])],
  };
  const serviceDate = field(raw, "service_date");
  if (serviceDate !== ABSENT) {
    if (!validDate(serviceDate)) return NO;
    line.service_date = serviceDate;
  }
  const ndc = field(raw, "ndc");
  const quantity = field(raw, "ndc_quantity");
  const unit = field(raw, "ndc_unit");
  if (ndc !== ABSENT) {
    if (typeof ndc !== "string") return NO;
    const digits = ndc.replace(/-/g, "");
    if (!NDC.test(digits) || quantity === ABSENT || unit === ABSENT) return NO;
    line.ndc = digits;
  }
  if (quantity !== ABSENT) {
    if (!finiteIn(quantity, 9_999_999)) return NO;
    line.ndc_quantity = quantity;
  }
  if (unit !== ABSENT) {
    UNITS ??= new Set(NDC_UNITS);
    if (!UNITS.has(unit)) return NO;
    line.ndc_unit = unit as ClaimLine["ndc_unit"];
  }
  const rx = field(raw, "prescription_number");
  if (rx !== ABSENT) {
    if (!trimmed(rx, 1, 50)) return NO;
    line.prescription_number = rx;
  }
  const days = field(raw, "days_supply");
  if (days !== ABSENT) {
    if (!intIn(days, 1, 999)) return NO;
    line.days_supply = days;
  }
  return line;
}

/** The claim zod would produce, or undefined when zod must decide. */
export function fastClaim(doc: unknown): Claim | undefined {
  if (!isDoc(doc)) return undefined;
  const { claim_number, group_id, client_id, patient_id, status, payer, place_of_service } = doc;
  if (typeof claim_number !== "string" || !CLAIM_NUMBER.test(claim_number)) return undefined;
  if (typeof group_id !== "string" || !GROUP_ID.test(group_id)) return undefined;
  if (typeof client_id !== "string" || !CLIENT_ID.test(client_id)) return undefined;
  if (!trimmed(patient_id, 1, 80)) return undefined;
  STATUSES ??= new Set(CLAIM_STATUSES);
  if (!STATUSES.has(status)) return undefined;

  const rawVersion = doc.version;
  let version = 1;
  if (rawVersion !== undefined) {
    if (!intIn(rawVersion, 1, Number.MAX_SAFE_INTEGER)) return undefined;
    version = rawVersion;
  }
  const rawFrequency = doc.frequency_code;
  let frequency: Claim["frequency_code"] = "1";
  if (rawFrequency !== undefined) {
    if (rawFrequency === "1" || rawFrequency === 1) frequency = "1";
    else if (rawFrequency === "7" || rawFrequency === 7) frequency = "7";
    else if (rawFrequency === "8" || rawFrequency === 8) frequency = "8";
    else return undefined;
  }

  if (!validDate(doc.billing_date) || !validDate(doc.service_date)) return undefined;
  if (!isDoc(payer) || !trimmed(payer.payer_id, 2, 80) || !trimmed(payer.name, 1, Number.POSITIVE_INFINITY))
    return undefined;
  if (typeof place_of_service !== "string" || !POS.test(place_of_service)) return undefined;

  const diagnoses = doc.diagnosis_codes;
  if (!Array.isArray(diagnoses) || diagnoses.length < 1 || diagnoses.length > 12) return undefined;
  for (const d of diagnoses) if (typeof d !== "string" || !ICD10.test(d)) return undefined;

  const rawLines = doc.lines;
  if (!Array.isArray(rawLines) || rawLines.length < 1 || rawLines.length > 50) return undefined;
  const lines: ClaimLine[] = [];
  let sum = 0;
  for (const raw of rawLines) {
    const line = fastLine(raw, diagnoses.length);
    if (line === NO) return undefined;
    sum += line.charge;
    lines.push(line);
  }
  const total = toCents(doc.total_charge);
  if (!total.ok || total.cents !== sum) return undefined;

  const claim: { -readonly [K in keyof Claim]: Claim[K] } = {
    claim_number,
    group_id,
    client_id,
    patient_id,
    status: status as Claim["status"],
    version,
    frequency_code: frequency,
    billing_date: doc.billing_date,
    payer: { payer_id: payer.payer_id, name: payer.name },
    place_of_service,
    service_date: doc.service_date,
    diagnosis_codes: [...(diagnoses as string[])],
    lines,
    total_charge: total.cents,
  };
  const pccn = field(doc, "payer_claim_control_number");
  if (pccn !== ABSENT) {
    if (!trimmed(pccn, 1, 50)) return undefined;
    claim.payer_claim_control_number = pccn;
  } else if (frequency !== "1") return undefined;
  for (const key of ["created_at", "updated_at"] as const) {
    const v = field(doc, key);
    if (v === ABSENT) continue;
    if (!validDate(v)) return undefined;
    claim[key] = v;
  }
  for (const key of ["rendering_npi", "referring_npi"] as const) {
    const v = field(doc, key);
    if (v === ABSENT) continue;
    if (!npi(v)) return undefined;
    claim[key] = v;
  }
  const auth = field(doc, "prior_authorization");
  if (auth !== ABSENT) {
    if (!trimmed(auth, 1, 50)) return undefined;
    claim.prior_authorization = auth;
  }
  return claim;
}
