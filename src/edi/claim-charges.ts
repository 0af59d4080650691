// The total charge of an 837 file read back from its text: the sum of CLM02 over its claims.
// `report daily` needs it for batches recorded before edi_batches carried `total_charge_cents`
// (their content is all that holds the amounts, until retention removes it).
import { parseAmount } from "./validate-837p.js";
import { readSegments } from "./x12-reader.js";

/** parseAmount's unit is 10^-6; cents are 10^-2. */
const MICROS_PER_CENT = 10_000n;

/** Sum of CLM02 in cents, or undefined when the text is not an 837 or an amount is unreadable. */
export function sumClaimCharges(text: string): number | undefined {
  const read = readSegments(text);
  if (read.delimiters === undefined) return undefined;
  let total = 0n;
  for (const seg of read.segments) {
    if (seg.id !== "CLM") continue;
    const amount = parseAmount(seg.elements[2] ?? "");
    if (amount === undefined || amount < 0n || amount % MICROS_PER_CENT !== 0n) return undefined;
    total += amount / MICROS_PER_CENT;
  }
  return total > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(total);
}
