// Reads TA1, 999 (005010X231A1) and 277CA (005010X214) files with the validator's X12 reader
// (delimiters from each ISA). The envelopes must close (IEA/GE/SE counts and control numbers,
// as the validator checks them for our own files): an acknowledgement cut short in transfer
// is reported, never half-recorded. Throws AckParseError with a segment position and a rule;
// never reads names, addresses or member ids into the result.
import { AckParseError } from "./ack-errors.js";
import type {
  Ack277,
  Ack999,
  AckEnvelope,
  Acknowledgement,
  ClaimAck,
  ClaimOutcome,
  ClaimStatus,
  ClaimStatusCode,
  ElementError,
  ParsedAcknowledgements,
  SegmentError,
  SetResponse,
  Ta1Ack,
} from "./acknowledgement.js";
import { readSegments, type Segment } from "./x12-reader.js";

/** Reader findings an acknowledgement may carry without being misread (sloppy senders). */
const TOLERATED = /trailing empty element|ends with an empty component/;

const DIGITS = /^\d{1,9}$/;
const AMOUNT = /^-?\d{1,10}(\.\d{1,2})?$/;
const DATE8 = /^\d{8}$/;

/** STC categories (code source 507) that reject a claim: it must be fixed and sent again. */
const REJECTING = new Set(["A3", "A4", "A6", "A7", "A8"]);
/** Accepted into adjudication (A2), or accepted after a split (A5). */
const ACCEPTING = new Set(["A2", "A5"]);

/** Patient-level HL codes of a 277CA (PT in 005010X214; 22/23 from senders using 276/277 codes). */
const CLAIM_LEVELS = new Set(["PT", "22", "23"]);

function el(seg: Segment, n: number): string {
  return seg.elements[n] ?? "";
}

function fail(rule: "envelope" | "segment", seg: Segment | number, detail: string): never {
  throw new AckParseError(rule, typeof seg === "number" ? seg : seg.pos, detail);
}

function int(seg: Segment, n: number): number {
  const v = el(seg, n).trim();
  if (!DIGITS.test(v)) fail("segment", seg, `${seg.id}${pad2(n)} must be a number of 1-9 digits`);
  return Number(v);
}

