// Number and date formats of X12 elements. All dates are read in UTC so the same document renders
// the same bytes on any machine, whatever its time zone.

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** CCYYMMDD (D8, GS04). */
export function formatDate8(d: Date): string {
  return `${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}`;
}

/** YYMMDD (ISA09). */
export function formatDate6(d: Date): string {
  return `${pad2(d.getUTCFullYear() % 100)}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}`;
}

/** HHMM (ISA10, GS05, BHT05). */
export function formatTime4(d: Date): string {
  return `${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}`;
}

/** A date can be written as CCYYMMDD only with a four-digit year. */
export function isD8Date(d: Date): boolean {
  const y = d.getUTCFullYear();
  return Number.isFinite(y) && y >= 1000 && y <= 9999;
}

/** Decimal places kept for quantities (SV104 units, CTP04 drug quantity). */
export const QUANTITY_DECIMALS = 3;
const QUANTITY_SCALE = 10 ** QUANTITY_DECIMALS;

/** R elements (SV104, CTP04) hold at most 15 digits. */
const MAX_QUANTITY = 1e15;

/**
 * X12 R-type quantity: never an exponent, at most three decimals, no trailing zeros
 * ("1", "2.5", "0.125"). Returns "" when the value rounds to zero, is not positive or does not
 * fit 15 digits.
 */
export function formatQuantity(n: number): string {
  if (!(n > 0) || !Number.isFinite(n) || n >= MAX_QUANTITY) return "";
  if (Number.isInteger(n)) return String(n);
  const scaled = Math.round(n * QUANTITY_SCALE);
  if (scaled === 0) return "";
  const whole = Math.trunc(scaled / QUANTITY_SCALE);
  let frac = String(scaled % QUANTITY_SCALE).padStart(QUANTITY_DECIMALS, "0");
  while (frac.endsWith("0")) frac = frac.slice(0, -1);
  return frac.length === 0 ? String(whole) : `${whole}.${frac}`;
}

/** Right-pads to a fixed width (ISA06/ISA08). */
export function padRight(s: string, width: number): string {
  return s.length >= width ? s : s + " ".repeat(width - s.length);
}

/** Left-pads digits with zeros (ISA13, IEA02). */
export function zeroPad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}
