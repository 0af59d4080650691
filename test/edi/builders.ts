// Test documents for the renderer: raw documents (as upstream would store them), parsed by the
// real domain parsers and joined the way the enricher joins them.
import type { Client } from "../../src/domain/client.js";
import { parseClaim, parseClient, parseNpiRecord, parsePatient } from "../../src/domain/index.js";
import type { JoinedClaim } from "../../src/domain/joined-claim.js";
import type { NpiRecord } from "../../src/domain/npi-record.js";
import type { ParseResult } from "../../src/domain/schema-parts.js";
import type { RenderBatch } from "../../src/edi/render.js";
import type { SyntheticData } from "../../src/seed/synthetic.js";

export type Doc = Record<string, unknown>;

export const CREATED_AT = new Date("2026-03-14T15:09:26Z");
export const BILLING_NPI = "1234567893";
export const RENDERING_NPI = "1245319599";
export const REFERRING_NPI = "1003000126";

export function must<T>(r: ParseResult<T>, what: string): T {
  if (!r.ok) throw new Error(`test ${what} does not parse: ${JSON.stringify(r.issues)}`);
  return r.value;
}

export function clientDoc(over: Doc = {}): Doc {
  return {
    client_id: "CLIENT001",
    name: "Sunrise Family Pharmacy",
    npi: BILLING_NPI,
    tax_id: "12-3456789",
    taxonomy_code: "3336C0003X",
    address: { line1: "100 Main St", line2: "Suite 2", city: "Springfield", state: "IL", zip: "62701-1234" },
    contact: { name: "Billing Office", phone: "(555) 123-4567", email: "billing@sunrise.example" },
    submitter_id: "SUB00001",
    receiver: { id: "CLEARINGHOUSE01", name: "Acme Clearinghouse" },
    isa: { sender_qualifier: "ZZ", sender_id: "SUNRISE", receiver_qualifier: "ZZ", receiver_id: "ACMECH" },
    gs: { sender_code: "SUNRISE", receiver_code: "ACMECH" },
    usage_indicator: "T",
    ...over,
  };
}

export function personDoc(over: Doc = {}): Doc {
  return {
    first_name: "Jane",
    last_name: "Doe",
    dob: "1980-02-29",
    gender: "F",
    address: { line1: "12 Oak Ave", city: "Austin", state: "TX", zip: "73301" },
    member_id: "M123456789",
    ...over,
  };
}

export function patientDoc(over: Doc = {}): Doc {
  return { patient_id: "P1", ...personDoc(), relationship_code: "18", ...over };
}

/** A child whose parent is the subscriber. */
export function dependentDoc(over: Doc = {}): Doc {
  return patientDoc({
    first_name: "Timmy",
    middle_name: "J",
    dob: "2015-06-01",
    gender: "M",
    member_id: "M123456789-02",
    relationship_code: "19",
    subscriber: personDoc(),
    ...over,
  });
}

export function lineDoc(over: Doc = {}): Doc {
  return {
    procedure_code: "99213",
    modifiers: [],
    units: 1,
    charge: "125.00",
    diagnosis_pointers: [1],
    ...over,
  };
}

export function claimDoc(over: Doc = {}): Doc {
  const lines = (over.lines as Doc[] | undefined) ?? [lineDoc()];
  const total = lines.reduce((s, l) => s + Math.round(Number(l.charge) * 100), 0);
  return {
    claim_number: "CLM-0001",
    group_id: "GRP_001",
    client_id: "CLIENT001",
    patient_id: "P1",
    status: "ready",
    version: 1,
    frequency_code: "1",
    billing_date: "2026-03-14T00:00:00Z",
    payer: { payer_id: "60054", name: "Aetna" },
    place_of_service: "11",
    service_date: "2026-03-10",
    diagnosis_codes: ["E119"],
    total_charge: (total / 100).toFixed(2),
    ...over,
    lines,
  };
}

export function npiDoc(npi: string, over: Doc = {}): Doc {
  return {
    npi,
    entity_type: 1,
    first_name: "Gregory",
    last_name: "House",
    taxonomy_code: "207Q00000X",
    ...over,
  };
}

export interface JoinInput {
  readonly claim?: Doc;
  readonly patient?: Doc;
  readonly client?: Doc;
  readonly npis?: readonly Doc[];
}

/** Parses and joins documents exactly as the pipeline would; throws when a document is invalid. */
export function joined(input: JoinInput = {}, clientValue?: Client): JoinedClaim {
  const claim = must(parseClaim(input.claim ?? claimDoc()), "claim");
  const patient = must(parsePatient(input.patient ?? patientDoc()), "patient");
  const client = clientValue ?? must(parseClient(input.client ?? clientDoc()), "client");
  const npis = new Map<string, NpiRecord>();
  for (const d of input.npis ?? []) {
    const n = must(parseNpiRecord(d), "npi");
    npis.set(n.npi, n);
  }
  const rendering = claim.rendering_npi === undefined ? undefined : npis.get(claim.rendering_npi);
  const referring = claim.referring_npi === undefined ? undefined : npis.get(claim.referring_npi);
  return {
    claim,
    patient,
    client,
    ...(rendering === undefined ? {} : { rendering }),
    ...(referring === undefined ? {} : { referring }),
  };
}

export function batchOf(claims: readonly JoinedClaim[], over: Partial<RenderBatch> = {}): RenderBatch {
  const first = claims[0];
  if (first === undefined) throw new Error("batchOf needs at least one claim");
  return { batchId: "B0001", client: first.client, claims, controlNumber: 1, createdAt: CREATED_AT, ...over };
}

