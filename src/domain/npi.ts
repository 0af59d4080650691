// NPI check digit: the Luhn algorithm over the 9 base digits prefixed by the card issuer
// identifier 80840, which contributes a constant 24 to the sum (CMS NPI check-digit standard).

const NPI_SHAPE = /^\d{10}$/;

export function isValidNpi(npi: string): boolean {
  if (!NPI_SHAPE.test(npi)) return false;
  let sum = 24; // contribution of the 80840 prefix
  // Double every other digit starting from the rightmost of the 9-digit base.
  for (let i = 0; i < 9; i++) {
    let d = npi.charCodeAt(8 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  const check = (10 - (sum % 10)) % 10;
  return check === npi.charCodeAt(9) - 48;
}

/** Appends the check digit to a 9-digit base; used by the seeder and tests. */
export function npiWithCheckDigit(base9: string): string {
  for (let c = 0; c <= 9; c++) {
    const candidate = `${base9}${c}`;
    if (isValidNpi(candidate)) return candidate;
  }
  throw new RangeError("base must be 9 digits");
}
