// Can this claim be written as an 837P without changing what it says? `checkRenderable` finds
// what the schemas allow but an X12 element cannot carry: an identifier longer than its element
// (CLM01 holds 38 characters, the claim schema allows 50), an identifier with characters the X12
// character set cannot carry faithfully, a required element that sanitising would leave empty,
// a date without a four-digit year, a quantity that rounds to zero. The pipeline dead-letters
// such claims (reason `not_renderable`). Free text is never a reason: it is cut to fit.
//
// The renderer applies the same rules (and refuses with NotRenderableError rather than emit a
// broken file), so "checkRenderable found nothing" means "render837 will not throw for it".

import type { Client } from "../domain/client.js";
import type { InputIssue } from "../domain/errors.js";
import type { JoinedClaim } from "../domain/joined-claim.js";
import type { NpiRecord } from "../domain/npi-record.js";
import type { Subscriber } from "../domain/patient.js";
import type { Address } from "../domain/schema-parts.js";
import { MAX, MIN } from "./elements.js";
import { formatQuantity, isD8Date } from "./format.js";
import { EMPTY_TEXT, identifierIssue, x12Text } from "./x12-text.js";

const BAD_DATE = "must be a date with a four-digit year";
const BAD_QUANTITY = "rounds to zero at three decimals";

type Issues = InputIssue[];

function id(out: Issues, path: string, value: string, min: number, max: number): void {
  const message = identifierIssue(value, min, max);
  if (message !== undefined) out.push({ path, message });
}

function requiredText(out: Issues, path: string, value: string, max: number): void {
  if (x12Text(value, max).length === 0) out.push({ path, message: EMPTY_TEXT });
}

function date(out: Issues, path: string, value: Date): void {
  if (!isD8Date(value)) out.push({ path, message: BAD_DATE });
}

function address(out: Issues, path: string, a: Address): void {
  requiredText(out, `${path}.line1`, a.line1, MAX.addressLine);
  requiredText(out, `${path}.city`, a.city, MAX.city);
  const city = x12Text(a.city, MAX.city);
  if (city.length > 0 && city.length < MIN.city)
    out.push({ path: `${path}.city`, message: `must keep at least ${MIN.city} characters in X12 (N401)` });
  id(out, `${path}.state`, a.state, 2, 2);
  id(out, `${path}.zip`, a.zip, 3, 15);
}

/** A person of 2010BA/2010CA: name, address, birth date; the member id only for the subscriber. */
function person(out: Issues, path: string, p: Subscriber, withMemberId: boolean): void {
  requiredText(out, `${path}.last_name`, p.last_name, MAX.nameLast);
  address(out, `${path}.address`, p.address);
  date(out, `${path}.dob`, p.dob);
  if (withMemberId) id(out, `${path}.member_id`, p.member_id, MIN.nm109, MAX.nm109);
}

function provider(
  out: Issues,
  path: string,
  npi: string,
  rec: NpiRecord | undefined,
  personOnly: boolean,
): void {
  if (rec === undefined) {
    out.push({ path, message: "npi record is missing (the enricher should have dead-lettered the claim)" });
    return;
  }
  if (rec.npi !== npi) out.push({ path: `${path}.npi`, message: "does not match the claim's NPI" });
  id(out, `${path}.npi`, rec.npi, 10, 10);
  if (rec.entity_type === 1) {
    requiredText(out, `${path}.last_name`, rec.last_name ?? "", MAX.nameLast);
  } else if (personOnly) {
    // 2310A NM102 admits "1" (person) only.
    out.push({
      path: `${path}.entity_type`,
      message: "must be 1 (person) for the referring provider loop 2310A",
    });
  } else {
    requiredText(out, `${path}.organization_name`, rec.organization_name ?? "", MAX.nameLast);
  }
  if (rec.taxonomy_code !== undefined) id(out, `${path}.taxonomy_code`, rec.taxonomy_code, 10, 10);
}

const clientCache = new WeakMap<Client, readonly InputIssue[]>();