/** Joins synthetic data per client, in claim order (what the enricher would produce). */
export function joinSynthetic(data: SyntheticData): Map<string, JoinedClaim[]> {
  const clients = new Map<string, Client>();
  for (const d of data.clients) {
    const c = must(parseClient(d), "synthetic client");
    clients.set(c.client_id, c);
  }
  const npis = new Map<string, NpiRecord>();
  for (const d of data.npis) {
    const n = must(parseNpiRecord(d), "synthetic npi");
    npis.set(n.npi, n);
  }
  const patients = new Map(
    data.patients.map((d) => {
      const p = must(parsePatient(d), "synthetic patient");
      return [p.patient_id, p] as const;
    }),
  );
  const out = new Map<string, JoinedClaim[]>();
  for (const d of data.claims) {
    const claim = must(parseClaim(d), "synthetic claim");
    const client = clients.get(claim.client_id);
    const patient = patients.get(claim.patient_id);
    if (client === undefined || patient === undefined) throw new Error("synthetic data is inconsistent");
    const rendering = claim.rendering_npi === undefined ? undefined : npis.get(claim.rendering_npi);
    const j: JoinedClaim = { claim, patient, client, ...(rendering === undefined ? {} : { rendering }) };
    const list = out.get(client.client_id) ?? [];
    list.push(j);
    out.set(client.client_id, list);
  }
  return out;
}

/** Payers used across the golden files (payer id, name). */
export const PAYERS: readonly (readonly [string, string])[] = [
  ["60054", "Aetna"],
  ["87726", "UnitedHealthcare"],
  ["62308", "Cigna"],
  ["00431", "Medicare Part B"],
  ["BCBSIL", "Blue Cross Blue Shield of Illinois"],
];

const FIRST_NAMES = ["Ana", "Ben", "Chloe", "Dmitri", "Elif", "Farah", "Goran", "Hiro", "Ines", "Jamal"];
const LAST_NAMES = [
  "Alvarez",
  "Brown",
  "Chen",
  "Dubois",
  "Eze",
  "Fischer",
  "Gupta",
  "Haddad",
  "Ito",
  "Jones",
];
const PROCEDURES = ["99213", "99214", "85025", "36415", "81002", "93000", "90471", "J3420"];
const DIAGNOSES = ["E119", "I10", "J069", "M545", "R05", "E785", "F419", "K219", "N390", "Z79899"];

/**
 * Claim `i` of the 100-claim golden batch: every choice is a pure function of `i`, so the batch is
 * the same on every run without a random generator. It mixes payers, dependents, modifiers,
 * several lines, drug lines, rendering providers, prior authorizations, replacements and voids.
 */
export function batchClaim(i: number): JoinInput {
  const n = String(i + 1).padStart(4, "0");
  const [payerId, payerName] = PAYERS[i % PAYERS.length] as readonly [string, string];
  const dxCount = 1 + (i % 4);
  const diagnoses = Array.from(
    { length: dxCount },
    (_, k) => DIAGNOSES[(i + k) % DIAGNOSES.length] as string,
  );
  const lineCount = 1 + (i % 3);
  const lines = Array.from({ length: lineCount }, (_, k) => {
    const drug = i % 10 === 3 && k === 0;
    return lineDoc({
      procedure_code: drug ? "J3490" : (PROCEDURES[(i + k) % PROCEDURES.length] as string),
      modifiers: (i + k) % 6 === 0 ? ["25"] : (i + k) % 11 === 0 ? ["59", "RT"] : [],
      units: 1 + ((i + k) % 3),
      charge: (((i * 37 + k * 113) % 900) + 25 + (k % 2) * 0.5).toFixed(2),
      diagnosis_pointers: [1 + (k % dxCount)],
      ...(k === 1 ? { service_date: "2026-03-11" } : {}),
      ...(drug
        ? { ndc: "00002-1433-80", ndc_quantity: 30, ndc_unit: "UN", prescription_number: `RX${n}` }
        : {}),
    });
  });
  const dependent = i % 3 === 1;
  const frequency = i % 25 === 24 ? "8" : i % 25 === 12 ? "7" : "1";
  const subscriber = personDoc({
    first_name: FIRST_NAMES[i % FIRST_NAMES.length],
    last_name: LAST_NAMES[(i * 3) % LAST_NAMES.length],
    member_id: `MBR${n}`,
  });
  const patient = dependent
    ? patientDoc({
        patient_id: `P${n}`,
        first_name: FIRST_NAMES[(i + 5) % FIRST_NAMES.length],
        last_name: subscriber.last_name,
        dob: "2012-07-15",
        gender: "U",
        member_id: `MBR${n}-01`,
        relationship_code: i % 2 === 0 ? "01" : "19",
        subscriber,
      })
    : patientDoc({ patient_id: `P${n}`, ...subscriber });
  return {
    claim: claimDoc({
      claim_number: `B100-${n}`,
      patient_id: `P${n}`,
      payer: { payer_id: payerId, name: payerName },
      place_of_service: i % 4 === 0 ? "12" : "11",
      diagnosis_codes: diagnoses,
      frequency_code: frequency,
      ...(frequency === "1" ? {} : { payer_claim_control_number: `PCN${n}` }),
      ...(i % 5 === 2 ? { rendering_npi: RENDERING_NPI } : {}),
      ...(i % 7 === 3 ? { prior_authorization: `PA-${n}` } : {}),
      lines,
    }),
    patient,
    npis: [npiDoc(RENDERING_NPI)],
  };
}

/** What `fn` throws; fails the test when it returns instead. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}
