// Element rules of the 005010 data element dictionary for the 837P segments the validator knows:
// minimum and maximum length of each simple element, and dates that must be calendar dates
// (DMG `19801399` is not one; nor is February 30th). Only elements that carry a value are
// checked: an element left empty is the loop rules' business (validate-837p.ts). Messages name
// the element and the rule, never the value (it may be PHI).
import type { Segment } from "./x12-reader.js";

/** [min, max] length per element position, from the X12 5010 element dictionary. */
const LENGTHS: Readonly<Record<string, Readonly<Record<number, readonly [number, number]>>>> = {
  BHT: { 1: [4, 4], 2: [2, 2], 3: [1, 50], 4: [8, 8], 5: [4, 8], 6: [2, 2] },
  NM1: {
    1: [2, 3],
    2: [1, 1],
    3: [1, 60],
    4: [1, 35],
    5: [1, 25],
    6: [1, 10],
    7: [1, 10],
    8: [1, 2],
    9: [2, 80],
  },
  PER: { 1: [2, 2], 2: [1, 60], 3: [2, 2], 4: [1, 256], 5: [2, 2], 6: [1, 256], 7: [2, 2], 8: [1, 256] },
  N3: { 1: [1, 55], 2: [1, 55] },
  N4: { 1: [2, 30], 2: [2, 2], 3: [3, 15], 4: [2, 3], 7: [1, 3] },
  REF: { 1: [2, 3], 2: [1, 50], 3: [1, 80] },
  HL: { 1: [1, 12], 2: [1, 12], 3: [1, 2], 4: [1, 1] },
  PRV: { 1: [1, 3], 2: [2, 3], 3: [1, 50] },
  SBR: { 1: [1, 1], 2: [2, 2], 3: [1, 50], 4: [1, 60], 5: [1, 3], 9: [1, 2] },
  PAT: { 1: [2, 2], 5: [2, 3], 6: [1, 35], 7: [2, 2], 8: [1, 10], 9: [1, 1] },
  DMG: { 1: [2, 3], 2: [1, 35], 3: [1, 1] },
  CLM: { 1: [1, 38], 2: [1, 18], 6: [1, 1], 7: [1, 1], 8: [1, 1], 9: [1, 1], 10: [1, 1], 20: [1, 2] },
  LX: { 1: [1, 6] },
  SV1: { 2: [1, 18], 3: [2, 2], 4: [1, 15], 5: [1, 2], 9: [1, 1], 11: [1, 1], 12: [1, 1], 15: [1, 1] },
  DTP: { 1: [3, 3], 2: [2, 3], 3: [1, 35] },
};

const D8 = /^(\d{4})(\d{2})(\d{2})$/;

/** A real day of the proleptic Gregorian calendar, CCYYMMDD. */
export function isCalendarDate8(s: string): boolean {
  const m = D8.exec(s);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] as number;
  return day <= days;
}

/** ISA09 YYMMDD: read in this century (leap years then agree with what a receiver computes). */
export function isCalendarDate6(s: string): boolean {
  return /^\d{6}$/.test(s) && isCalendarDate8(`20${s}`);
}

/** A date element under its format qualifier (D8 or RD8); other qualifiers are not checked. */
function dateProblem(qualifier: string, value: string): string | undefined {
  if (qualifier === "D8") return isCalendarDate8(value) ? undefined : "a calendar date CCYYMMDD (D8)";
  if (qualifier === "RD8") {
    const [from, to, ...rest] = value.split("-");
    if (rest.length > 0 || from === undefined || to === undefined) return "a range CCYYMMDD-CCYYMMDD (RD8)";
    if (!isCalendarDate8(from) || !isCalendarDate8(to)) return "two calendar dates CCYYMMDD-CCYYMMDD (RD8)";
    if (from > to) return "a range whose start is not after its end (RD8)";
  }
  return undefined;
}

const name = (seg: Segment, n: number) => `${seg.id}${String(n).padStart(2, "0")}`;

/** Every element rule `seg` breaks, as messages. */
export function elementProblems(seg: Segment): string[] {
  const problems: string[] = [];
  const lengths = LENGTHS[seg.id];
  if (lengths !== undefined) {
    for (const [pos, [min, max]] of Object.entries(lengths)) {
      const n = Number(pos);
      const v = seg.elements[n];
      if (v === undefined || v === "") continue;
      if (v.length < min || v.length > max)
        problems.push(
          `${name(seg, n)} must be ${min === max ? `${min}` : `${min} to ${max}`} characters, found ${v.length}`,
        );
    }
  }
  const date = (n: number, qualifier: string) => {
    const v = seg.elements[n];
    if (v === undefined || v === "") return;
    const p = dateProblem(qualifier, v);
    if (p !== undefined) problems.push(`${name(seg, n)} must be ${p}`);
  };
  if (seg.id === "DTP") date(3, seg.elements[2] ?? "");
  else if (seg.id === "DMG") date(2, seg.elements[1] ?? "");
  else if (seg.id === "BHT") date(4, "D8");
  return problems;
}
