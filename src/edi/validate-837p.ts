// Structure of one 837P transaction (the segments from ST to SE) as 005010X222A1 lays it out:
//   BHT right after ST; 1000A (NM1*41 with its PER) and 1000B (NM1*40) before the first HL;
//   HL numbering 1, 2, 3… with each HL02 naming the HL that encloses it (20 billing provider: no
//   parent; 22 subscriber: the current 20; 23 patient: the current 22) and HL04 telling the truth
//   about children;
//   2000A holds 2010AA (NM1*85 with N3, N4 and the REF*EI/SY tax id); 2000B starts with SBR and
//   holds NM1*IL then NM1*PR; 2000C starts with PAT and holds 2010CA (NM1*QC, N3, N4, DMG); every
//   subscriber/patient leaf holds a claim;
//   2300: CLM under a 22 or 23 with a CLM05 composite (place of service, frequency), an HI of 1 to
//   12 qualifier:code composites before its first line, 1 to 50 LX each followed by SV1 (LX01
//   numbered 1, 2, 3…) and holding DTP*472, SV107 pointers naming one of the claim's diagnosis
//   codes, CLM02 = the sum of SV102 (exact decimal comparison).
// It checks structure, not code lists: segments and loops it does not know (2010AB pay-to,
// 2310C-F, 2320/2330 other payers, CR1/CRC ambulance, PWK, NTE, K3, SVD, CAS, 2420 loops…) are
// skipped, so any well-formed 837P from any sender passes; ICD-9 (BK/BF) and ICD-10 (ABK/ABF)
// qualifiers are both diagnosis codes.
import type { Segment, Violation } from "./x12-reader.js";

export interface TransactionContext {
  readonly component: string;
  /** CLM01 values seen so far in the file, for the uniqueness rule. */
  readonly claimNumbers: string[];
  readonly seenClaims: Set<string>;
  readonly violations: Violation[];
}

interface HlNode {
  readonly seg: Segment;
  readonly level: string;
  readonly childCode: string;
  children: number;
  claims: number;
}

/** 2400 repeats at most 50 times per claim; HI carries at most 12 codes. */
const MAX_LINES = 50;
const MAX_HI_CODES = 12;
const DIAGNOSIS_QUALIFIERS = new Set(["ABK", "ABF", "BK", "BF"]);
const POINTER = /^(?:[1-9]|1[0-2])$/;

const AMOUNT = /^(-?)(\d*)(?:\.(\d*))?$/;
const AMOUNT_SCALE = 6;

/** X12 R-type amount as an exact integer at 10^-6, or undefined when it is not a decimal number. */
export function parseAmount(text: string): bigint | undefined {
  const m = AMOUNT.exec(text);
  if (m === null) return undefined;
  const [, sign, whole = "", frac = ""] = m;
  if (whole.length + frac.length === 0 || frac.length > AMOUNT_SCALE) return undefined;
  const v = BigInt(`${whole || "0"}${frac.padEnd(AMOUNT_SCALE, "0")}`);
  return sign === "-" ? -v : v;
}

function showAmount(v: bigint): string {
  const neg = v < 0n;
  const abs = neg ? -v : v;
  const s = abs.toString().padStart(AMOUNT_SCALE + 1, "0");
  let frac = s.slice(-AMOUNT_SCALE).replace(/0+$/, "");
  if (frac.length === 1) frac += "0";
  return `${neg ? "-" : ""}${s.slice(0, -AMOUNT_SCALE)}${frac.length > 0 ? `.${frac}` : ""}`;
}

function el(seg: Segment, n: number): string {
  return seg.elements[n] ?? "";
}

function isNm1(seg: Segment, entity: string): boolean {
  return seg.id === "NM1" && el(seg, 1) === entity;
}

/** The segments of the NM1 sub-loop at `head[at]`: up to the next NM1 or the end of `head`. */
function subLoop(head: readonly Segment[], at: number): Segment[] {
  let end = at + 1;
  while (end < head.length && (head[end] as Segment).id !== "NM1") end++;
  return head.slice(at + 1, end);
}

class TransactionCheck {
  private readonly hls = new Map<string, HlNode>();
  private nextHl = 1;
  /** The HL that currently encloses new loops of each level (the last 20, the last 22). */
  private readonly open = new Map<string, HlNode>();

  constructor(
    private readonly segs: readonly Segment[],
    private readonly ctx: TransactionContext,
  ) {}

  private report(seg: Segment, message: string): void {
    this.ctx.violations.push({ segment: seg.pos, id: seg.id, message });
  }

