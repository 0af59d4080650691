// Number and date formats of X12 elements (src/edi/format.ts), at their boundaries: the cases
// mutation testing found unchecked (test/MUTATION.md).
import { describe, expect, it } from "vitest";
import {
  formatDate6,
  formatDate8,
  formatQuantity,
  formatTime4,
  isD8Date,
  padRight,
  zeroPad,
} from "../../src/edi/format.js";

describe("dates and times", () => {
  it("are written in UTC with two-digit fields zero-padded", () => {
    const d = new Date("2005-03-07T04:09:00Z");
    expect(formatDate8(d)).toBe("20050307");
    expect(formatDate6(d)).toBe("050307");
    expect(formatTime4(d)).toBe("0409");
    const late = new Date("2024-12-31T23:59:00Z");
    expect(formatDate8(late)).toBe("20241231");
    expect(formatDate6(late)).toBe("241231");
    expect(formatTime4(late)).toBe("2359");
  });

  it("CCYYMMDD takes the four-digit years 1000 to 9999 and nothing else", () => {
    expect(isD8Date(new Date("1000-01-01T00:00:00Z"))).toBe(true);
    expect(isD8Date(new Date("9999-12-31T23:59:59Z"))).toBe(true);
    expect(isD8Date(new Date("0999-12-31T23:59:59Z"))).toBe(false);
    expect(isD8Date(new Date("+010000-01-01T00:00:00Z"))).toBe(false);
    expect(isD8Date(new Date(Number.NaN))).toBe(false);
  });
});

describe("formatQuantity", () => {
  it("writes whole quantities exactly, up to the last one with 15 digits", () => {
    // Scaling a large whole number by 1000 would leave float noise in the decimals.
    expect(formatQuantity(999_999_999_999_999)).toBe("999999999999999");
    expect(formatQuantity(123_456_789_012_345)).toBe("123456789012345");
    expect(formatQuantity(1e15)).toBe(""); // 16 digits do not fit an R element
  });

  it("never leaves a trailing point when the decimals round away", () => {
    expect(formatQuantity(2.0001)).toBe("2");
    expect(formatQuantity(0.9999)).toBe("1");
  });
});

describe("padding", () => {
  it("pads ISA ids to their width and leaves a value already at or over it alone", () => {
    expect(padRight("AB", 5)).toBe("AB   ");
    expect(padRight("ABCDE", 5)).toBe("ABCDE");
    expect(padRight("ABCDEFG", 5)).toBe("ABCDEFG");
    expect(zeroPad(42, 9)).toBe("000000042");
    expect(zeroPad(999_999_999, 9)).toBe("999999999");
  });
});