function required(seg: Segment, n: number): string {
  const v = el(seg, n).trim();
  if (v === "") fail("segment", seg, `${seg.id}${pad2(n)} is required`);
  return v;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function components(seg: Segment, n: number): string[] {
  return el(seg, n).split(seg.delimiters.component);
}

/** Parses every acknowledgement in `text`; throws AckParseError when the file is not one. */
export function parseAcknowledgements(text: string): ParsedAcknowledgements {
  if (text.includes("\u0000")) throw new AckParseError("not_x12", 0, "the file holds NUL bytes");
  const read = readSegments(text);
  if (read.segments.length === 0) {
    const v = read.violations[0];
    // A file that starts like X12 but whose ISA is unusable is a broken envelope, not prose.
    const rule = v?.id === "ISA" ? "envelope" : "not_x12";
    throw new AckParseError(rule, v?.segment ?? 0, v?.message ?? "the file is empty");
  }
  const bad = read.violations.find((v) => !TOLERATED.test(v.message));
  if (bad) {
    const rule = /ISA|terminator/.test(bad.message) ? "envelope" : "segment";
    throw new AckParseError(rule, bad.segment, bad.message);
  }
  const acks = walkInterchanges(read.segments);
  if (acks.length === 0)
    throw new AckParseError("not_an_acknowledgement", 0, "no TA1, 999 or 277CA in the file");
  return { acks };
}

/** ISA (TA1)* (GS (ST … SE)* GE)* IEA, repeated; checks every count and control number. */
function walkInterchanges(segs: readonly Segment[]): Acknowledgement[] {
  const acks: Acknowledgement[] = [];
  let i = 0;
  while (i < segs.length) {
    const isa = segs[i] as Segment;
    if (isa.id !== "ISA") fail("envelope", isa, `${isa.id} outside an interchange (expected ISA)`);
    if (isa.elements.length !== 17) fail("envelope", isa, "ISA must have 16 elements");
    const envelope: AckEnvelope = {
      pos: isa.pos,
      senderQualifier: el(isa, 5).trim(),
      senderId: el(isa, 6).trim(),
      receiverQualifier: el(isa, 7).trim(),
      receiverId: el(isa, 8).trim(),
      controlNumber: el(isa, 13).trim(),
    };
    i++;
    let groups = 0;
    for (;;) {
      const seg = segs[i];
      if (seg === undefined) fail("envelope", isa, "interchange has no IEA (file cut short?)");
      if (seg.id === "IEA") {
        if (el(seg, 2).trim() !== envelope.controlNumber) fail("envelope", seg, "IEA02 must equal ISA13");
        if (int(seg, 1) !== groups)
          fail("envelope", seg, `IEA01 must count the ${groups} functional group(s)`);
        i++;
        break;
      }
      if (seg.id === "TA1") {
        acks.push(readTa1(seg, envelope));
        i++;
        continue;
      }
      if (seg.id !== "GS")
        fail("envelope", seg, `${seg.id} outside a functional group (expected GS, TA1 or IEA)`);
      groups++;
      i = walkGroup(segs, i, envelope, acks);
    }
  }
  return acks;
}

function walkGroup(
  segs: readonly Segment[],
  start: number,
  envelope: AckEnvelope,
  acks: Acknowledgement[],
): number {
  const gs = segs[start] as Segment;
  const gs06 = el(gs, 6).trim();
  let i = start + 1;
  let sets = 0;
  for (;;) {
    const seg = segs[i];
    if (seg === undefined || seg.id === "IEA" || seg.id === "ISA")
      fail("envelope", gs, "functional group has no GE (file cut short?)");
    if (seg.id === "GE") {
      if (el(seg, 2).trim() !== gs06) fail("envelope", seg, "GE02 must equal GS06");
      if (int(seg, 1) !== sets) fail("envelope", seg, `GE01 must count the ${sets} transaction set(s)`);
      return i + 1;
    }
    if (seg.id !== "ST") fail("envelope", seg, `${seg.id} outside a transaction set (expected ST or GE)`);
    sets++;
    let end = i + 1;
    while (end < segs.length && !["SE", "ST", "GE", "IEA", "ISA"].includes((segs[end] as Segment).id)) end++;
    const se = segs[end];
    if (se === undefined || se.id !== "SE")
      fail("envelope", seg, "transaction set has no SE (file cut short?)");
    if (el(se, 2).trim() !== el(seg, 2).trim()) fail("envelope", se, "SE02 must equal ST02");
    if (int(se, 1) !== end - i + 1)
      fail("envelope", se, `SE01 must count the ${end - i + 1} segments from ST to SE`);
    const body = segs.slice(i + 1, end);
    const setId = el(seg, 1).trim();
    if (setId === "999") acks.push(read999(seg, body, envelope));
    else if (setId === "277") acks.push(read277(seg, body, envelope));
    else
      throw new AckParseError(
        "not_an_acknowledgement",
        seg.pos,
        `transaction set ${/^\d{3}$/.test(setId) ? setId : "(invalid ST01)"} is not a 999 or 277CA`,
      );
    i = end + 1;
  }
}

function readTa1(seg: Segment, envelope: AckEnvelope): Ta1Ack {
  const code = required(seg, 4);
  if (code !== "A" && code !== "E" && code !== "R") fail("segment", seg, "TA104 must be A, E or R");
  return {
    kind: "TA1",
    pos: seg.pos,
    envelope,
    interchangeControlNumber: int(seg, 1),
    interchangeDate: el(seg, 2).trim(),
    interchangeTime: el(seg, 3).trim(),
    ackCode: code,
    noteCode: el(seg, 5).trim(),
  };
}

function read999(st: Segment, body: readonly Segment[], envelope: AckEnvelope): Ack999 {
  const ak1 = body[0];
  if (ak1 === undefined || ak1.id !== "AK1") fail("segment", ak1 ?? st, "a 999 must begin with AK1");
  const sets: SetResponse[] = [];
  let current: { head: Segment; errors: SegmentError[] } | undefined;
  let lastSegmentError: { seg: Segment; elementErrors: ElementError[] } | undefined;
  let ak9: Segment | undefined;
  const closeSegmentError = () => {
    if (lastSegmentError && current) {
      const s = lastSegmentError.seg;
      current.errors.push({
        pos: s.pos,
        segmentId: el(s, 1).trim().slice(0, 3),
        position: int(s, 2),
        loop: el(s, 3).trim(),
        code: el(s, 4).trim(),
        elementErrors: lastSegmentError.elementErrors,
      });
    }
    lastSegmentError = undefined;
  };
  for (const seg of body.slice(1)) {
    if (ak9) fail("segment", seg, `${seg.id} after AK9`);
    switch (seg.id) {
      case "AK2":
        if (current) fail("segment", seg, "AK2 before the IK5 of the previous set");
        current = { head: seg, errors: [] };
        break;
      case "IK3":
        if (!current) fail("segment", seg, "IK3 outside an AK2 loop");
        closeSegmentError();
        lastSegmentError = { seg, elementErrors: [] };
        break;
      case "IK4":
        if (!lastSegmentError) fail("segment", seg, "IK4 without an IK3");
        lastSegmentError.elementErrors.push({
          position: el(seg, 1).trim(),
          reference: el(seg, 2).trim(),
          code: required(seg, 3),
        });
        break;
      case "CTX":
        break;
      case "IK5": {
        if (!current) fail("segment", seg, "IK5 outside an AK2 loop");
        closeSegmentError();
        const head = current.head;
        sets.push({
          pos: head.pos,
          setId: required(head, 1),
          controlNumber: required(head, 2),
          version: el(head, 3).trim(),
          segmentErrors: current.errors,
          ackCode: required(seg, 1),
          errorCodes: seg.elements
            .slice(2)
            .map((e) => e.trim())
            .filter((e) => e !== ""),
        });
        current = undefined;
        break;
      }
      case "AK9":
        if (current) fail("segment", seg, "AK9 before the IK5 of the last set");
        ak9 = seg;
        break;
      default:
        fail("segment", seg, `${seg.id} is not a segment of a 999`);
    }
  }
  if (!ak9) fail("segment", st, "a 999 must end with AK9");
  return {
    kind: "999",
    pos: st.pos,
    envelope,
    functionalId: el(ak1, 1).trim(),
    groupControlNumber: int(ak1, 2),
    sets,
    groupAckCode: required(ak9, 1),
    setsIncluded: int(ak9, 2),
    setsReceived: int(ak9, 3),
    setsAccepted: int(ak9, 4),
    groupErrorCodes: ak9.elements
      .slice(5)
      .map((e) => e.trim())
      .filter((e) => e !== ""),
  };
}

interface ClaimDraft {
  pos: number;
  claimNumber: string;
  statuses: ClaimStatus[];
  payer?: string;
  trace?: string;
  from?: string;
  to?: string;
  /** After an SVC, segments describe a service line, not the claim. */
  inService: boolean;
}

function read277(st: Segment, body: readonly Segment[], envelope: AckEnvelope): Ack277 {
  const version = el(st, 3).trim();
  if (version !== "" && !version.startsWith("005010X214"))
    throw new AckParseError(
      "not_an_acknowledgement",
      st.pos,
      "a 277 that is not a 005010X214 claim acknowledgement",
    );
  const bht = body[0];
  if (bht === undefined || bht.id !== "BHT") fail("segment", bht ?? st, "a 277CA must begin with BHT");
  const claims: ClaimAck[] = [];
  let level = "";
  let draft: ClaimDraft | undefined;
  const close = () => {
    if (draft) claims.push(finishClaim(draft));
    draft = undefined;
  };
  for (const seg of body.slice(1)) {
    switch (seg.id) {
      case "HL":
        close();
        level = el(seg, 3).trim();
        break;
      case "TRN":
        if (el(seg, 1).trim() === "2" && CLAIM_LEVELS.has(level)) {
          close();
          draft = { pos: seg.pos, claimNumber: required(seg, 2), statuses: [], inService: false };
        }
        break;
      case "STC":
        if (draft && !draft.inService) draft.statuses.push(readStc(seg));
        break;
      case "REF":
        if (draft && !draft.inService) {
          const q = el(seg, 1).trim();
          if (q === "1K") draft.payer = required(seg, 2);
          else if (q === "D9") draft.trace = required(seg, 2);
        }
        break;
      case "DTP":
        if (draft && !draft.inService && el(seg, 1).trim() === "472") readServiceDates(seg, draft);
        break;
      case "SVC":
        if (draft) draft.inService = true;
        break;
      default:
        break;
    }
  }
  close();
  const created = el(bht, 4).trim();
  return {
    kind: "277CA",
    pos: st.pos,
    envelope,
    createdDate: DATE8.test(created) ? created : undefined,
    claims,
  };
}

function readStc(seg: Segment): ClaimStatus {
  const codes: ClaimStatusCode[] = [];
  for (const n of [1, 10, 11]) {
    if (el(seg, n).trim() === "") continue;
    const [category = "", status = "", entity = ""] = components(seg, n).map((c) => c.trim());
    if (category === "") fail("segment", seg, `STC${pad2(n)}-1 (claim status category) is required`);
    codes.push({ category, status, entity });
  }
  if (codes.length === 0) fail("segment", seg, "STC01 is required");
  const date = el(seg, 2).trim();
  const amount = el(seg, 4).trim();
  if (amount !== "" && !AMOUNT.test(amount)) fail("segment", seg, "STC04 must be an amount");
  return {
    codes,
    date: DATE8.test(date) ? date : undefined,
    action: el(seg, 3).trim() || undefined,
    amountCents: amount === "" ? undefined : toCents(amount),
  };
}

function toCents(amount: string): number {
  const negative = amount.startsWith("-");
  const [whole = "0", frac = ""] = (negative ? amount.slice(1) : amount).split(".");
  const cents = Number(whole) * 100 + Number(frac.padEnd(2, "0"));
  return negative ? -cents : cents;
}

function readServiceDates(seg: Segment, draft: ClaimDraft): void {
  const format = el(seg, 2).trim();
  const value = el(seg, 3).trim();
  if (format === "D8" && DATE8.test(value)) {
    draft.from = value;
    draft.to = value;
  } else if (format === "RD8" && /^\d{8}-\d{8}$/.test(value)) {
    draft.from = value.slice(0, 8);
    draft.to = value.slice(9);
  } else fail("segment", seg, "DTP*472 must hold a D8 date or an RD8 range");
}

function finishClaim(d: ClaimDraft): ClaimAck {
  return {
    pos: d.pos,
    claimNumber: d.claimNumber,
    statuses: d.statuses,
    outcome: outcomeOf(d.statuses),
    payerClaimControlNumber: d.payer,
    clearinghouseTraceNumber: d.trace,
    serviceFrom: d.from,
    serviceTo: d.to,
  };
}

/** Any rejecting category rejects the claim; otherwise an accepting one accepts it; else pended. */
export function outcomeOf(statuses: readonly ClaimStatus[]): ClaimOutcome {
  const categories = statuses.flatMap((s) => s.codes.map((c) => c.category));
  if (categories.some((c) => REJECTING.has(c))) return "rejected";
  if (categories.some((c) => ACCEPTING.has(c))) return "accepted";
  return "pended";
}
