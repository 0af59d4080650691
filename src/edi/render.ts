// The 837 Professional (005010X222A1) renderer: one batch of one client's claims → one file of
// one interchange (ISA/IEA), one functional group (GS/GE) and one transaction (ST/SE):
//
//   ISA GS ST BHT
//   1000A submitter  NM1*41, PER*IC (TE, optional EM)
//   1000B receiver   NM1*40
//   2000A billing    HL*1**20*1, PRV*BI*PXC
//   2010AA           NM1*85 (XX npi), N3, N4, REF*EI
//   per claim        2000B … 2410 (claim-loops.ts)
//   SE GE IEA
//
// Pure and deterministic: no clock (the caller passes createdAt), no I/O, the same batch always
// renders the same bytes. Data rules (SPEC section 3) live in x12-text.ts; segments end with
// "~\n" (segment-writer.ts). Choices a reader may look for:
//   - ST02 is always 0001: a file holds exactly one transaction; GS06 and ISA13 carry the
//     control number that makes the file unique.
//   - ISA14 = 0: no TA1 acknowledgement is requested (the 999 is what clearinghouses send).
//   - SBR01 = P and SBR09 = CI for every claim: the documents carry no payer sequence or filing
//     indicator. Guessing Medicare (MB) from a payer name would be wrong more often than right.
//   - REF*G1 precedes REF*F8, the order of the 2300 loop in the implementation guide.
import type { Client } from "../domain/client.js";
import type { JoinedClaim } from "../domain/joined-claim.js";
import { writeClaim } from "./claim-loops.js";
import { MAX, MIN } from "./elements.js";
import { formatDate6, formatDate8, formatTime4, isD8Date, padRight, zeroPad } from "./format.js";
import { NotRenderableError, RenderBatchError } from "./render-errors.js";
import { checkClientRenderable } from "./renderable.js";
import { SegmentWriter } from "./segment-writer.js";
import { x12Id, x12Text } from "./x12-text.js";

export const IMPLEMENTATION_GUIDE = "005010X222A1";
export const MAX_CONTROL_NUMBER = 999_999_999;
/** ST02 of every file we write (one transaction set per file): what a 999 answers in AK202. */
export const TRANSACTION_CONTROL_NUMBER = "0001";

export interface RenderBatch {
  /** BHT03: a short reference of this batch (at most 30 characters). */
  readonly batchId: string;
  /** The billing provider and its envelope settings. */
  readonly client: Client;
  /** All claims of the batch; each must belong to `client`. */
  readonly claims: readonly JoinedClaim[];
  /** ISA13 (9 digits, zero-padded) and GS06 (the same number), from edi_counters. */
  readonly controlNumber: number;
  /** ISA09/ISA10, GS04/GS05, BHT04/BHT05, written in UTC. */
  readonly createdAt: Date;
}

/** The client's parts of the file, sanitised once per batch. */
function clientSegments(client: Client): string[] | undefined {
  const name = x12Text(client.name, MAX.nameLast);
  const submitterId = x12Id(client.submitter_id, MIN.nm109, MAX.nm109);
  const receiverName = x12Text(client.receiver.name, MAX.nameLast);
  const receiverId = x12Id(client.receiver.id, MIN.nm109, MAX.nm109);
  const npi = x12Id(client.npi, 10, 10);
  const taxId = x12Id(client.tax_id, 9, 9);
  const taxonomy = x12Id(client.taxonomy_code, 10, 10);
  const phone = x12Id(client.contact.phone, 10, 10);
  const a = client.address;
  const line1 = x12Text(a.line1, MAX.addressLine);
  const city = x12Text(a.city, MAX.city);
  const state = x12Id(a.state, 2, 2);
  const zip = x12Id(a.zip, 3, 15);
  if (
    name === "" ||
    receiverName === "" ||
    line1 === "" ||
    city.length < MIN.city ||
    submitterId === undefined ||
    receiverId === undefined ||
    npi === undefined ||
    taxId === undefined ||
    taxonomy === undefined ||
    phone === undefined ||
    state === undefined ||
    zip === undefined
  ) {
    return undefined;
  }
  const contact = x12Text(client.contact.name, MAX.contactName);
  const email = client.contact.email === undefined ? "" : x12Text(client.contact.email, MAX.communication);
  const line2 = a.line2 === undefined ? "" : x12Text(a.line2, MAX.addressLine);
  return [
    `NM1*41*2*${name}*****46*${submitterId}`,
    email === "" ? `PER*IC*${contact}*TE*${phone}` : `PER*IC*${contact}*TE*${phone}*EM*${email}`,
    `NM1*40*2*${receiverName}*****46*${receiverId}`,
    "HL*1**20*1",
    `PRV*BI*PXC*${taxonomy}`,
    `NM1*85*2*${name}*****XX*${npi}`,
    `N3*${line1}*${line2}`,
    `N4*${city}*${state}*${zip}`,
    `REF*EI*${taxId}`,
  ];
}

