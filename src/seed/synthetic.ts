// Deterministic synthetic data for demos, tests and benchmarks: realistic shapes that pass the
// schemas (valid NPIs, ICD-10 codes, balanced totals), with a few deliberate variations
// (dependents, drug lines, replacements). Pure: the caller supplies the seed and the clock.
import { npiWithCheckDigit } from "../domain/npi.js";

export interface SyntheticOptions {
  readonly claims: number;
  readonly groups: number;
  readonly clients: number;
  readonly seed?: number;
  readonly now: Date;
  /** Prefix for claim numbers so separate seeding runs never collide. */
  readonly claimPrefix?: string;
  /** Status of generated claims (default "ready"). */
  readonly status?: "ready" | "draft";
}

export interface SyntheticData {
  readonly clients: Record<string, unknown>[];
  readonly npis: Record<string, unknown>[];
  readonly patients: Record<string, unknown>[];
  readonly claims: Record<string, unknown>[];
}

/** mulberry32: tiny, fast, good enough for test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = [
  "JOHN",
  "MARIA",
  "WEI",
  "AISHA",
  "CARLOS",
  "EMMA",
  "OLUWASEUN",
  "SOFIA",
  "LIAM",
  "NOAH",
  "ZOE",
];
const LAST = [
  "SMITH",
  "GARCIA",
  "CHEN",
  "OKAFOR",
  "MULLER",
  "NGUYEN",
  "IBANEZ",
  "JOHNSON",
  "PATEL",
  "KOWALSKI",
];
const CITIES: [string, string, string][] = [
  ["SPRINGFIELD", "IL", "62701"],
  ["AUSTIN", "TX", "73301"],
  ["DENVER", "CO", "80202"],
  ["PORTLAND", "OR", "97201"],
  ["MIAMI", "FL", "33101"],
];
const STREETS = ["MAIN ST", "OAK AVE", "PINE RD", "MAPLE DR", "CEDAR LN", "ELM ST"];
const ICD = [
  "E119",
  "I10",
  "J069",
  "M545",
  "Z0000",
  "R05",
  "E785",
  "F419",
  "K219",
  "N390",
  "S0990XA",
  "Z79899",
];
const CPT = ["99213", "99214", "99203", "81002", "85025", "36415", "J3420", "90471", "93000", "J1100"];
const PAYERS: [string, string][] = [
  ["60054", "AETNA"],
  ["87726", "UNITEDHEALTHCARE"],
  ["62308", "CIGNA"],
  ["00431", "MEDICARE PART B"],
];
const MODS = ["25", "59", "GT", "95", "LT", "RT"];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)] as T;
}

function digits(r: () => number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += Math.floor(r() * 10);
  return s;
}

function address(r: () => number) {
  const [city, state, zip] = pick(r, CITIES);
  return { line1: `${100 + Math.floor(r() * 9800)} ${pick(r, STREETS)}`, city, state, zip };
}

export function clientId(i: number): string {
  return `CLIENT${String(i + 1).padStart(3, "0")}`;
}

export function groupId(i: number): string {
  return `GRP_${String(i + 1).padStart(3, "0")}`;
}

export function makeClient(i: number, r: () => number): Record<string, unknown> {
  const id = clientId(i);
  return {
    client_id: id,
    name: `${pick(r, LAST)} FAMILY PHARMACY ${i + 1}`,
    npi: npiWithCheckDigit(`1${digits(r, 8)}`),
    tax_id: digits(r, 9),
    taxonomy_code: "3336C0003X",
    address: address(r),
    contact: { name: "BILLING OFFICE", phone: `555${digits(r, 7)}`, email: "billing@example.com" },
    submitter_id: `SUB${String(i + 1).padStart(5, "0")}`,
    receiver: { id: "CLEARINGHOUSE01", name: "ACME CLEARINGHOUSE" },
    isa: {
      sender_qualifier: "ZZ",
      sender_id: `SENDER${i + 1}`,
      receiver_qualifier: "ZZ",
      receiver_id: "ACMECH",
    },
    gs: { sender_code: `SENDER${i + 1}`, receiver_code: "ACMECH" },
    usage_indicator: "T",
  };
}

export function makeNpi(i: number, r: () => number): Record<string, unknown> {
  const person = i % 4 !== 3;
  return person
    ? {
        npi: npiWithCheckDigit(`1${String(10_000_000 + i).padStart(8, "0")}`),
        entity_type: 1,
        first_name: pick(r, FIRST),
        last_name: pick(r, LAST),
        taxonomy_code: "207Q00000X",
      }
    : {
        npi: npiWithCheckDigit(`1${String(10_000_000 + i).padStart(8, "0")}`),
        entity_type: 2,
        organization_name: `${pick(r, LAST)} MEDICAL GROUP`,
      };
}

function person(r: () => number, now: Date) {
  const age = 1 + Math.floor(r() * 85);
  const dob = new Date(Date.UTC(now.getUTCFullYear() - age, Math.floor(r() * 12), 1 + Math.floor(r() * 28)));
  return {
    first_name: pick(r, FIRST),
    last_name: pick(r, LAST),
    dob,
    gender: pick(r, ["M", "F", "U"] as const),
    address: address(r),
    member_id: `M${digits(r, 10)}`,
  };
}

export function makePatient(patientId: string, r: () => number, now: Date): Record<string, unknown> {
  const self = r() < 0.75;
  const p: Record<string, unknown> = {
    patient_id: patientId,
    ...person(r, now),
    relationship_code: self ? "18" : pick(r, ["01", "19", "20"]),
    ssn: `${digits(r, 3)}-${digits(r, 2)}-${digits(r, 4)}`,
  };
  if (!self) p.subscriber = person(r, now);
  return p;
}

export function makeClaim(
  claimNumber: string,
  ctx: { group: string; client: string; patientId: string; npis: string[]; now: Date },
  r: () => number,
): Record<string, unknown> {
  const nLines = 1 + Math.floor(r() * 4);
  const nDx = 1 + Math.floor(r() * 4);
  const dx = Array.from({ length: nDx }, () => pick(r, ICD));
  const serviceDate = new Date(ctx.now.getTime() - Math.floor(r() * 30) * 86_400_000);
  serviceDate.setUTCHours(0, 0, 0, 0);
  let total = 0;
  const lines = Array.from({ length: nLines }, (_, i) => {
    const cents = 500 + Math.floor(r() * 50_000);
    total += cents;
    const drug = r() < 0.2;
    const line: Record<string, unknown> = {
      procedure_code: drug ? "J3490" : pick(r, CPT),
      modifiers: r() < 0.3 ? [pick(r, MODS)] : [],
      units: 1 + Math.floor(r() * 3),
      charge: (cents / 100).toFixed(2),
      diagnosis_pointers: [1 + (i % nDx)],
    };
    if (drug) {
      line.ndc = digits(r, 11);
      line.ndc_quantity = 1 + Math.floor(r() * 90);
      line.ndc_unit = pick(r, ["UN", "ML", "GR"] as const);
      line.prescription_number = `RX${digits(r, 7)}`;
      line.days_supply = 30;
    }
    return line;
  });
  const [payerId, payerName] = pick(r, PAYERS);
  const claim: Record<string, unknown> = {
    claim_number: claimNumber,
    group_id: ctx.group,
    client_id: ctx.client,
    patient_id: ctx.patientId,
    status: "ready",
    version: 1,
    frequency_code: "1",
    billing_date: ctx.now,
    created_at: ctx.now,
    updated_at: ctx.now,
    payer: { payer_id: payerId, name: payerName },
    place_of_service: pick(r, ["11", "01", "12", "22"]),
    service_date: serviceDate,
    diagnosis_codes: dx,
    lines,
    total_charge: (total / 100).toFixed(2),
  };
  if (ctx.npis.length > 0 && r() < 0.6) claim.rendering_npi = pick(r, ctx.npis);
  if (r() < 0.2) claim.prior_authorization = `PA${digits(r, 8)}`;
  return claim;
}

/** A complete consistent data set: every claim references an existing patient, client and NPI. */
export function generate(opts: SyntheticOptions): SyntheticData {
  const r = prng(opts.seed ?? 42);
  const clients = Array.from({ length: opts.clients }, (_, i) => makeClient(i, r));
  const npis = Array.from({ length: 20 }, (_, i) => makeNpi(i, r));
  const npiIds = npis.map((n) => n.npi as string);
  const prefix = opts.claimPrefix ?? "CLM";
  const patients: Record<string, unknown>[] = [];
  const claims: Record<string, unknown>[] = [];
  for (let i = 0; i < opts.claims; i++) {
    const patientId = `P${prefix}${String(i).padStart(7, "0")}`;
    patients.push(makePatient(patientId, r, opts.now));
    const claim = makeClaim(
      `${prefix}-${String(i).padStart(8, "0")}`,
      {
        group: groupId(i % opts.groups),
        client: clientId(Math.floor(i / opts.groups) % opts.clients),
        patientId,
        npis: npiIds,
        now: opts.now,
      },
      r,
    );
    if (opts.status) claim.status = opts.status;
    claims.push(claim);
  }
  return { clients, npis, patients, claims };
}

/**
 * Claims that must end in dead_letters, one per failure class, for the demo and tests:
 * a missing patient, a bad NPI check digit, a total that does not add up, an unsafe key,
 * a replacement without the payer's claim number, an unknown client.
 */
export function makeInvalidClaims(base: Record<string, unknown>, prefix: string): Record<string, unknown>[] {
  // The driver adds `_id` to inserted documents: never copy it, each variant is a new document.
  const { _id, ...rest } = base;
  const variant = (suffix: string, patch: Record<string, unknown>) => ({
    ...structuredClone(rest),
    claim_number: `${prefix}-${suffix}`,
    ...patch,
  });
  return [
    variant("NOPATIENT", { patient_id: `${prefix}-GHOST` }),
    variant("BADNPI", { rendering_npi: "1234567890" }),
    variant("BADTOTAL", { total_charge: "999999.99" }),
    variant("UNSAFEKEY", { payer: { payer_id: "60054", name: "AETNA", "ext.note": "x" } }),
    variant("NOPCCN", { frequency_code: "7" }),
    variant("NOCLIENT", { client_id: "CLIENT999" }),
  ];
}
