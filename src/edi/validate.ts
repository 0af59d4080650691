// The structural validator for 837 Professional files (005010X222A1). It reports every violation
// it finds, each at its 1-based segment position, and never throws on bad input:
//   - ISA: exactly 106 characters, 16 elements of the fixed widths, calendar date, valid time,
//     ISA12 00501,
//     distinct delimiters; the other segments of the 837P within their element count;
//   - envelopes: ISA/IEA, GS/GE, ST/SE properly nested (several GS per ISA, several ST per GS,
//     several interchanges per file are fine); IEA01 = number of GS, IEA02 = ISA13, GE01 = number
//     of ST, GE02 = GS06, SE01 = segments from ST to SE, SE02 = ST02; GS01 HC, ST01 837, GS08 and
//     ST03 name 005010X222 (A1, or the A2 errata); ISA13 unique in the file, GS06 unique in its
//     interchange, ST02 unique in its group;
//   - element lengths of the data element dictionary and calendar dates (element-rules.ts);
//   - the transaction's loops (validate-837p.ts) and CLM01 uniqueness across the whole file.
// Messages name elements and rules, never element data (which may be PHI); only amounts appear.
import { elementProblems, isCalendarDate6, isCalendarDate8 } from "./element-rules.js";
import { check837Transaction, type TransactionContext } from "./validate-837p.js";
import { readSegments, type Segment, type Violation } from "./x12-reader.js";

export type { Violation } from "./x12-reader.js";

export interface ValidationResult {
  readonly ok: boolean;
  readonly violations: Violation[];
  /** ISA/IEA envelopes found. */
  readonly interchanges: number;
  /** CLM segments found. */
  readonly claimCount: number;
  /** CLM01 of every claim, in file order. */
  readonly claimNumbers: string[];
  /** ISA13 of the first interchange. */
  readonly isaControlNumber?: string;
}

const VERSION = /^005010X222(A1|A2)?$/;
const DIGITS = /^\d+$/;
const ISA_WIDTHS = [0, 2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1] as const;

/**
 * Elements each segment of the X12 5010 standard can hold. A delimiter that slipped into data
 * shows as one element too many; segments not listed here are not counted.
 */
const MAX_ELEMENTS: Readonly<Record<string, number>> = {
  IEA: 2,
  GS: 8,
  GE: 2,
  ST: 3,
  SE: 2,
  BHT: 6,
  NM1: 12,
  PER: 9,
  N3: 2,
  N4: 7,
  REF: 4,
  HL: 4,
  PRV: 6,
  SBR: 9,
  PAT: 9,
  DMG: 11,
  CLM: 20,
  LX: 1,
  SV1: 21,
  DTP: 3,
  LIN: 31,
  CTP: 11,
};

function el(seg: Segment, n: number): string {
  return seg.elements[n] ?? "";
}

function isTime(s: string): boolean {
  if (!/^\d{4}(\d{2}(\d{1,2})?)?$/.test(s)) return false;
  return (
    Number(s.slice(0, 2)) <= 23 &&
    Number(s.slice(2, 4)) <= 59 &&
    (s.length < 6 || Number(s.slice(4, 6)) <= 59)
  );
}

interface Interchange {
  readonly isa: Segment;
  groups: number;
  /** GS06 values of this interchange: unique within it. */
  readonly groupNumbers: Set<string>;
}
interface Group {
  readonly gs: Segment;
  transactions: number;
  /** ST02 values of this group: unique within it. */
  readonly transactionNumbers: Set<string>;
}

class FileCheck {
  readonly violations: Violation[] = [];
  readonly claimNumbers: string[] = [];
  private readonly seenClaims = new Set<string>();
  interchanges = 0;
  transactions = 0;
  private readonly interchangeNumbers = new Set<string>();
  isaControlNumber: string | undefined;
  private interchange: Interchange | undefined;
  private group: Group | undefined;
  private transaction: Segment[] | undefined;

  private report(seg: Segment, message: string): void {
    this.violations.push({ segment: seg.pos, id: seg.id, message });
  }

  run(segments: readonly Segment[]): void {
    for (const seg of segments) this.visit(seg);
    const last = segments[segments.length - 1];
    if (last === undefined) return;
    if (this.transaction !== undefined) this.report(last, "the file ends inside a transaction (no SE)");
    if (this.group !== undefined) this.report(last, "the file ends inside a functional group (no GE)");
    if (this.interchange !== undefined) this.report(last, "the file ends inside an interchange (no IEA)");
  }