/** Problems of the client's loops (1000A, 1000B, 2000A/2010AA, envelope ids); cached per object. */
export function checkClientRenderable(client: Client): readonly InputIssue[] {
  const cached = clientCache.get(client);
  if (cached !== undefined) return cached;
  const out: Issues = [];
  requiredText(out, "client.name", client.name, MAX.nameLast);
  id(out, "client.npi", client.npi, 10, 10);
  id(out, "client.tax_id", client.tax_id, 9, 9);
  id(out, "client.taxonomy_code", client.taxonomy_code, 10, 10);
  address(out, "client.address", client.address);
  id(out, "client.contact.phone", client.contact.phone, 10, 10);
  id(out, "client.submitter_id", client.submitter_id, MIN.nm109, MAX.nm109);
  requiredText(out, "client.receiver.name", client.receiver.name, MAX.nameLast);
  id(out, "client.receiver.id", client.receiver.id, MIN.nm109, MAX.nm109);
  id(out, "client.isa.sender_id", client.isa.sender_id, 1, MAX.isaId);
  id(out, "client.isa.receiver_id", client.isa.receiver_id, 1, MAX.isaId);
  id(out, "client.gs.sender_code", client.gs.sender_code, MIN.gsCode, MAX.gsCode);
  id(out, "client.gs.receiver_code", client.gs.receiver_code, MIN.gsCode, MAX.gsCode);
  const frozen = Object.freeze(out);
  clientCache.set(client, frozen);
  return frozen;
}

/** Every reason `render837` would refuse this claim; empty when it renders. Paths, never values. */
export function checkRenderable(j: JoinedClaim): InputIssue[] {
  const out: Issues = [...checkClientRenderable(j.client)];
  const c = j.claim;
  id(out, "claim.claim_number", c.claim_number, 1, MAX.clm01);
  id(out, "claim.payer.payer_id", c.payer.payer_id, MIN.nm109, MAX.nm109);
  requiredText(out, "claim.payer.name", c.payer.name, MAX.nameLast);
  id(out, "claim.place_of_service", c.place_of_service, 2, 2);
  date(out, "claim.service_date", c.service_date);
  if (c.prior_authorization !== undefined)
    id(out, "claim.prior_authorization", c.prior_authorization, 1, MAX.ref02);
  if (c.frequency_code === "7" || c.frequency_code === "8") {
    if (c.payer_claim_control_number === undefined)
      out.push({ path: "claim.payer_claim_control_number", message: "required for frequency_code 7 and 8" });
    else id(out, "claim.payer_claim_control_number", c.payer_claim_control_number, 1, MAX.ref02);
  }
  if (c.diagnosis_codes.length === 0 || c.diagnosis_codes.length > 12)
    out.push({ path: "claim.diagnosis_codes", message: "must hold 1 to 12 codes (one HI segment)" });
  c.diagnosis_codes.forEach((d, i) => {
    id(out, `claim.diagnosis_codes.${i}`, d, 1, 30);
  });
  if (c.lines.length === 0) out.push({ path: "claim.lines", message: "must hold at least one line" });
  c.lines.forEach((l, i) => {
    const at = `claim.lines.${i}`;
    id(out, `${at}.procedure_code`, l.procedure_code, 1, 48);
    if (l.modifiers.length > 4)
      out.push({ path: `${at}.modifiers`, message: "must hold at most 4 modifiers" });
    l.modifiers.forEach((m, k) => {
      id(out, `${at}.modifiers.${k}`, m, 2, 2);
    });
    if (formatQuantity(l.units) === "") out.push({ path: `${at}.units`, message: BAD_QUANTITY });
    if (l.service_date !== undefined) date(out, `${at}.service_date`, l.service_date);
    if (l.diagnosis_pointers.length === 0 || l.diagnosis_pointers.length > 4)
      out.push({ path: `${at}.diagnosis_pointers`, message: "must hold 1 to 4 pointers" });
    l.diagnosis_pointers.forEach((p, k) => {
      if (!Number.isInteger(p) || p < 1 || p > c.diagnosis_codes.length)
        out.push({
          path: `${at}.diagnosis_pointers.${k}`,
          message: "must point at one of the diagnosis codes",
        });
    });
    if (l.ndc !== undefined) {
      id(out, `${at}.ndc`, l.ndc, 11, 11);
      if (l.ndc_quantity === undefined || formatQuantity(l.ndc_quantity) === "")
        out.push({ path: `${at}.ndc_quantity`, message: BAD_QUANTITY });
      if (l.ndc_unit === undefined)
        out.push({ path: `${at}.ndc_unit`, message: "required when ndc is present" });
      if (l.prescription_number !== undefined)
        id(out, `${at}.prescription_number`, l.prescription_number, 1, MAX.ref02);
    }
  });

  const p = j.patient;
  const self = p.relationship_code === "18";
  if (self) person(out, "patient", p, true);
  else if (p.subscriber === undefined)
    out.push({ path: "patient.subscriber", message: "required when relationship_code is not 18 (self)" });
  else {
    person(out, "patient.subscriber", p.subscriber, true);
    person(out, "patient", p, false);
  }

  if (c.rendering_npi !== undefined && c.rendering_npi !== j.client.npi)
    provider(out, "rendering", c.rendering_npi, j.rendering, false);
  if (c.referring_npi !== undefined) provider(out, "referring", c.referring_npi, j.referring, true);
  return out;
}
