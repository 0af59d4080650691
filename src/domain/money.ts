// Money arrives as number, string or BSON Decimal128 and is held as integer cents, so totals
// are exact. Parsing is exact too (BigInt over the decimal digits), never float arithmetic.

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
/** Largest amount accepted: SV102/CLM02 are R 1/18 but cents must stay a safe integer. */
export const MAX_CENTS = 9_999_999_999_99;
const FLOAT_NOISE_CENTS = 1e-3;
/** Digits a decimal text may hold (leading and trailing zeros included). */
const MAX_DIGITS = 64;

export type MoneyResult = { ok: true; cents: number } | { ok: false; message: string };

function isDecimal128(value: unknown): value is { toString(): string } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { _bsontype?: unknown })._bsontype === "Decimal128" &&
    typeof (value as { toString?: unknown }).toString === "function"
  );
}

/** Parses a decimal text into cents; rejects more than two significant fraction digits. */
export function decimalTextToCents(text: string): MoneyResult {
  const m = DECIMAL.exec(text.trim());
  if (!m) return { ok: false, message: "must be a decimal amount" };
  const [, sign, intPart = "", fracPart = "", expPart] = m;
  // "12", "12.", ".5" and "12.50" are amounts; "." and "" are not.
  if (intPart.length + fracPart.length === 0) return { ok: false, message: "must be a decimal amount" };
  // BigInt parsing grows faster than linearly: a megabyte of digits must not stall the processor.
  if (intPart.length + fracPart.length > MAX_DIGITS) return { ok: false, message: "amount out of range" };
  const exp = expPart ? Number.parseInt(expPart, 10) : 0;
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > 40) return { ok: false, message: "amount out of range" };
  // value = digits * 10^(exp - fracLen); cents = value * 100
  const digits = BigInt(`${intPart}${fracPart}`);
  const scale = exp - fracPart.length + 2;
  let cents: bigint;
  if (scale >= 0) cents = digits * 10n ** BigInt(scale);
  else {
    const div = 10n ** BigInt(-scale);
    if (digits % div !== 0n) return { ok: false, message: "must have at most 2 decimal places" };
    cents = digits / div;
  }
  if (sign === "-" && cents !== 0n) return { ok: false, message: "must not be negative" };
  if (cents > BigInt(MAX_CENTS)) return { ok: false, message: "amount out of range" };
  return { ok: true, cents: Number(cents) };
}

export function toCents(value: unknown): MoneyResult {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return { ok: false, message: "must be a finite amount" };
    if (value < 0) return { ok: false, message: "must not be negative" };
    // `+ 0` turns -0 into 0, so a zero amount is one value however it arrived.
    const cents = Math.round(value * 100) + 0;
    // Binary floats cannot hold 0.1 exactly; accept anything within rounding noise of whole cents.
    // The noise stays below 1e-3 cents up to MAX_CENTS (one ulp of 1e12 is about 1.2e-4), while a
    // third decimal is at least 0.1 cents off: an absolute bound separates the two at any size.
    if (Math.abs(value * 100 - cents) > FLOAT_NOISE_CENTS) {
      return { ok: false, message: "must have at most 2 decimal places" };
    }
    if (cents > MAX_CENTS) return { ok: false, message: "amount out of range" };
    return { ok: true, cents };
  }
  if (typeof value === "string") return decimalTextToCents(value);
  if (isDecimal128(value)) return decimalTextToCents(value.toString());
  return { ok: false, message: "must be a number, decimal string or Decimal128" };
}

/** Formats cents for X12 monetary elements: no trailing zeros, no leading zeros ("150", "12.5"). */
export function formatCents(cents: number): string {
  const whole = Math.trunc(cents / 100);
  const frac = cents % 100;
  if (frac === 0) return String(whole);
  const f = frac.toString().padStart(2, "0");
  return `${whole}.${f.endsWith("0") ? f.slice(0, 1) : f}`;
}