  run(): void {
    const segs = this.segs;
    const st = segs[0] as Segment;
    const se = segs[segs.length - 1] as Segment;
    if (segs[1]?.id !== "BHT") this.report(segs[1] ?? st, "BHT must follow ST");
    else if (el(segs[1], 1) !== "0019") this.report(segs[1], "BHT01 must be 0019");

    const firstHl = segs.findIndex((s) => s.id === "HL");
    const headerEnd = firstHl < 0 ? segs.length - 1 : firstHl;
    this.checkHeader(segs.slice(0, headerEnd), segs[headerEnd] as Segment);
    if (firstHl < 0) {
      this.report(se, "the transaction has no HL loops (2000A billing provider is required)");
      return;
    }

    // Each HL loop runs to the next HL; within it, claims run to the next CLM.
    let i = firstHl;
    while (i < segs.length - 1) {
      let end = i + 1;
      while (end < segs.length - 1 && (segs[end] as Segment).id !== "HL") end++;
      this.checkHlLoop(i, end);
      i = end;
    }
    let billing = 0;
    for (const node of this.hls.values()) {
      if (node.level === "20") billing++;
      if (node.childCode === "1" && node.children === 0)
        this.report(node.seg, "HL04 is 1 but no HL names this one as its parent");
      if (node.childCode === "0" && node.children > 0)
        this.report(node.seg, "HL04 is 0 but a later HL names this one as its parent");
      if ((node.level === "23" || (node.level === "22" && node.children === 0)) && node.claims === 0)
        this.report(node.seg, `HL level ${node.level} has no claim (CLM)`);
    }
    if (billing === 0) this.report(se, "the transaction has no billing provider loop (HL level 20)");
  }

  /** BHT … up to the first HL: 1000A submitter with its contact, then 1000B receiver. */
  private checkHeader(header: readonly Segment[], at: Segment): void {
    const submitter = header.findIndex((s) => isNm1(s, "41"));
    const receiver = header.findIndex((s) => isNm1(s, "40"));
    if (submitter < 0) this.report(at, "loop 1000A (NM1*41 submitter) must come before the first HL");
    else if (!subLoop(header, submitter).some((s) => s.id === "PER"))
      this.report(header[submitter] as Segment, "loop 1000A must hold PER (submitter EDI contact)");
    if (receiver < 0) this.report(at, "loop 1000B (NM1*40 receiver) must come before the first HL");
    if (submitter >= 0 && receiver >= 0 && receiver < submitter)
      this.report(header[receiver] as Segment, "loop 1000B (NM1*40) must follow loop 1000A (NM1*41)");
    for (const s of header) {
      if (s.id === "CLM")
        this.report(s, "CLM before the first HL: a claim must sit in a subscriber or patient loop");
    }
  }

  /** segs[from] is an HL; the loop ends before segs[to]. */
  private checkHlLoop(from: number, to: number): void {
    const hl = this.segs[from] as Segment;
    const id = el(hl, 1);
    const parent = el(hl, 2);
    const level = el(hl, 3);
    const childCode = el(hl, 4);
    if (id !== String(this.nextHl))
      this.report(hl, `HL01 must be ${this.nextHl} (HL numbering is sequential from 1)`);
    this.nextHl++;
    if (childCode !== "0" && childCode !== "1") this.report(hl, "HL04 must be 0 or 1");

    const node: HlNode = { seg: hl, level, childCode, children: 0, claims: 0 };
    const parentLevel = level === "22" ? "20" : level === "23" ? "22" : undefined;
    if (level !== "20" && level !== "22" && level !== "23") {
      this.report(hl, "HL03 must be 20 (billing provider), 22 (subscriber) or 23 (patient)");
    } else if (parentLevel === undefined) {
      if (parent !== "") this.report(hl, "HL02 must be empty for the billing provider level 20");
      this.open.set("20", node);
      this.open.delete("22");
    } else {
      // The loops nest (2000C inside 2000B inside 2000A), so the parent is the enclosing HL of the
      // level above: the last one seen, never an earlier one that a newer loop has closed.
      const enclosing = this.open.get(parentLevel);
      const named = this.hls.get(parent);
      if (enclosing === undefined) {
        this.report(hl, `HL level ${level} must follow a level ${parentLevel} HL`);
      } else if (parent !== el(enclosing.seg, 1) || named !== enclosing) {
        this.report(
          hl,
          `HL02 must be ${el(enclosing.seg, 1)}, the level ${parentLevel} HL that encloses this level ${level} loop`,
        );
      }
      if (named !== undefined && named.level === parentLevel) named.children++;
      if (level === "22") this.open.set("22", node);
    }
    if (id !== "" && !this.hls.has(id)) this.hls.set(id, node);

    let firstClm = from + 1;
    while (firstClm < to && (this.segs[firstClm] as Segment).id !== "CLM") firstClm++;
    this.checkLoopHead(hl, level, this.segs.slice(from + 1, firstClm));
    if (firstClm < to && level !== "22" && level !== "23") {
      this.report(this.segs[firstClm] as Segment, "CLM must sit in a subscriber (22) or patient (23) loop");
    }
    let c = firstClm;
    while (c < to) {
      let next = c + 1;
      while (next < to && (this.segs[next] as Segment).id !== "CLM") next++;
      node.claims++;
      this.checkClaim(c, next);
      c = next;
    }
  }