  private visit(seg: Segment): void {
    const max = MAX_ELEMENTS[seg.id];
    if (max !== undefined && seg.elements.length - 1 > max)
      this.report(seg, `${seg.id} holds at most ${max} elements, found ${seg.elements.length - 1}`);
    switch (seg.id) {
      case "ISA":
        this.openInterchange(seg);
        break;
      case "IEA":
        this.closeInterchange(seg);
        break;
      case "GS":
        this.openGroup(seg);
        break;
      case "GE":
        this.closeGroup(seg);
        break;
      case "ST":
        this.openTransaction(seg);
        break;
      case "SE":
        this.closeTransaction(seg);
        break;
      default:
        if (this.transaction !== undefined) this.transaction.push(seg);
        else this.report(seg, "segment outside a transaction (ST/SE)");
        for (const problem of elementProblems(seg)) this.report(seg, problem);
    }
  }

  private openInterchange(isa: Segment): void {
    if (this.interchange !== undefined) this.report(isa, "ISA before the IEA of the previous interchange");
    this.transaction = undefined;
    this.group = undefined;
    this.interchange = { isa, groups: 0, groupNumbers: new Set() };
    this.interchanges++;
    const control = el(isa, 13);
    if (this.isaControlNumber === undefined) this.isaControlNumber = control;
    if (this.interchangeNumbers.has(control))
      this.report(isa, "ISA13 repeats the control number of an earlier interchange in this file");
    this.interchangeNumbers.add(control);
    this.checkIsa(isa);
  }

  private checkIsa(isa: Segment): void {
    const d = isa.delimiters;
    const length = isa.elements.join(d.element).length + 1;
    if (length !== 106)
      this.report(isa, `ISA must be exactly 106 characters including its terminator, found ${length}`);
    if (isa.elements.length !== 17) {
      this.report(isa, `ISA must have 16 elements, found ${isa.elements.length - 1}`);
      return;
    }
    for (let n = 1; n <= 16; n++) {
      const w = ISA_WIDTHS[n] as number;
      const v = el(isa, n);
      if (v.length !== w) this.report(isa, `ISA${String(n).padStart(2, "0")} must be ${w} characters wide`);
    }
    if (!isCalendarDate6(el(isa, 9))) this.report(isa, "ISA09 must be a calendar date YYMMDD");
    if (!isTime(el(isa, 10)) || el(isa, 10).length !== 4) this.report(isa, "ISA10 must be a time HHMM");
    if (el(isa, 12) !== "00501") this.report(isa, "ISA12 must be 00501 (version 5010)");
    if (!/^\d{9}$/.test(el(isa, 13))) this.report(isa, "ISA13 must be 9 digits");
    if (el(isa, 14) !== "0" && el(isa, 14) !== "1") this.report(isa, "ISA14 must be 0 or 1");
    if (el(isa, 15) !== "P" && el(isa, 15) !== "T") this.report(isa, "ISA15 must be P or T");
    const rep = el(isa, 11);
    if (/^[A-Za-z0-9 ]$/.test(rep) || rep === d.element || rep === d.component || rep === d.segment)
      this.report(
        isa,
        "ISA11 (repetition separator) must be a special character distinct from the other delimiters",
      );
  }

  private closeInterchange(iea: Segment): void {
    const ic = this.interchange;
    if (ic === undefined) {
      this.report(iea, "IEA without a matching ISA");
      return;
    }
    if (this.group !== undefined) this.report(iea, "IEA before the GE of the open functional group");
    this.group = undefined;
    this.transaction = undefined;
    if (el(iea, 1) !== String(ic.groups))
      this.report(iea, `IEA01 must be ${ic.groups} (the number of functional groups in the interchange)`);
    if (el(iea, 2) !== el(ic.isa, 13))
      this.report(iea, "IEA02 must equal ISA13 (interchange control number)");
    this.interchange = undefined;
  }

