// The X12 text rules of src/edi/x12-text.ts that test/edi/x12-text.test.ts leaves open: the clean
// fast path must not let a leading or trailing space through, letters reach ASCII only through
// upper-casing ("ſ" → "S") while other scripts are dropped, a lone high surrogate takes only a
// real low surrogate with it, and identifiers are judged on their trimmed value.
import { describe, expect, it } from "vitest";
import { identifierIssue, isFaithfulIdentifier, x12Id, x12Text } from "../../src/edi/x12-text.js";

describe("x12Id: an identifier is carried trimmed", () => {
  it.each([
    // [input, min, max, element data]
    [" AB", 1, 5, "AB"], // leading space: not the clean fast path
    ["AB ", 1, 5, "AB"], // trailing space
    ["AB ", 2, 2, "AB"], // the trailing space does not count against the maximum
    ["A ", 1, 1, "A"],
    ["AB  ", 1, 5, "AB"], // several trailing spaces
    ["  ab  ", 2, 2, "AB"],
    ["A B", 3, 3, "A B"],
  ])("x12Id(%j, %i, %i) is %j", (s, min, max, want) => {
    expect(x12Id(s, min, max)).toBe(want);
  });

  it("accepts trailing and leading spaces as faithful (the element suppresses them)", () => {
    expect(isFaithfulIdentifier("AB  ")).toBe(true);
    expect(isFaithfulIdentifier("  AB")).toBe(true);
    expect(isFaithfulIdentifier("A  B")).toBe(false);
  });

  it("measures the trimmed value against the element's length", () => {
    expect(identifierIssue(" AB ", 2, 2)).toBeUndefined();
    expect(identifierIssue("  ABC  ", 3, 3)).toBeUndefined();
    expect(identifierIssue(" ABCD ", 2, 3)).toBe(
      "is longer than 3 characters, the maximum of its X12 element",
    );
    expect(identifierIssue("  A  ", 2, 3)).toBe(
      "is shorter than 2 characters, the minimum of its X12 element",
    );
  });
});

describe("x12Text: the clean fast path keeps no edge space", () => {
  it.each([
    [" AB", 5, "AB"],
    ["AB ", 5, "AB"],
    ["AB  ", 5, "AB"],
    [" A B ", 5, "A B"],
    ["A  B", 5, "A B"],
  ])("x12Text(%j, %i) is %j", (s, max, want) => {
    expect(x12Text(s, max)).toBe(want);
  });
});

describe("x12Text: letters outside the transliteration table", () => {
  it("keeps a letter whose upper case is an X12 letter", () => {
    // U+017F LATIN SMALL LETTER LONG S upper-cases to "S"; NFD leaves it as is.
    expect(x12Text("Ro\u017fe", 10)).toBe("ROSE");
    expect(x12Text("\u017f", 10)).toBe("S");
  });

  it("drops letters whose upper case is outside ASCII, without a space", () => {
    // Cyrillic, Greek: upper-casing gives one non-ASCII letter, which X12 cannot carry.
    expect(x12Text("A\u0436B", 10)).toBe("AB"); // ж → Ж
    expect(x12Text("A\u03b1B", 10)).toBe("AB"); // α → Α
    expect(x12Text("\u0416\u0436", 10)).toBe("");
  });
});

describe("x12Text: a lone high surrogate", () => {
  it("does not swallow the Unicode space that follows it", () => {
    // U+FEFF is above the low-surrogate range: it is not the second half of a pair.
    expect(x12Text("A\ud800\ufeffB", 10)).toBe("A B");
    expect(x12Text("A\udbff\ufeffB", 10)).toBe("A B");
  });
});
