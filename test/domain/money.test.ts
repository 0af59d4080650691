// Money arrives as number, string or Decimal128 and becomes integer cents, exactly.
import fc from "fast-check";
import { Decimal128 } from "mongodb";
import { describe, expect, it } from "vitest";
import { parseClaim } from "../../src/domain/claim.js";
import { decimalTextToCents, formatCents, MAX_CENTS, toCents } from "../../src/domain/money.js";
import { claimDoc, lineDoc } from "../edi/builders.js";
import { propertyRuns } from "../support/property-runs.js";

const cents = (value: unknown) => toCents(value);

describe("toCents", () => {
  it("reads numbers, tolerating binary float noise but not a third decimal", () => {
    expect(cents(12.5)).toEqual({ ok: true, cents: 1250 });
    expect(cents(0.1 + 0.2)).toEqual({ ok: true, cents: 30 });
    expect(cents(19.99)).toEqual({ ok: true, cents: 1999 });
    expect(cents(0)).toEqual({ ok: true, cents: 0 });
    expect(Object.is((cents(-0) as { cents: number }).cents, 0)).toBe(true);
    expect(cents(1.005)).toEqual({ ok: false, message: "must have at most 2 decimal places" });
    // A third decimal is refused at any size, not only for small amounts.
    expect(cents(123456789.123)).toEqual({ ok: false, message: "must have at most 2 decimal places" });
    expect(cents(9999999999.99)).toEqual({ ok: true, cents: 999999999999 });
    expect(cents(-1)).toEqual({ ok: false, message: "must not be negative" });
    expect(cents(Number.NaN)).toEqual({ ok: false, message: "must be a finite amount" });
    expect(cents(Number.POSITIVE_INFINITY)).toEqual({ ok: false, message: "must be a finite amount" });
    expect(cents(MAX_CENTS / 100)).toEqual({ ok: true, cents: MAX_CENTS });
    expect(cents(MAX_CENTS / 100 + 1)).toEqual({ ok: false, message: "amount out of range" });
  });

  it("reads decimal strings exactly, with exponents, signs and spaces", () => {
    expect(cents("12.50")).toEqual({ ok: true, cents: 1250 });
    expect(cents(" 7 ")).toEqual({ ok: true, cents: 700 });
    expect(cents("12.")).toEqual({ ok: true, cents: 1200 });
    expect(cents(".5")).toEqual({ ok: true, cents: 50 });
    expect(cents("+3.1")).toEqual({ ok: true, cents: 310 });
    expect(cents("1e2")).toEqual({ ok: true, cents: 10000 });
    expect(cents("1.5E+3")).toEqual({ ok: true, cents: 150000 });
    expect(cents("125E-2")).toEqual({ ok: true, cents: 125 });
    expect(cents("12.500000")).toEqual({ ok: true, cents: 1250 });
    expect(cents("-0.00")).toEqual({ ok: true, cents: 0 });
    expect(cents("0.001")).toEqual({ ok: false, message: "must have at most 2 decimal places" });
    expect(cents("-5")).toEqual({ ok: false, message: "must not be negative" });
    for (const bad of ["", ".", "abc", "1,000.00", "$5", "1e", "0x10", "NaN", "Infinity", "1 000"]) {
      expect(cents(bad)).toEqual({ ok: false, message: "must be a decimal amount" });
    }
    expect(cents("1e41")).toEqual({ ok: false, message: "amount out of range" });
    expect(cents("9".repeat(20))).toEqual({ ok: false, message: "amount out of range" });
    expect(cents("1".repeat(1_000_000))).toEqual({ ok: false, message: "amount out of range" });
  });

  // Boundaries found by mutation testing (test/MUTATION.md): each limit is inclusive exactly where
  // the comment in money.ts says, and a limit counts every digit, whichever side of the point.
  it("holds its limits exactly at the boundaries", () => {
    expect(cents("9999999999.99")).toEqual({ ok: true, cents: MAX_CENTS });
    expect(cents("10000000000.00")).toEqual({ ok: false, message: "amount out of range" });
    // 64 digits are read (leading zeros count); a 65th is refused before BigInt sees it.
    expect(cents(`${"0".repeat(63)}5`)).toEqual({ ok: true, cents: 500 });
    expect(cents(`${"0".repeat(64)}5`)).toEqual({ ok: false, message: "amount out of range" });
    // Fraction digits count towards the cap too, even zeros that would parse to a small amount.
    expect(cents(`1.${"0".repeat(63)}`)).toEqual({ ok: true, cents: 100 });
    expect(cents(`1.${"0".repeat(70)}`)).toEqual({ ok: false, message: "amount out of range" });
    // Exponents up to 40 either way are read, beyond that refused even for zero.
    expect(cents("0e40")).toEqual({ ok: true, cents: 0 });
    expect(cents("0e-40")).toEqual({ ok: true, cents: 0 });
    expect(cents("0e41")).toEqual({ ok: false, message: "amount out of range" });
    expect(cents("0e-41")).toEqual({ ok: false, message: "amount out of range" });
  });

  it("reads BSON Decimal128 through its exact decimal text", () => {
    expect(cents(Decimal128.fromString("125.50"))).toEqual({ ok: true, cents: 12550 });
    expect(cents(Decimal128.fromString("1.50E+3"))).toEqual({ ok: true, cents: 150000 });
    expect(cents(Decimal128.fromString("1E-2"))).toEqual({ ok: true, cents: 1 });
    expect(cents(Decimal128.fromString("0.005"))).toEqual({
      ok: false,
      message: "must have at most 2 decimal places",
    });
    expect(cents(Decimal128.fromString("-1"))).toEqual({ ok: false, message: "must not be negative" });
    expect(cents(Decimal128.fromString("NaN"))).toEqual({ ok: false, message: "must be a decimal amount" });
  });

  it("refuses a document that only claims to be a Decimal128", () => {
    // A hostile document can carry `_bsontype`; without a callable toString it is refused, not thrown on.
    for (const fake of [
      { _bsontype: "Decimal128", toString: "12.00" },
      { _bsontype: "Decimal128", toString: null },
    ]) {
      expect(cents(fake)).toEqual({ ok: false, message: "must be a number, decimal string or Decimal128" });
    }
  });

  it("refuses every other type", () => {
    for (const bad of [null, undefined, true, {}, [12], 12n, { $numberDecimal: "12.00" }, new Date(0)]) {
      expect(cents(bad)).toEqual({ ok: false, message: "must be a number, decimal string or Decimal128" });
    }
  });

  it("agrees across representations for every amount in range", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_CENTS }), (n) => {
        const text = `${Math.trunc(n / 100)}.${String(n % 100).padStart(2, "0")}`;
        expect(decimalTextToCents(text)).toEqual({ ok: true, cents: n });
        expect(cents(Decimal128.fromString(text))).toEqual({ ok: true, cents: n });
        expect(cents(Number(text))).toEqual({ ok: true, cents: n });
        expect(decimalTextToCents(formatCents(n))).toEqual({ ok: true, cents: n });
      }),
      { numRuns: propertyRuns(2000) },
    );
  });
});

