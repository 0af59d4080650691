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
