// EDI_GROUP_FILTER's common core of JavaScript RegExp and MongoDB's PCRE: what is accepted, and
// that everything outside it is refused with the position of the first offending character.
// (test/integration/stream-safety.test.ts runs the accepted ones through MongoDB's $regex.)
import { describe, expect, it } from "vitest";
import { checkPortableRegex } from "../../src/domain/portable-regex.js";
import { PORTABLE } from "../support/portable-regex-cases.js";

describe("checkPortableRegex", () => {
  it.each(PORTABLE)("accepts %s", (source) => {
    expect(checkPortableRegex(source)).toBeNull();
  });

  it.each([
    ["^[[:upper:]]", 3, /POSIX/],
    ["^GRP\\s", 5, /\\s/],
    ["\\bGRP", 1, /\\b/],
    ["\\p{Lu}", 1, /\\p/],
    ["(a)\\1", 4, /\\1/],
    ["(?=GRP)", 1, /\(\?/],
    ["a{,3}", 2, /quantifier/],
    ["a{2}{3}", 1, /valid/],
    ["*a", 1, /valid/],
    ["^*", 1, /valid/],
    ["[a-z-9]", 5, /'-'/],
    ["[\\d-z]", 4, /'-'/],
    ["[]a]", 2, /empty class/],
    ["a]", 2, /unescaped ']'/],
    ["a}", 2, /unescaped '}'/],
    ["GRPé", 4, /non-ASCII/],
    ["GRP\t", 4, /control/],
    ["", 1, /empty/],
    ["x".repeat(201), 201, /longer/],
  ])("refuses %s at character %i", (source, position, message) => {
    const problem = checkPortableRegex(source);
    expect(problem?.position).toBe(position);
    expect(problem?.message).toMatch(message);
  });
});

// Each case below is accepted by JavaScript's RegExp (Annex B reads a stray `{` or `]` as a
// literal), so only the checker stands between it and a filter the two dialects read apart.
describe("checkPortableRegex: the checker's own rules, past what RegExp already refuses", () => {
  it.each([
    "x".repeat(200), // the longest filter allowed
    " GRP~", // space and tilde: the ends of printable ASCII
    "a{2,2}", // n = m
    "[a-a]", // a range of one character
    "a{10}",
    "a{1,10}",
    "a{1000}",
    "a{1,1000}",
    "[\\.]", // an escaped metacharacter in a class stands for itself
    "[\\.-z]", // ... and can start a range
    "[cba]", // three literals, not a range c..a
    "^[ZA9]$",
  ])("accepts %s", (source) => {
    expect(checkPortableRegex(source)).toBeNull();
  });

  it.each([
    // An unescaped '{' that is no quantifier: a literal in both dialects, but refused so that
    // `{` always means a quantifier. Where it stands decides which rule refuses it.
    ["a{", 2, "has a '{' that is not a quantifier {n} {n,} {n,m} (write \\{ for the character)"],
    ["a{x{2}", 2, "has a '{' that is not a quantifier {n} {n,} {n,m} (write \\{ for the character)"],
    ["a{10000}", 2, "has a '{' that is not a quantifier {n} {n,} {n,m} (write \\{ for the character)"],
    ["(a){", 4, "has a '{' that is not a quantifier {n} {n,} {n,m} (write \\{ for the character)"],
    ["[a]{", 4, "has a '{' that is not a quantifier {n} {n,} {n,m} (write \\{ for the character)"],
    ["{", 1, "has a quantifier with nothing to repeat"],
    ["^{", 2, "has a quantifier with nothing to repeat"],
    ["${", 2, "has a quantifier with nothing to repeat"],
    ["|{", 2, "has a quantifier with nothing to repeat"],
    ["({)", 2, "has a quantifier with nothing to repeat"],
    ["a*{", 2, "has a quantifier after a quantifier (possessive or nested)"],
    ["a+{", 2, "has a quantifier after a quantifier (possessive or nested)"],
    ["a?{", 2, "has a quantifier after a quantifier (possessive or nested)"],
    ["a*?{", 2, "has a quantifier after a quantifier (possessive or nested)"],
    ["a{2}{", 2, "has a quantifier after a quantifier (possessive or nested)"],
    // JavaScript: `[^]` (any character) then `a]`; PCRE: one negated class of `]` and `a`.
    ["[^]a]", 3, "has an empty class or a class starting with ']'"],
    // JavaScript: an empty class (matches nothing) then `a]`; PCRE: a class of `]` and `a`.
    ["[]a]", 2, "has an empty class or a class starting with ']'"],
    ["[\\s]", 2, "has the escape \\s in a class, which JavaScript and MongoDB read differently"],
    ["[\\b]", 2, "has the escape \\b in a class, which JavaScript and MongoDB read differently"],
    // JavaScript reads `a`, `-`, `\d`; PCRE refuses the range.
    ["[a-\\d]", 3, "has a '-' that is neither a range between two characters nor first or last (write \\-)"],
    // JavaScript: a range 0..[ then `:digit:` and a literal `]`; PCRE: an invalid range.
    [
      "[0-[:digit:]]",
      3,
      "has a '-' that is neither a range between two characters nor first or last (write \\-)",
    ],
    ["GRP\x7f", 4, "has a control or non-ASCII character"],
  ])("refuses %s at character %i: %s", (source, position, message) => {
    expect(() => new RegExp(source)).not.toThrow();
    expect(checkPortableRegex(source)).toEqual({ position, message });
  });
});