  /** The segments of an HL loop before its first claim: 2010AA, 2000B/2010BA/BB or 2000C/2010CA. */
  private checkLoopHead(hl: Segment, level: string, head: readonly Segment[]): void {
    if (level === "20") {
      const billing = head.findIndex((s) => isNm1(s, "85"));
      if (billing < 0) {
        this.report(hl, "loop 2000A has no NM1*85 (2010AA billing provider)");
        return;
      }
      const loop = subLoop(head, billing);
      const nm1 = head[billing] as Segment;
      if (!loop.some((s) => s.id === "N3"))
        this.report(nm1, "loop 2010AA must hold N3 (billing provider address)");
      if (!loop.some((s) => s.id === "N4"))
        this.report(nm1, "loop 2010AA must hold N4 (billing provider city)");
      if (!loop.some((s) => s.id === "REF" && (el(s, 1) === "EI" || el(s, 1) === "SY")))
        this.report(nm1, "loop 2010AA must hold REF*EI or REF*SY (billing provider tax id)");
    } else if (level === "22") {
      if (head[0]?.id !== "SBR") this.report(head[0] ?? hl, "loop 2000B must begin with SBR");
      const il = head.findIndex((s) => isNm1(s, "IL"));
      const pr = head.findIndex((s) => isNm1(s, "PR"));
      if (il < 0) this.report(hl, "loop 2000B has no NM1*IL (2010BA subscriber)");
      if (pr < 0) this.report(hl, "loop 2000B has no NM1*PR (2010BB payer)");
      if (il >= 0 && pr >= 0 && pr < il)
        this.report(head[pr] as Segment, "NM1*PR (2010BB) must follow NM1*IL (2010BA)");
    } else if (level === "23") {
      if (head[0]?.id !== "PAT") this.report(head[0] ?? hl, "loop 2000C must begin with PAT");
      const qc = head.findIndex((s) => isNm1(s, "QC"));
      if (qc < 0) {
        this.report(hl, "loop 2000C has no NM1*QC (2010CA patient)");
        return;
      }
      const loop = subLoop(head, qc);
      const nm1 = head[qc] as Segment;
      for (const [id, what] of [
        ["N3", "address"],
        ["N4", "city"],
        ["DMG", "demographics"],
      ] as const) {
        if (!loop.some((s) => s.id === id)) this.report(nm1, `loop 2010CA must hold ${id} (patient ${what})`);
      }
    }
  }

  /** Checks CLM05 (place of service : qualifier : frequency). */
  private checkClm05(clm: Segment): void {
    const parts = el(clm, 5).split(this.ctx.component);
    if (parts.length !== 3 || (parts[0] ?? "") === "" || (parts[2] ?? "") === "")
      this.report(clm, "CLM05 must be a composite of place of service, qualifier and frequency code");
  }

  /**
   * Checks one HI segment. Returns how many positions SV107 may point at: the element count of
   * the diagnosis HI (a malformed element still holds its position), 0 for other HI segments
   * (anesthesia procedures, condition codes).
   */
  private checkHi(hi: Segment): number {
    const n = hi.elements.length - 1;
    if (n < 1 || n > MAX_HI_CODES) this.report(hi, `HI must hold 1 to ${MAX_HI_CODES} codes`);
    let diagnosis = false;
    for (let e = 1; e <= n; e++) {
      const [qualifier = "", code = ""] = el(hi, e).split(this.ctx.component);
      if (qualifier === "" || code === "") {
        this.report(hi, `HI${String(e).padStart(2, "0")} must be a composite of a qualifier and a code`);
        continue;
      }
      if (DIAGNOSIS_QUALIFIERS.has(qualifier)) diagnosis = true;
    }
    return diagnosis ? n : 0;
  }

