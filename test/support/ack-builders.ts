// Acknowledgements a clearinghouse would send for an 837 claimflow wrote: read its ISA/GS/ST and
// CLM segments and answer them (TA1, 999, 277CA), the way the tests and the end-to-end run need
// them. The ISA of the answer swaps sender and receiver, as a real one does.
import { AckParseError } from "../../src/edi/ack-errors.js";
import { parseAcknowledgements } from "../../src/edi/parse-acknowledgement.js";
import { readSegments, type Segment } from "../../src/edi/x12-reader.js";

export interface SentFile {
  readonly senderQualifier: string;
  readonly senderId: string;
  readonly receiverQualifier: string;
  readonly receiverId: string;
  readonly isa13: string;
  readonly gs06: string;
  readonly st02: string;
  /** CLM01 and CLM02 of every claim, with its DTP*472 dates. */
  readonly claims: readonly { claimNumber: string; amount: string; serviceDate?: string }[];
}

function el(s: Segment, n: number): string {
  return s.elements[n] ?? "";
}

export function readSent(content: string): SentFile {
  const segs = readSegments(content).segments;
  const isa = segs.find((s) => s.id === "ISA") as Segment;
  const gs = segs.find((s) => s.id === "GS") as Segment;
  const st = segs.find((s) => s.id === "ST") as Segment;
  const claims: { claimNumber: string; amount: string; serviceDate?: string }[] = [];
  for (const s of segs) {
    if (s.id === "CLM") claims.push({ claimNumber: el(s, 1), amount: el(s, 2) });
    if (s.id === "DTP" && el(s, 1) === "472" && claims.length > 0) {
      const last = claims[claims.length - 1] as { serviceDate?: string };
      last.serviceDate ??= el(s, 3).slice(0, 8);
    }
  }
  return {
    senderQualifier: el(isa, 5).trim(),
    senderId: el(isa, 6).trim(),
    receiverQualifier: el(isa, 7).trim(),
    receiverId: el(isa, 8).trim(),
    isa13: el(isa, 13),
    gs06: el(gs, 6),
    st02: el(st, 2),
    claims,
  };
}

let nextControl = 500_000_000;

function envelope(
  sent: SentFile,
  gsCode: string | undefined,
  body: string[],
  version = "005010X231A1",
): string {
  const ctl = String(nextControl++).padStart(9, "0");
  const pad = (s: string) => s.padEnd(15, " ");
  const segs = [
    `ISA*00*          *00*          *${sent.receiverQualifier}*${pad(sent.receiverId)}*${sent.senderQualifier}*${pad(sent.senderId)}*260315*1200*^*00501*${ctl}*0*T*:`,
  ];
  if (gsCode === undefined) {
    segs.push(...body, `IEA*0*${ctl}`);
  } else {
    const gs06 = String(Number(ctl) % 1_000_000);
    segs.push(`GS*${gsCode}*${sent.receiverId}*${sent.senderId}*20260315*1200*${gs06}*X*${version}`);
    segs.push(...body);
    segs.push(`GE*1*${gs06}`, `IEA*1*${ctl}`);
  }
  return `${segs.join("~\n")}~\n`;
}

function set(id: string, version: string, body: string[]): string[] {
  return [`ST*${id}*0001*${version}`, ...body, `SE*${body.length + 2}*0001`];
}

export function ta1For(sent: SentFile, code: "A" | "E" | "R" = "A", note = "000"): string {
  return envelope(sent, undefined, [`TA1*${sent.isa13}*260314*1509*${code}*${note}`]);
}

export interface SetAnswer {
  /** IK501. */
  readonly code: string;
  /** IK3 segment errors: [segment id, position, loop, code]. */
  readonly errors?: readonly (readonly [string, number, string, string])[];
  readonly st02?: string;
}

export function ack999For(sent: SentFile, answer: SetAnswer = { code: "A" }, gs06 = sent.gs06): string {
  const body = [`AK1*HC*${gs06}*005010X222A1`, `AK2*837*${answer.st02 ?? sent.st02}*005010X222A1`];
  for (const [id, pos, loop, code] of answer.errors ?? []) {
    body.push(`IK3*${id}*${pos}*${loop}*${code}`, "IK4*2**7");
  }
  body.push(answer.code === "A" || answer.code === "E" ? `IK5*${answer.code}` : `IK5*${answer.code}*5`);
  const accepted = answer.code === "A" || answer.code === "E" ? 1 : 0;
  body.push(`AK9*${answer.code === "A" || answer.code === "E" ? answer.code : "R"}*1*1*${accepted}`);
  return envelope(sent, "FA", set("999", "005010X231A1", body));
}

export interface ClaimAnswer {
  readonly claimNumber: string;
  /** STC01 as category:status:entity. */
  readonly stc: string;
  readonly amount?: string;
  readonly payerClaimControlNumber?: string;
  readonly trace?: string;
  readonly serviceDate?: string;
  /** A patient name to prove it is never stored or logged. */
  readonly patientName?: readonly [string, string];
}

export function ack277For(sent: SentFile, claims: readonly ClaimAnswer[]): string {
  const body = [
    "BHT*0085*08*277CA0001*20260315*1200*TH",
    "HL*1**20*1",
    "NM1*PR*2*ACME HEALTH PLAN*****PI*ACME01",
    "TRN*1*0091182",
    "DTP*050*D8*20260315",
    "DTP*009*D8*20260315",
    "HL*2*1*21*1",
    `NM1*41*2*SUNRISE BILLING*****46*${sent.senderId}`,
    "TRN*2*BATCHTRACE1",
    "STC*A1:19:PR*20260315*WQ*100",
    "HL*3*2*19*1",
    "NM1*85*2*SUNRISE FAMILY PHARMACY*****XX*1234567893",
  ];
  let hl = 4;
  for (const c of claims) {
    const [last, first] = c.patientName ?? ["DOE", "JANE"];
    body.push(`HL*${hl++}*3*PT`, `NM1*QC*1*${last}*${first}****MI*M123456789`, `TRN*2*${c.claimNumber}`);
    const rejected = /^A[3-8]/.test(c.stc);
    body.push(`STC*${c.stc}*20260315*${rejected ? "U" : "WQ"}*${c.amount ?? "100"}`);
    if (c.payerClaimControlNumber) body.push(`REF*1K*${c.payerClaimControlNumber}`);
    if (c.trace) body.push(`REF*D9*${c.trace}`);
    if (c.serviceDate) body.push(`DTP*472*D8*${c.serviceDate}`);
  }
  return envelope(sent, "HN", set("277", "005010X214", body), "005010X214");
}

/** The AckParseError the parser throws for `text`; fails the test if it throws nothing or something else. */
export function parseError(text: string): AckParseError {
  try {
    parseAcknowledgements(text);
  } catch (err) {
    if (err instanceof AckParseError) return err;
    throw err;
  }
  throw new Error("expected an AckParseError");
}
