// Structure of one 837P transaction (the segments from ST to SE) as 005010X222A1 lays it out:
//   BHT right after ST; 1000A (NM1*41) and 1000B (NM1*40) before the first HL;
//   HL numbering 1, 2, 3… with each HL02 naming an earlier HL of the right level
//   (20 billing provider: no parent; 22 subscriber: parent 20; 23 patient: parent 22) and HL04
//   telling the truth about children;
//   2000A holds NM1*85 (2010AA); 2000B starts with SBR and holds NM1*IL then NM1*PR;
//   2000C starts with PAT and holds NM1*QC; every subscriber/patient leaf holds a claim;
//   2300: CLM under a 22 or 23, an HI before its first line, at least one LX each followed by
//   SV1 (LX01 numbered 1, 2, 3…), CLM02 = the sum of SV102 (exact decimal comparison).
// It checks structure, not code lists: segments and loops it does not know (2310C-F, 2320/2330
// other payers, CR1/CRC ambulance, PWK, NTE, K3, SVD, CAS, 2420 loops, LIN/CTP…) are skipped,
// so any well-formed 837P from any sender passes.
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

class TransactionCheck {
  private readonly hls = new Map<string, HlNode>();
  private nextHl = 1;

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
    const at = segs[headerEnd] as Segment;
    const submitter = segs.findIndex((s, i) => i < headerEnd && isNm1(s, "41"));
    const receiver = segs.findIndex((s, i) => i < headerEnd && isNm1(s, "40"));
    if (submitter < 0) this.report(at, "loop 1000A (NM1*41 submitter) must come before the first HL");
    if (receiver < 0) this.report(at, "loop 1000B (NM1*40 receiver) must come before the first HL");
    if (submitter >= 0 && receiver >= 0 && receiver < submitter)
      this.report(segs[receiver] as Segment, "loop 1000B (NM1*40) must follow loop 1000A (NM1*41)");
    for (let i = 0; i < headerEnd; i++) {
      const s = segs[i] as Segment;
      if (s.id === "CLM")
        this.report(s, "CLM before the first HL: a claim must sit in a subscriber or patient loop");
    }
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

    const expectedParent = level === "22" ? "20" : level === "23" ? "22" : undefined;
    if (level !== "20" && level !== "22" && level !== "23") {
      this.report(hl, "HL03 must be 20 (billing provider), 22 (subscriber) or 23 (patient)");
    } else if (expectedParent === undefined) {
      if (parent !== "") this.report(hl, "HL02 must be empty for the billing provider level 20");
    } else {
      const p = this.hls.get(parent);
      if (parent === "" || p === undefined) this.report(hl, "HL02 must name an earlier HL");
      else if (p.level !== expectedParent)
        this.report(hl, `HL02 must name a level ${expectedParent} HL for level ${level}`);
      else p.children++;
    }
    const node: HlNode = { seg: hl, level, childCode, children: 0, claims: 0 };
    if (id !== "" && !this.hls.has(id)) this.hls.set(id, node);

    let firstClm = from + 1;
    while (firstClm < to && (this.segs[firstClm] as Segment).id !== "CLM") firstClm++;
    this.checkLoopHead(hl, level, from + 1, firstClm);
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
  private checkLoopHead(hl: Segment, level: string, from: number, to: number): void {
    const head = this.segs.slice(from, to);
    if (level === "20") {
      if (!head.some((s) => isNm1(s, "85")))
        this.report(hl, "loop 2000A has no NM1*85 (2010AA billing provider)");
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
      if (!head.some((s) => isNm1(s, "QC"))) this.report(hl, "loop 2000C has no NM1*QC (2010CA patient)");
    }
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

    let firstLx = from + 1;
    while (firstLx < to && (this.segs[firstLx] as Segment).id !== "LX") firstLx++;
    let hasHi = false;
    for (let i = from + 1; i < firstLx; i++) if ((this.segs[i] as Segment).id === "HI") hasHi = true;
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
      if (el(s, 1) !== String(lineNo))
        this.report(s, `LX01 must be ${lineNo} (service lines are numbered from 1)`);
      const sv1 = this.segs[i + 1];
      if (sv1 === undefined || i + 1 >= to || sv1.id !== "SV1") {
        this.report(s, "LX must be followed by SV1 (professional service)");
        amountsOk = false;
        continue;
      }
      const composite = el(sv1, 1).split(this.ctx.component);
      if ((composite[0] ?? "") === "" || (composite[1] ?? "") === "")
        this.report(sv1, "SV101 must hold a qualifier and a procedure code");
      const charge = parseAmount(el(sv1, 2));
      if (charge === undefined) {
        this.report(sv1, "SV102 must be a decimal amount");
        amountsOk = false;
      } else sum += charge;
    }
    if (amountsOk && total !== undefined && total !== sum) {
      this.report(
        clm,
        `CLM02 (${showAmount(total)}) does not equal the sum of its SV102 line charges (${showAmount(sum)})`,
      );
    }
  }
}

/** Checks one transaction; `segs` runs from its ST to its SE inclusive. */
export function check837Transaction(segs: readonly Segment[], ctx: TransactionContext): number {
  const before = ctx.claimNumbers.length;
  new TransactionCheck(segs, ctx).run();
  return ctx.claimNumbers.length - before;
}
