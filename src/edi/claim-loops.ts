// The loops of one claim, from its subscriber down to its drug lines:
//   2000B subscriber HL + SBR, 2010BA subscriber (NM1*IL, N3, N4, DMG), 2010BB payer (NM1*PR),
//   2000C/2010CA patient (HL, PAT, NM1*QC, N3, N4, DMG) when the patient is not the subscriber,
//   2300 claim (CLM, REF*G1, REF*F8, HI), 2310A referring (NM1*DN), 2310B rendering (NM1*82, PRV),
//   2400 lines (LX, SV1, DTP*472), 2410 drug (LIN, CTP, REF*XZ).
// Each claim gets its own 2000B: claims never share a subscriber loop, so one claim's data can
// never leak into another's and HL numbering stays a simple count.
import type { Claim, ClaimLine } from "../domain/claim.js";
import type { JoinedClaim } from "../domain/joined-claim.js";
import { formatCents } from "../domain/money.js";
import type { NpiRecord } from "../domain/npi-record.js";
import type { Subscriber } from "../domain/patient.js";
import type { Address } from "../domain/schema-parts.js";
import { MAX, MIN } from "./elements.js";
import { formatDate8, formatQuantity, isD8Date } from "./format.js";
import { NotRenderableError } from "./render-errors.js";
import { checkRenderable } from "./renderable.js";
import type { SegmentWriter } from "./segment-writer.js";
import { x12Id, x12Text } from "./x12-text.js";

/** SBR09: every claim is filed as commercial insurance (CI); see the module notes in render.ts. */
const CLAIM_FILING_INDICATOR = "CI";

/**
 * Thrown from deep inside a claim; the message is built from `checkRenderable`, so the caller
 * learns every problem at once, and a disagreement between the two is reported, not hidden.
 */
function refuse(j: JoinedClaim): never {
  const issues = checkRenderable(j);
  throw new NotRenderableError(
    j.claim.claim_number,
    issues.length > 0
      ? issues
      : [{ path: "", message: "refused by the renderer although checkRenderable accepts it (a bug)" }],
  );
}

/** Per-claim helpers that refuse instead of writing an element the claim cannot fill. */
class ClaimFields {
  constructor(readonly j: JoinedClaim) {}

  id(value: string, min: number, max: number): string {
    return x12Id(value, min, max) ?? refuse(this.j);
  }

  required(value: string, max: number, min = 1): string {
    const t = x12Text(value, max);
    return t.length >= min ? t : refuse(this.j);
  }

  optional(value: string | undefined, max: number): string {
    return value === undefined ? "" : x12Text(value, max);
  }

  date(d: Date): string {
    return isD8Date(d) ? formatDate8(d) : refuse(this.j);
  }

  quantity(n: number | undefined): string {
    const q = n === undefined ? "" : formatQuantity(n);
    return q.length > 0 ? q : refuse(this.j);
  }
}

function writeAddress(w: SegmentWriter, f: ClaimFields, a: Address): void {
  const line2 = f.optional(a.line2, MAX.addressLine);
  w.add(`N3*${f.required(a.line1, MAX.addressLine)}*${line2}`);
  w.add(`N4*${f.required(a.city, MAX.city, MIN.city)}*${f.id(a.state, 2, 2)}*${f.id(a.zip, 3, 15)}`);
}

function personName(f: ClaimFields, p: Subscriber): string {
  return (
    `${f.required(p.last_name, MAX.nameLast)}*${x12Text(p.first_name, MAX.nameFirst)}` +
    `*${f.optional(p.middle_name, MAX.nameMiddle)}`
  );
}

/** NM1*DN / NM1*82 for a provider from the npi collection. */
function providerName(f: ClaimFields, entity: string, rec: NpiRecord | undefined, npi: string): string {
  if (rec === undefined || rec.npi !== npi) return refuse(f.j);
  const id = f.id(rec.npi, 10, 10);
  if (rec.entity_type === 2) {
    return `NM1*${entity}*2*${f.required(rec.organization_name ?? "", MAX.nameLast)}*****XX*${id}`;
  }
  const first = x12Text(rec.first_name ?? "", MAX.nameFirst);
  return `NM1*${entity}*1*${f.required(rec.last_name ?? "", MAX.nameLast)}*${first}****XX*${id}`;
}

