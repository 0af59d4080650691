// fast-check generators of raw upstream documents (what MongoDB would hand the processor):
// valid by construction, in every representation the schemas accept (money as number, string
// or Decimal128; dates as Date or ISO text; frequency as "7" or 7), so a property that fails
// points at the code, not the generator.
import fc from "fast-check";
import { Decimal128 } from "mongodb";
import { NDC_UNITS } from "../../src/domain/claim.js";
import { npiWithCheckDigit } from "../../src/domain/npi.js";

export type Doc = Record<string, unknown>;

const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS = "0123456789";
const UPPER_ALNUM = LETTERS + DIGITS;

export function stringOf(chars: string, minLength: number, maxLength: number): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...chars), minLength, maxLength });
}

export const npiArb: fc.Arbitrary<string> = stringOf(DIGITS, 9, 9).map(npiWithCheckDigit);

/** ICD-10-CM without the dot, sometimes lower-case or with the dot (the schema normalises both). */
export const icd10Arb: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...LETTERS),
    fc.constantFrom(...DIGITS),
    fc.constantFrom(...UPPER_ALNUM),
    stringOf(UPPER_ALNUM, 0, 4),
    fc.constantFrom("plain", "dot", "lower"),
  )
  .map(([a, b, c, rest, form]) => {
    const code = `${a}${b}${c}${rest}`;
    if (form === "dot" && rest.length > 0) return `${a}${b}${c}.${rest}`;
    return form === "lower" ? code.toLowerCase() : code;
  });

/** A person's name: starts with a letter, may hold spaces, apostrophes, hyphens and accents. */
export const nameArb: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...LETTERS), stringOf(`${LETTERS.toLowerCase()}${LETTERS} '-ÉÑéñü`, 0, 30))
  .map(([first, rest]) => first + rest);

/** A city the 837 can carry: N401 needs at least 2 characters. */
export const cityArb: fc.Arbitrary<string> = fc
  .tuple(nameArb, fc.constantFrom(...LETTERS))
  .map(([name, letter]) => name + letter.toLowerCase());

const dayArb = fc.integer({ min: 0, max: 40 * 365 });
const BASE_DAY = Date.UTC(1990, 0, 1);

/** A date as a Date at UTC midnight or as ISO date text. */
export const dateArb: fc.Arbitrary<Date | string> = fc.tuple(dayArb, fc.boolean()).map(([d, asText]) => {
  const date = new Date(BASE_DAY + d * 86_400_000);
  return asText ? date.toISOString().slice(0, 10) : date;
});

/** Money in every accepted representation; returns the representation and its cents. */
export function moneyArb(min: number, max: number): fc.Arbitrary<{ value: unknown; cents: number }> {
  return fc
    .tuple(fc.integer({ min, max }), fc.constantFrom("number", "string", "decimal128"))
    .map(([cents, form]) => {
      const text = (cents / 100).toFixed(2);
      const value = form === "number" ? cents / 100 : form === "string" ? text : Decimal128.fromString(text);
      return { value, cents };
    });
}

export const addressArb: fc.Arbitrary<Doc> = fc.record(
  {
    line1: fc.tuple(fc.integer({ min: 1, max: 99999 }), nameArb).map(([n, s]) => `${n} ${s}`),
    line2: fc.constantFrom("Apt 2", "Suite 100", "Unit B"),
    city: cityArb,
    state: fc.constantFrom("IL", "tx", "CA", "NY"),
    zip: fc.oneof(stringOf(DIGITS, 5, 5), stringOf(DIGITS, 9, 9), fc.constant("62701-1234")),
  },
  { requiredKeys: ["line1", "city", "state", "zip"] },
);

export const personArb: fc.Arbitrary<Doc> = fc.record(
  {
    first_name: nameArb,
    last_name: nameArb,
    middle_name: nameArb,
    dob: dateArb,
    gender: fc.constantFrom("M", "F", "U"),
    address: addressArb,
    member_id: stringOf(`${UPPER_ALNUM}-`, 2, 30),
  },
  { requiredKeys: ["first_name", "last_name", "dob", "gender", "address", "member_id"] },
);

export const patientArb: fc.Arbitrary<Doc> = fc
  .tuple(personArb, fc.option(fc.tuple(fc.constantFrom("01", "19", "20", "21", "53", "G8"), personArb)))
  .map(([person, dependent]) => ({
    patient_id: "P1",
    ...person,
    relationship_code: dependent === null ? "18" : dependent[0],
    ...(dependent === null ? {} : { subscriber: dependent[1] }),
    // Upstream sends it; the schema must drop it.
    ssn: "123-45-6789",
  }));

