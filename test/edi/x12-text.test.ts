// The X12 text rules of src/edi/x12-text.ts at their edges: which non-ASCII characters read as a
// space and which are dropped, where a value is cut, and which identifiers are carried faithfully.
// Each case was a mutant no other test noticed (test/MUTATION.md).
import { describe, expect, it } from "vitest";
import { EMPTY_TEXT, identifierIssue, isFaithfulIdentifier, x12Id, x12Text } from "../../src/edi/x12-text.js";

const hex = (c: number) => `U+${c.toString(16).toUpperCase().padStart(4, "0")}`;

describe("x12Text: Unicode spaces", () => {
  // The first and last code point of every range isUnicodeSpace lists (U+2000 is left out: NFD
  // turns it into U+2002 before the ranges are consulted).
  const spaces = [0x80, 0xa0, 0x1680, 0x2001, 0x200b, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff];
  // Their neighbours just outside: not letters, so dropped without leaving a space.
  const dropped = [
    0xa1, 0x167f, 0x1681, 0x200c, 0x2027, 0x202a, 0x202e, 0x2030, 0x205e, 0x2060, 0x2fff, 0x3001,
  ];

  it("reads every separator as a space between words", () => {
    for (const c of spaces) {
      expect(x12Text(`A${String.fromCharCode(c)}B`, 10), hex(c)).toBe("A B");
    }
  });

  it("drops the characters next to those ranges without splitting the word", () => {
    for (const c of dropped) {
      expect(x12Text(`A${String.fromCharCode(c)}B`, 10), hex(c)).toBe("AB");
    }
  });
});

describe("x12Text: cutting to the element's maximum", () => {
  it("keeps exactly max characters of a clean value", () => {
    expect(x12Text("ABCDEFGH", 6)).toBe("ABCDEF");
    expect(x12Text("ABCDEF", 6)).toBe("ABCDEF");
    expect(x12Text("ABCDEFG", 6)).toBe("ABCDEF");
  });

  it("keeps exactly max characters of a value that needs mapping", () => {
    expect(x12Text("abcdefgh", 6)).toBe("ABCDEF");
    expect(x12Text("ÀBCDÉFGH", 6)).toBe("ABCDEF");
    // Past the first slice of 256 code units: a long name is cut, not lost.
    expect(x12Text(`${"é".repeat(300)}`, 280)).toBe("E".repeat(280));
    expect(x12Text(`${"a".repeat(255)}${"\u00e9".repeat(10)}`, 260)).toBe(
      `${"A".repeat(255)}${"E".repeat(5)}`,
    );
  });

  it("never starts or ends with a space, however the value is cut", () => {
    expect(x12Text(" \u00a0A", 5)).toBe("A");
    expect(x12Text("ABCDE\u00a0FG", 6)).toBe("ABCDE");
    expect(x12Text("abcde fg", 6)).toBe("ABCDE");
  });

  it("returns the empty string when nothing can be carried", () => {
    expect(x12Text("", 10)).toBe("");
    expect(x12Text("\u00a0\u2028", 10)).toBe("");
    expect(EMPTY_TEXT).toBe("has no characters the X12 character set can carry");
  });
});

describe("x12Text: surrogates", () => {
  it("drops a pair whole and a lone half alone, at the edges of the surrogate ranges", () => {
    expect(x12Text("A\ud800\udc00B", 10)).toBe("AB");
    expect(x12Text("A\udbff\udfffB", 10)).toBe("AB");
    expect(x12Text("A\udbffB", 10)).toBe("AB");
    expect(x12Text("A\udfffB", 10)).toBe("AB");
    expect(x12Text("A\ud7ffB", 10)).toBe("AB"); // a Hangul syllable, not a surrogate: dropped too
  });
});

describe("identifiers", () => {
  it("are carried only when plain ASCII without delimiters or control characters", () => {
    expect(isFaithfulIdentifier(" ab-12 ")).toBe(true);
    expect(isFaithfulIdentifier("A B")).toBe(true);
    expect(isFaithfulIdentifier("   ")).toBe(false);
    for (const c of [0x00, 0x1f, 0x2a, 0x3a, 0x5e, 0x7e, 0x7f, 0x80, 0xa0, 0xe9]) {
      expect(isFaithfulIdentifier(`A${String.fromCharCode(c)}1`), hex(c)).toBe(false);
      expect(x12Id(`A${String.fromCharCode(c)}1`, 1, 10), hex(c)).toBeUndefined();
    }
  });

  it("fit their element's length inclusively at both ends", () => {
    expect(x12Id("AB", 2, 3)).toBe("AB");
    expect(x12Id("ABC", 2, 3)).toBe("ABC");
    expect(x12Id(" ab ", 2, 2)).toBe("AB");
    expect(x12Id("A", 2, 3)).toBeUndefined();
    expect(x12Id("ABCD", 2, 3)).toBeUndefined();
  });

  it("say why they are refused, without the value", () => {
    expect(identifierIssue("ABC", 2, 3)).toBeUndefined();
    expect(identifierIssue("AB", 2, 3)).toBeUndefined();
    expect(identifierIssue("ABCD", 2, 3)).toBe("is longer than 3 characters, the maximum of its X12 element");
    expect(identifierIssue("A", 2, 3)).toBe("is shorter than 2 characters, the minimum of its X12 element");
    expect(identifierIssue("  ", 2, 3)).toBe("must not be empty");
    expect(identifierIssue("A*B", 1, 3)).toBe(
      "contains characters an X12 identifier cannot carry (delimiters, control or non-ASCII characters)",
    );
  });
});
