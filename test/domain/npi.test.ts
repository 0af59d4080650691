// The NPI check digit is the Luhn check over the NPI prefixed by 80840 (the card issuer prefix
// the NPI standard uses); the implementation folds the prefix into a constant, these tests check
// it against a plain Luhn over all 15 digits.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isValidNpi, npiWithCheckDigit } from "../../src/domain/npi.js";
import { parseNpiRecord } from "../../src/domain/npi-record.js";
import { propertyRuns } from "../support/property-runs.js";

/** Textbook Luhn over a digit string: double every second digit from the right. */
function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const digits = (n: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((a) => a.join(""));

describe("NPI check digit", () => {
  it("accepts published example NPIs and rejects them with a changed check digit", () => {
    // 1234567893 is the worked example of the CMS NPI check-digit document.
    for (const npi of ["1234567893", "1245319599", "1003000126", "1497758544"]) {
      expect(isValidNpi(npi)).toBe(true);
      const wrong = `${npi.slice(0, 9)}${(Number(npi[9]) + 1) % 10}`;
      expect(isValidNpi(wrong)).toBe(false);
    }
  });

  it("is the Luhn check over 80840 followed by the ten digits", () => {
    fc.assert(
      fc.property(digits(10), (npi) => {
        expect(isValidNpi(npi)).toBe(luhn(`80840${npi}`));
      }),
      { numRuns: propertyRuns(5000) },
    );
  });

  it("completes any nine-digit base, and any single changed digit breaks the result", () => {
    fc.assert(
      fc.property(
        digits(9),
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        (base, at, delta) => {
          const npi = npiWithCheckDigit(base);
          expect(npi.startsWith(base)).toBe(true);
          expect(isValidNpi(npi)).toBe(true);
          const changed = `${npi.slice(0, at)}${(Number(npi[at]) + delta) % 10}${npi.slice(at + 1)}`;
          expect(isValidNpi(changed)).toBe(false);
        },
      ),
      { numRuns: propertyRuns(2000) },
    );
  });

  it("rejects anything but ten ASCII digits", () => {
    for (const bad of [
      "",
      "123456789",
      "12345678933",
      "123456789O",
      " 1234567893",
      "１２３４５６７８９３",
      "+234567893",
    ]) {
      expect(isValidNpi(bad)).toBe(false);
    }
    expect(() => npiWithCheckDigit("12345")).toThrow(new RangeError("base must be 9 digits"));
  });

  it("is enforced by the schemas with a rule text and no value", () => {
    const r = parseNpiRecord({ npi: "1234567890", entity_type: 1, last_name: "House" });
    expect(r).toEqual({
      ok: false,
      issues: [{ path: "npi", message: "fails the NPI check digit (Luhn, prefix 80840)" }],
    });
  });
});