export const clientArb: fc.Arbitrary<Doc> = fc.record({
  client_id: fc.constant("CLIENT001"),
  name: nameArb,
  npi: npiArb,
  tax_id: fc.oneof(stringOf(DIGITS, 9, 9), fc.constant("12-3456789")),
  taxonomy_code: fc.constantFrom("3336C0003X", "207Q00000X", "261QM0801X"),
  address: addressArb,
  contact: fc.record(
    {
      name: nameArb,
      phone: fc.oneof(stringOf(DIGITS, 10, 10), fc.constant("(555) 123-4567")),
      email: fc.constantFrom("billing@example.com", "edi@clinic.example"),
    },
    { requiredKeys: ["name", "phone"] },
  ),
  submitter_id: stringOf(UPPER_ALNUM, 2, 20),
  receiver: fc.record({ id: stringOf(UPPER_ALNUM, 2, 20), name: nameArb }),
  isa: fc.record({
    sender_qualifier: fc.constantFrom("ZZ", "01", "30"),
    sender_id: stringOf(UPPER_ALNUM, 1, 15),
    receiver_qualifier: fc.constantFrom("ZZ", "01", "30"),
    receiver_id: stringOf(UPPER_ALNUM, 1, 15),
  }),
  gs: fc.record({ sender_code: stringOf(UPPER_ALNUM, 2, 15), receiver_code: stringOf(UPPER_ALNUM, 2, 15) }),
  usage_indicator: fc.constantFrom("P", "T"),
});

/** An npi record without its npi: built once, so generating many records builds no arbitraries. */
function npiBodyArb(personOnly: boolean): fc.Arbitrary<Doc> {
  return (personOnly ? fc.constant(1) : fc.constantFrom(1, 2, "1", "2")).chain(
    (entity): fc.Arbitrary<Doc> =>
      Number(entity) === 1
        ? fc.record(
            {
              entity_type: fc.constant(entity),
              first_name: nameArb,
              last_name: nameArb,
              taxonomy_code: fc.constant("207Q00000X"),
            },
            { requiredKeys: ["entity_type", "last_name"] },
          )
        : fc.record({ entity_type: fc.constant(entity), organization_name: nameArb }),
  );
}
const PERSON_BODY = npiBodyArb(true);
const ANY_BODY = npiBodyArb(false);

export const npiRecordArb = (npi: string, personOnly: boolean): fc.Arbitrary<Doc> =>
  (personOnly ? PERSON_BODY : ANY_BODY).map((body) => ({ npi, ...body }));

function lineArb(dxCount: number): fc.Arbitrary<{ doc: Doc; cents: number }> {
  return fc
    .record(
      {
        procedure_code: stringOf(UPPER_ALNUM, 5, 5),
        modifiers: fc.array(stringOf(UPPER_ALNUM, 2, 2), { maxLength: 4 }),
        units: fc.integer({ min: 1, max: 99_999_000 }).map((n) => n / 1000),
        charge: moneyArb(0, 5_000_000),
        service_date: fc.option(dateArb, { nil: undefined }),
        diagnosis_pointers: fc.uniqueArray(fc.integer({ min: 1, max: dxCount }), {
          minLength: 1,
          maxLength: Math.min(4, dxCount),
        }),
        drug: fc.option(
          fc.record(
            {
              ndc: fc.oneof(
                stringOf(DIGITS, 11, 11),
                fc
                  .tuple(stringOf(DIGITS, 5, 5), stringOf(DIGITS, 4, 4), stringOf(DIGITS, 2, 2))
                  .map((p) => p.join("-")),
              ),
              ndc_quantity: fc.integer({ min: 1, max: 9_999_000 }).map((n) => n / 1000),
              ndc_unit: fc.constantFrom(...NDC_UNITS),
              prescription_number: stringOf(UPPER_ALNUM, 1, 50),
              days_supply: fc.integer({ min: 1, max: 999 }),
            },
            { requiredKeys: ["ndc", "ndc_quantity", "ndc_unit"] },
          ),
          { nil: undefined },
        ),
      },
      {
        requiredKeys: [
          "procedure_code",
          "units",
          "charge",
          "diagnosis_pointers",
          "modifiers",
          "service_date",
          "drug",
        ],
      },
    )
    .map(({ charge, drug, service_date, ...rest }) => ({
      doc: {
        ...rest,
        charge: charge.value,
        ...(service_date === undefined ? {} : { service_date }),
        ...(drug ?? {}),
      },
      cents: charge.cents,
    }));
}

/** 1 to 6 lines pointing into 1..12 diagnoses, built once per diagnosis count. */
const LINES = Array.from({ length: 13 }, (_, n) =>
  n === 0 ? undefined : fc.array(lineArb(n), { minLength: 1, maxLength: 6 }),
);

export interface ClaimSetEntry {
  readonly claim: Doc;
  readonly patient: Doc;
  readonly npis: Doc[];
}

/** Stands for the billing provider's NPI until the claim is given a client (claimSetArb). */
const BILLING_NPI = "billing";