describe("formatCents", () => {
  it("writes X12 amounts without trailing zeros", () => {
    expect(formatCents(0)).toBe("0");
    expect(formatCents(5)).toBe("0.05");
    expect(formatCents(50)).toBe("0.5");
    expect(formatCents(100)).toBe("1");
    expect(formatCents(12550)).toBe("125.5");
    expect(formatCents(1234567)).toBe("12345.67");
    expect(formatCents(MAX_CENTS)).toBe("9999999999.99");
  });
});

describe("claim total", () => {
  it("must equal the sum of the line charges, whatever representation each uses", () => {
    const lines = [
      lineDoc({ charge: 0.1 }),
      lineDoc({ charge: "0.20" }),
      lineDoc({ charge: Decimal128.fromString("100.7") }),
    ];
    const ok = parseClaim(claimDoc({ lines, total_charge: Decimal128.fromString("101.00") }));
    expect(ok.ok && ok.value.total_charge).toBe(10100);
    expect(ok.ok && ok.value.lines.map((l) => l.charge)).toEqual([10, 20, 10070]);
    expect(parseClaim(claimDoc({ lines, total_charge: 101.01 }))).toEqual({
      ok: false,
      issues: [{ path: "total_charge", message: "must equal the sum of line charges" }],
    });
    expect(parseClaim(claimDoc({ lines, total_charge: "lots" }))).toEqual({
      ok: false,
      issues: [{ path: "total_charge", message: "must be a decimal amount" }],
    });
  });
});