  /** segs[from] is a CLM; the claim (2300 and its 2400 lines) ends before segs[to]. */
  private checkClaim(from: number, to: number): void {
    const clm = this.segs[from] as Segment;
    const number = el(clm, 1);
    this.ctx.claimNumbers.push(number);
    if (number === "") this.report(clm, "CLM01 (claim number) must not be empty");
    else if (this.ctx.seenClaims.has(number))
      this.report(clm, "CLM01 repeats a claim number already in this file");
    else this.ctx.seenClaims.add(number);
    const total = parseAmount(el(clm, 2));
    if (total === undefined) this.report(clm, "CLM02 must be a decimal amount");
    this.checkClm05(clm);

    let firstLx = from + 1;
    while (firstLx < to && (this.segs[firstLx] as Segment).id !== "LX") firstLx++;
    let hasHi = false;
    let diagnoses = 0;
    for (let i = from + 1; i < firstLx; i++) {
      const s = this.segs[i] as Segment;
      if (s.id !== "HI") continue;
      hasHi = true;
      diagnoses = Math.max(diagnoses, this.checkHi(s));
    }
    if (!hasHi) this.report(clm, "claim has no HI (diagnosis) segment before its first service line");
    if (firstLx >= to) {
      this.report(clm, "claim has no service line (LX/SV1)");
      return;
    }

    let sum = 0n;
    let amountsOk = total !== undefined;
    let lineNo = 0;
    for (let i = firstLx; i < to; i++) {
      const s = this.segs[i] as Segment;
      if (s.id !== "LX") continue;
      lineNo++;
      if (lineNo === MAX_LINES + 1) this.report(s, `a claim holds at most ${MAX_LINES} service lines (2400)`);
      if (el(s, 1) !== String(lineNo))
        this.report(s, `LX01 must be ${lineNo} (service lines are numbered from 1)`);
      let end = i + 1;
      while (end < to && (this.segs[end] as Segment).id !== "LX") end++;
      const sv1 = this.segs[i + 1];
      if (sv1 === undefined || i + 1 >= to || sv1.id !== "SV1") {
        this.report(s, "LX must be followed by SV1 (professional service)");
        amountsOk = false;
        continue;
      }
      // Without an HI the pointers have nothing to name; that fault is already reported once.
      const charge = this.checkSv1(sv1, hasHi ? diagnoses : undefined);
      if (charge === undefined) amountsOk = false;
      else sum += charge;
      let hasDate = false;
      for (let k = i + 2; k < end; k++) {
        const d = this.segs[k] as Segment;
        if (d.id === "DTP" && el(d, 1) === "472") hasDate = true;
      }
      if (!hasDate) this.report(s, "service line must hold DTP*472 (service date)");
    }
    if (amountsOk && total !== undefined && total !== sum) {
      this.report(
        clm,
        `CLM02 (${showAmount(total)}) does not equal the sum of its SV102 line charges (${showAmount(sum)})`,
      );
    }
  }

  /** Checks SV101 and SV107; returns SV102 as an exact amount, undefined when it is not one. */
  private checkSv1(sv1: Segment, diagnoses: number | undefined): bigint | undefined {
    const composite = el(sv1, 1).split(this.ctx.component);
    if ((composite[0] ?? "") === "" || (composite[1] ?? "") === "")
      this.report(sv1, "SV101 must hold a qualifier and a procedure code");
    const pointers = el(sv1, 7);
    if (pointers === "") this.report(sv1, "SV107 must point at one to four of the claim's diagnosis codes");
    else if (diagnoses !== undefined) {
      const list = pointers.split(this.ctx.component);
      if (list.length > 4 || list.some((p) => !POINTER.test(p) || Number(p) > diagnoses))
        this.report(
          sv1,
          `SV107 pointers must be 1 to 4 numbers, each naming one of the claim's ${diagnoses} diagnosis codes`,
        );
    }
    const charge = parseAmount(el(sv1, 2));
    if (charge === undefined) this.report(sv1, "SV102 must be a decimal amount");
    return charge;
  }
}

/** Checks one transaction; `segs` runs from its ST to its SE inclusive. */
export function check837Transaction(segs: readonly Segment[], ctx: TransactionContext): number {
  const before = ctx.claimNumbers.length;
  new TransactionCheck(segs, ctx).run();
  return ctx.claimNumbers.length - before;
}