/** The parts of a claim drawn independently; built once (arbitraries are costly to construct). */
const CLAIM_PARTS = fc.record({
  prefix: stringOf(`${UPPER_ALNUM}-`, 1, 30),
  dx: fc.array(icd10Arb, { minLength: 1, maxLength: 12 }),
  payerId: stringOf(UPPER_ALNUM, 2, 20),
  payerName: nameArb,
  pos: stringOf(DIGITS, 2, 2),
  frequency: fc.constantFrom("1", "7", "8", 1, 7, 8),
  pcn: stringOf(`${UPPER_ALNUM}-`, 1, 50),
  priorAuth: fc.option(stringOf(UPPER_ALNUM, 1, 50), { nil: undefined }),
  billing: dateArb,
  service: dateArb,
  version: fc.integer({ min: 1, max: 1000 }),
  rendering: fc.option(fc.oneof(npiArb, fc.constant(BILLING_NPI)), { nil: undefined }),
  referring: fc.option(npiArb, { nil: undefined }),
  totalForm: fc.constantFrom("number", "string", "decimal128"),
});
const NO_RECORD = fc.constant(undefined);

type ClaimParts = typeof CLAIM_PARTS extends fc.Arbitrary<infer T> ? T : never;

function claimOf(c: ClaimParts, lines: readonly { doc: Doc; cents: number }[], n: number): Doc {
  const total = lines.reduce((s, l) => s + l.cents, 0);
  const text = (total / 100).toFixed(2);
  const totalCharge =
    c.totalForm === "number" ? total / 100 : c.totalForm === "string" ? text : Decimal128.fromString(text);
  return {
    claim_number: `${c.prefix}-${n}`,
    group_id: "GRP_001",
    client_id: "CLIENT001",
    patient_id: `P${n}`,
    status: "ready",
    version: c.version,
    frequency_code: c.frequency,
    billing_date: c.billing,
    payer: { payer_id: c.payerId, name: c.payerName },
    place_of_service: c.pos,
    service_date: c.service,
    diagnosis_codes: c.dx,
    lines: lines.map((l) => l.doc),
    total_charge: totalCharge,
    ...(String(c.frequency) === "1" ? {} : { payer_claim_control_number: c.pcn }),
    ...(c.priorAuth === undefined ? {} : { prior_authorization: c.priorAuth }),
    ...(c.rendering === undefined ? {} : { rendering_npi: c.rendering }),
    ...(c.referring === undefined ? {} : { referring_npi: c.referring }),
  };
}

/** A valid claim document alone (its rendering NPI is a real NPI, never the billing one). */
export const claimDocArb: fc.Arbitrary<Doc> = CLAIM_PARTS.chain((c) =>
  (LINES[c.dx.length] as fc.Arbitrary<{ doc: Doc; cents: number }[]>).map((lines) =>
    claimOf({ ...c, rendering: c.rendering === BILLING_NPI ? undefined : c.rendering }, lines, 0),
  ),
);

const ENTRY_PARTS = CLAIM_PARTS.chain((c) =>
  fc
    .tuple(
      LINES[c.dx.length] as fc.Arbitrary<{ doc: Doc; cents: number }[]>,
      c.rendering === undefined ? NO_RECORD : npiRecordArb(c.rendering, false),
      c.referring === undefined ? NO_RECORD : npiRecordArb(c.referring, true),
      patientArb,
    )
    .map(([lines, rendering, referring, patient]) => ({ c, lines, rendering, referring, patient })),
);

type EntryParts = typeof ENTRY_PARTS extends fc.Arbitrary<infer T> ? T : never;

/**
 * One valid claim with its patient and provider records; `n` makes the claim number unique, and
 * a rendering provider drawn as "the billing provider" takes `billingNpi`.
 */
function toEntry(
  { c, lines, rendering, referring, patient }: EntryParts,
  n: number,
  billingNpi: string,
): ClaimSetEntry {
  const own = (npi: string | undefined) => (npi === BILLING_NPI ? billingNpi : npi);
  const claim = claimOf({ ...c, rendering: own(c.rendering) }, lines, n);
  const npis = [rendering, referring]
    .filter((d): d is Doc => d !== undefined)
    .map((d) => ({ ...d, npi: own(d.npi as string) }));
  return { claim, patient: { ...patient, patient_id: `P${n}` }, npis };
}

/** 1 to `max` claims of one client. */
export function claimSetArb(max: number): fc.Arbitrary<{ client: Doc; entries: ClaimSetEntry[] }> {
  return fc
    .tuple(clientArb, fc.array(ENTRY_PARTS, { minLength: 1, maxLength: max }))
    .map(([client, parts]) => ({
      client,
      entries: parts.map((p, i) => toEntry(p, i, client.npi as string)),
    }));
}