function writeLine(w: SegmentWriter, f: ClaimFields, c: Claim, l: ClaimLine, n: number): void {
  w.add(`LX*${n}`);
  let procedure = `HC:${f.id(l.procedure_code, 1, 48)}`;
  if (l.modifiers.length > 4) refuse(f.j);
  for (const m of l.modifiers) procedure += `:${f.id(m, 2, 2)}`;
  let pointers = "";
  if (l.diagnosis_pointers.length === 0 || l.diagnosis_pointers.length > 4) refuse(f.j);
  for (const p of l.diagnosis_pointers) {
    if (!Number.isInteger(p) || p < 1 || p > c.diagnosis_codes.length) refuse(f.j);
    pointers += pointers.length === 0 ? String(p) : `:${p}`;
  }
  w.add(`SV1*${procedure}*${formatCents(l.charge)}*UN*${f.quantity(l.units)}***${pointers}`);
  w.add(`DTP*472*D8*${f.date(l.service_date ?? c.service_date)}`);
  if (l.ndc !== undefined) {
    w.add(`LIN**N4*${f.id(l.ndc, 11, 11)}`);
    if (l.ndc_unit === undefined) refuse(f.j);
    w.add(`CTP****${f.quantity(l.ndc_quantity)}*${l.ndc_unit}`);
    if (l.prescription_number !== undefined) w.add(`REF*XZ*${f.id(l.prescription_number, 1, MAX.ref02)}`);
  }
}

/**
 * Writes every loop of one claim, numbering its HL segments from `hl`; returns the next free HL
 * number. `billingNpi` decides whether a rendering provider loop is needed.
 */
export function writeClaim(w: SegmentWriter, j: JoinedClaim, hl: number, billingNpi: string): number {
  const f = new ClaimFields(j);
  const c = j.claim;
  const p = j.patient;
  const self = p.relationship_code === "18";
  const sub = self ? p : p.subscriber;
  if (sub === undefined) refuse(j);

  // 2000B / 2010BA / 2010BB
  w.add(`HL*${hl}*1*22*${self ? "0" : "1"}`);
  w.add(self ? `SBR*P*18*******${CLAIM_FILING_INDICATOR}` : `SBR*P********${CLAIM_FILING_INDICATOR}`);
  w.add(`NM1*IL*1*${personName(f, sub)}***MI*${f.id(sub.member_id, MIN.nm109, MAX.nm109)}`);
  writeAddress(w, f, sub.address);
  w.add(`DMG*D8*${f.date(sub.dob)}*${sub.gender}`);
  const payerName = f.required(c.payer.name, MAX.nameLast);
  w.add(`NM1*PR*2*${payerName}*****PI*${f.id(c.payer.payer_id, MIN.nm109, MAX.nm109)}`);

  // 2000C / 2010CA
  let next = hl + 1;
  if (!self) {
    w.add(`HL*${next}*${hl}*23*0`);
    next++;
    w.add(`PAT*${p.relationship_code}`);
    w.add(`NM1*QC*1*${personName(f, p)}`);
    writeAddress(w, f, p.address);
    w.add(`DMG*D8*${f.date(p.dob)}*${p.gender}`);
  }

  // 2300
  const clm01 = f.id(c.claim_number, 1, MAX.clm01);
  const pos = f.id(c.place_of_service, 2, 2);
  w.add(`CLM*${clm01}*${formatCents(c.total_charge)}***${pos}:B:${c.frequency_code}*Y*A*Y*Y`);
  if (c.prior_authorization !== undefined) w.add(`REF*G1*${f.id(c.prior_authorization, 1, MAX.ref02)}`);
  if (c.frequency_code === "7" || c.frequency_code === "8") {
    w.add(`REF*F8*${f.id(c.payer_claim_control_number ?? "", 1, MAX.ref02)}`);
  }
  const dx = c.diagnosis_codes;
  if (dx.length === 0 || dx.length > 12) refuse(j);
  let hi = `HI*ABK:${f.id(dx[0] as string, 1, 30)}`;
  for (let i = 1; i < dx.length; i++) hi += `*ABF:${f.id(dx[i] as string, 1, 30)}`;
  w.add(hi);

  // 2310A referring, 2310B rendering (only when it is not the billing provider itself)
  if (c.referring_npi !== undefined) {
    if (j.referring?.entity_type !== 1) refuse(j);
    w.add(providerName(f, "DN", j.referring, c.referring_npi));
  }
  if (c.rendering_npi !== undefined && c.rendering_npi !== billingNpi) {
    w.add(providerName(f, "82", j.rendering, c.rendering_npi));
    const taxonomy = j.rendering?.taxonomy_code;
    if (taxonomy !== undefined) w.add(`PRV*PE*PXC*${f.id(taxonomy, 10, 10)}`);
  }

  // 2400 / 2410
  if (c.lines.length === 0) refuse(j);
  for (let i = 0; i < c.lines.length; i++) writeLine(w, f, c, c.lines[i] as ClaimLine, i + 1);
  return next;
}