  private openGroup(gs: Segment): void {
    if (this.interchange === undefined) this.report(gs, "GS outside an interchange (ISA/IEA)");
    else this.interchange.groups++;
    if (this.group !== undefined) this.report(gs, "GS before the GE of the previous functional group");
    this.transaction = undefined;
    this.group = { gs, transactions: 0, transactionNumbers: new Set() };
    if (this.interchange !== undefined) {
      if (this.interchange.groupNumbers.has(el(gs, 6)))
        this.report(gs, "GS06 repeats the control number of an earlier group in this interchange");
      this.interchange.groupNumbers.add(el(gs, 6));
    }
    if (el(gs, 1) !== "HC") this.report(gs, "GS01 must be HC (health care claim)");
    for (const n of [2, 3]) {
      const v = el(gs, n);
      if (v.length < 2 || v.length > 15) this.report(gs, `GS0${n} must be 2 to 15 characters`);
    }
    if (!isCalendarDate8(el(gs, 4))) this.report(gs, "GS04 must be a calendar date CCYYMMDD");
    if (!isTime(el(gs, 5))) this.report(gs, "GS05 must be a time HHMM[SS[D[D]]]");
    if (!DIGITS.test(el(gs, 6)) || el(gs, 6).length > 9) this.report(gs, "GS06 must be 1 to 9 digits");
    if (el(gs, 7) !== "X") this.report(gs, "GS07 must be X");
    if (!VERSION.test(el(gs, 8))) this.report(gs, "GS08 must be 005010X222A1 (837 Professional)");
  }

  private closeGroup(ge: Segment): void {
    const g = this.group;
    if (g === undefined) {
      this.report(ge, "GE without a matching GS");
      return;
    }
    if (this.transaction !== undefined) this.report(ge, "GE before the SE of the open transaction");
    this.transaction = undefined;
    if (el(ge, 1) !== String(g.transactions))
      this.report(ge, `GE01 must be ${g.transactions} (the number of transactions in the group)`);
    if (el(ge, 2) !== el(g.gs, 6)) this.report(ge, "GE02 must equal GS06 (group control number)");
    this.group = undefined;
  }

  private openTransaction(st: Segment): void {
    if (this.group === undefined) this.report(st, "ST outside a functional group (GS/GE)");
    else this.group.transactions++;
    if (this.transaction !== undefined) this.report(st, "ST before the SE of the previous transaction");
    this.transaction = [st];
    this.transactions++;
    if (this.group !== undefined) {
      if (this.group.transactionNumbers.has(el(st, 2)))
        this.report(st, "ST02 repeats the control number of an earlier transaction in this group");
      this.group.transactionNumbers.add(el(st, 2));
    }
    if (el(st, 1) !== "837") this.report(st, "ST01 must be 837");
    const control = el(st, 2);
    if (control.length < 4 || control.length > 9) this.report(st, "ST02 must be 4 to 9 characters");
    const version = el(st, 3);
    if (version !== "" && !VERSION.test(version)) this.report(st, "ST03 must be 005010X222A1");
    else if (version !== "" && this.group !== undefined && version !== el(this.group.gs, 8))
      this.report(st, "ST03 must equal GS08");
  }

  private closeTransaction(se: Segment): void {
    const t = this.transaction;
    if (t === undefined) {
      this.report(se, "SE without a matching ST");
      return;
    }
    t.push(se);
    this.transaction = undefined;
    const st = t[0] as Segment;
    if (el(se, 1) !== String(t.length))
      this.report(se, `SE01 must be ${t.length} (the segments from ST to SE, both included)`);
    if (el(se, 2) !== el(st, 2)) this.report(se, "SE02 must equal ST02 (transaction set control number)");
    if (el(st, 1) !== "837") return;
    const ctx: TransactionContext = {
      component: st.delimiters.component,
      claimNumbers: this.claimNumbers,
      seenClaims: this.seenClaims,
      violations: this.violations,
    };
    check837Transaction(t, ctx);
  }
}

/** Validates an 837P file; every violation is reported with its segment position. Never throws. */
export function validate837(text: string): ValidationResult {
  const read = readSegments(text);
  if (read.delimiters === undefined) {
    return { ok: false, violations: read.violations, interchanges: 0, claimCount: 0, claimNumbers: [] };
  }
  const check = new FileCheck();
  check.run(read.segments);
  const violations = [...read.violations, ...check.violations].sort((a, b) => a.segment - b.segment);
  const last = read.segments[read.segments.length - 1];
  if (last === undefined) violations.push({ segment: 1, id: "ISA", message: "the file holds no segments" });
  else if (check.transactions === 0)
    violations.push({ segment: last.pos, id: last.id, message: "the file holds no transaction (ST/SE)" });
  return {
    ok: violations.length === 0,
    violations,
    interchanges: check.interchanges,
    claimCount: check.claimNumbers.length,
    claimNumbers: check.claimNumbers,
    ...(check.isaControlNumber === undefined ? {} : { isaControlNumber: check.isaControlNumber }),
  };
}