function checkBatch(batch: RenderBatch): void {
  const n = batch.controlNumber;
  if (!Number.isInteger(n) || n < 1 || n > MAX_CONTROL_NUMBER)
    throw new RenderBatchError(`control number must be an integer from 1 to ${MAX_CONTROL_NUMBER}`);
  if (
    !(batch.createdAt instanceof Date) ||
    Number.isNaN(batch.createdAt.getTime()) ||
    !isD8Date(batch.createdAt)
  )
    throw new RenderBatchError("createdAt must be a valid date with a four-digit year");
  if (x12Id(batch.batchId, 1, MAX.bht03) === undefined)
    throw new RenderBatchError(`batchId must be 1 to ${MAX.bht03} plain ASCII characters without delimiters`);
  if (batch.claims.length === 0) throw new RenderBatchError("a batch needs at least one claim");
  // CLM01 must be unique within a file: two versions of one claim belong in two files.
  const numbers = new Set<string>();
  for (const j of batch.claims) {
    if (j.client.client_id !== batch.client.client_id || j.claim.client_id !== batch.client.client_id)
      throw new RenderBatchError("every claim of a batch must belong to the batch's client");
    if (numbers.has(j.claim.claim_number))
      throw new RenderBatchError(
        "a claim number appears twice in one batch (CLM01 must be unique in a file)",
      );
    numbers.add(j.claim.claim_number);
  }
}

/** Renders one batch as an 837P file. Throws NotRenderableError / RenderBatchError, never emits a broken file. */
export function render837(batch: RenderBatch): string {
  checkBatch(batch);
  const client = batch.client;
  const header = clientSegments(client);
  if (header === undefined) throw new NotRenderableError(undefined, checkClientRenderable(client));
  const isaSender = x12Id(client.isa.sender_id, 1, MAX.isaId);
  const isaReceiver = x12Id(client.isa.receiver_id, 1, MAX.isaId);
  const gsSender = x12Id(client.gs.sender_code, MIN.gsCode, MAX.gsCode);
  const gsReceiver = x12Id(client.gs.receiver_code, MIN.gsCode, MAX.gsCode);
  if (
    isaSender === undefined ||
    isaReceiver === undefined ||
    gsSender === undefined ||
    gsReceiver === undefined
  ) {
    throw new NotRenderableError(undefined, checkClientRenderable(client));
  }

  const at = batch.createdAt;
  const date8 = formatDate8(at);
  const time4 = formatTime4(at);
  const control9 = zeroPad(batch.controlNumber, 9);
  const w = new SegmentWriter();
  w.add(
    `ISA*00*          *00*          *${client.isa.sender_qualifier}*${padRight(isaSender, MAX.isaId)}` +
      `*${client.isa.receiver_qualifier}*${padRight(isaReceiver, MAX.isaId)}*${formatDate6(at)}*${time4}` +
      `*^*00501*${control9}*0*${client.usage_indicator}*:`,
  );
  w.add(`GS*HC*${gsSender}*${gsReceiver}*${date8}*${time4}*${batch.controlNumber}*X*${IMPLEMENTATION_GUIDE}`);
  const stAt = w.count;
  w.add(`ST*837*${TRANSACTION_CONTROL_NUMBER}*${IMPLEMENTATION_GUIDE}`);
  w.add(`BHT*0019*00*${x12Id(batch.batchId, 1, MAX.bht03)}*${date8}*${time4}*CH`);
  for (const s of header) w.add(s);

  let hl = 2;
  const billingNpi = client.npi;
  for (const j of batch.claims) hl = writeClaim(w, j, hl, billingNpi);

  w.add(`SE*${w.count - stAt + 1}*${TRANSACTION_CONTROL_NUMBER}`);
  w.add(`GE*1*${batch.controlNumber}`);
  w.add(`IEA*1*${control9}`);
  return w.toString();
}
