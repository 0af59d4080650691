// The date rules of src/edi/element-rules.ts: isCalendarDate8 at the edges of a month, and
// elementProblems' D8/RD8 messages for DTP (qualifier DTP02, date DTP03); other qualifiers are
// not checked, and an empty date element is left to the required-element rules.
import { describe, expect, it } from "vitest";
import { elementProblems, isCalendarDate6, isCalendarDate8 } from "../../src/edi/element-rules.js";
import type { Segment } from "../../src/edi/x12-reader.js";

const DELIMITERS = { element: "*", component: ":", segment: "~", repetition: "^" } as const;
const dtp = (...elements: string[]): Segment => ({
  pos: 1,
  id: "DTP",
  elements: ["DTP", ...elements],
  delimiters: DELIMITERS,
});

describe("isCalendarDate8", () => {
  it.each([
    ["20260101", true],
    ["20261231", true],
    ["20240229", true],
    ["20260100", false], // day 0
    ["20260001", false], // month 0
    ["20261301", false], // month 13
    ["20260229", false],
    ["20260431", false],
  ])("%s is %s", (s, ok) => {
    expect(isCalendarDate8(s)).toBe(ok);
  });

  it("reads ISA09 YYMMDD in this century", () => {
    expect(isCalendarDate6("260315")).toBe(true);
    expect(isCalendarDate6("260100")).toBe(false);
    expect(isCalendarDate6("2603150")).toBe(false);
  });
});

describe("elementProblems: DTP dates", () => {
  it.each<[string[], string[]]>([
    [["472", "D8", "20260310"], []],
    [["472", "D8", "20260300"], ["DTP03 must be a calendar date CCYYMMDD (D8)"]],
    [["472", "RD8", "20260301-20260310"], []],
    [["472", "RD8", "20260301-20260301"], []],
    [["472", "RD8", "20260301"], ["DTP03 must be a range CCYYMMDD-CCYYMMDD (RD8)"]],
    [["472", "RD8", "20260301-20260302-20260303"], ["DTP03 must be a range CCYYMMDD-CCYYMMDD (RD8)"]],
    [["472", "RD8", "20260301-20260300"], ["DTP03 must be two calendar dates CCYYMMDD-CCYYMMDD (RD8)"]],
    [["472", "RD8", "20260310-20260301"], ["DTP03 must be a range whose start is not after its end (RD8)"]],
    // Other qualifiers carry other formats (DT: CCYYMMDDHHMM); they are not checked here.
    [["472", "DT", "202603101200"], []],
    // An empty date is not a malformed date: the required-element rules report a missing one.
    [["472", "D8", ""], []],
    [["472", "RD8", ""], []],
  ])("DTP*%j", (elements, problems) => {
    expect(elementProblems(dtp(...elements))).toEqual(problems);
  });
});
