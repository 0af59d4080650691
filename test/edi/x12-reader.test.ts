// readSegments (src/edi/x12-reader.ts) on hand-made files: the delimiters read from each ISA
// (element = ISA character 4, repetition = ISA11, component = ISA16, terminator = the character
// after ISA16), exact 1-based segment positions, line breaks after a terminator, and the exact
// violation (position, id, message) for every way the text can be malformed.
import { describe, expect, it } from "vitest";
import { readSegments } from "../../src/edi/x12-reader.js";

/** An ISA with the given delimiters, without its terminator (ISA16 is the last character). */
function isaBody(e = "*", rep = "^", comp = ":", receiver = "RECEIVER       "): string {
  return [
    "ISA",
    "00",
    "          ",
    "00",
    "          ",
    "ZZ",
    "SENDER         ",
    "ZZ",
    receiver,
    "261129",
    "0623",
    rep,
    "00501",
    "000000001",
    "0",
    "P",
    comp,
  ].join(e);
}

const TRUNCATED = "ISA is truncated: it must hold 16 elements and the segment terminator";
const MUST_DIFFER = "element separator, component separator (ISA16) and segment terminator must differ";

describe("readSegments: delimiters from the ISA", () => {
  it("reads element, repetition (ISA11), component (ISA16) and terminator", () => {
    const r = readSegments(`${isaBody("|", "!", ">")}~GS|HC~IEA|1|000000001~`);
    expect(r.violations).toEqual([]);
    expect(r.delimiters).toEqual({ element: "|", component: ">", segment: "~", repetition: "!" });
    expect(r.segments.map((s) => [s.pos, s.id, s.elements.length])).toEqual([
      [1, "ISA", 17],
      [2, "GS", 2],
      [3, "IEA", 3],
    ]);
    expect(r.segments[1]?.elements).toEqual(["GS", "HC"]);
    // One shared delimiters object per ISA: the first interchange's segments carry the result's.
    for (const s of r.segments) expect(s.delimiters).toBe(r.delimiters);
  });

  it.each([
    ["ends after its 16th separator", `${isaBody()}`.slice(0, -1), TRUNCATED],
    ["has ISA16 but no terminator", isaBody(), TRUNCATED],
    ["has fewer than 16 separators", "ISA*00*", TRUNCATED],
    ["is only its id", "ISA", TRUNCATED],
    ["is its id and a line break", "\nISA\n", TRUNCATED],
    ["uses the element separator as terminator", `${isaBody()}*GS*HC*`, MUST_DIFFER],
    ["uses the component separator as terminator", `${isaBody()}:GS*HC:`, MUST_DIFFER],
    ["uses the element separator as component separator", `${isaBody("*", "^", "*")}~GS*HC~`, MUST_DIFFER],
  ])("refuses an ISA that %s", (_what, text, message) => {
    const r = readSegments(text);
    expect(r.violations).toEqual([{ segment: 1, id: "ISA", message }]);
    expect(r.segments).toEqual([]);
    expect(r.delimiters).toBeUndefined();
  });

  it("skips a byte order mark and blank lines before the ISA", () => {
    for (const lead of ["\ufeff", "\n", "\r\n  \n", "\ufeff\r\n"]) {
      const r = readSegments(`${lead}${isaBody()}~GS*HC~`);
      expect(r.violations, JSON.stringify(lead)).toEqual([]);
      expect(r.segments.map((s) => s.id)).toEqual(["ISA", "GS"]);
    }
  });

  it("names the first three characters of a file that does not begin with an ISA", () => {
    expect(readSegments("  GS*HC*X~").violations).toEqual([
      { segment: 1, id: "GS*", message: "a file must begin with an ISA segment" },
    ]);
    expect(readSegments("\nXY").violations).toEqual([
      { segment: 1, id: "XY", message: "a file must begin with an ISA segment" },
    ]);
  });

  it("does not split ISA elements on the component separator (ISA is fixed-width, no composites)", () => {
    const r = readSegments(`${isaBody("*", "^", ":", "RECEIVER      :")}~GS*HC~`);
    expect(r.violations).toEqual([]);
    expect(r.segments[0]?.elements[8]).toBe("RECEIVER      :");
  });
});

describe("readSegments: later interchanges", () => {
  it("takes the delimiters a second ISA declares", () => {
    const r = readSegments(`${isaBody()}~IEA*1*1~${isaBody("|", "!", ">")}~GS|A>B~IEA|1|1~`);
    expect(r.violations).toEqual([]);
    expect(r.segments.map((s) => [s.pos, s.id])).toEqual([
      [1, "ISA"],
      [2, "IEA"],
      [3, "ISA"],
      [4, "GS"],
      [5, "IEA"],
    ]);
    expect(r.segments[3]?.elements).toEqual(["GS", "A>B"]);
    expect(r.segments[3]?.delimiters).toEqual({
      element: "|",
      component: ">",
      segment: "~",
      repetition: "!",
    });
    expect(r.delimiters?.element).toBe("*");
  });

  it("reports a broken second ISA at its position and keeps the current delimiters", () => {
    const r = readSegments(`${isaBody()}~GS*HC~ISA*00~GS*X~`);
    expect(r.violations).toEqual([{ segment: 3, id: "ISA", message: TRUNCATED }]);
    expect(r.segments.map((s) => [s.pos, s.id])).toEqual([
      [1, "ISA"],
      [2, "GS"],
      [3, "ISA"],
      [4, "GS"],
    ]);
    expect(r.segments[3]?.elements).toEqual(["GS", "X"]);
    expect(r.segments[3]?.delimiters).toBe(r.delimiters);
  });
});

describe("readSegments: terminators and line breaks", () => {
  it("tolerates \\n and \\r\\n after a ~ terminator", () => {
    const r = readSegments(`${isaBody()}~\r\nGS*HC~\nST*837~\r\n`);
    expect(r.violations).toEqual([]);
    expect(r.segments.map((s) => [s.pos, s.elements])).toEqual([
      [1, expect.any(Array)],
      [2, ["GS", "HC"]],
      [3, ["ST", "837"]],
    ]);
  });

  it("keeps a carriage return that stands before a ~ terminator: it is data, not a line break", () => {
    const r = readSegments(`${isaBody()}~REF*X*A\r~`);
    expect(r.segments[1]?.elements).toEqual(["REF", "X", "A\r"]);
  });

  it("with a line feed as terminator, drops the \\r of a \\r\\n and reports blank lines as empty segments", () => {
    const r = readSegments(`${isaBody()}\nGS*HC\r\n\nST*837\n`);
    expect(r.delimiters?.segment).toBe("\n");
    expect(r.segments.map((s) => [s.pos, s.elements])).toEqual([
      [1, expect.any(Array)],
      [2, ["GS", "HC"]],
      [4, ["ST", "837"]],
    ]);
    expect(r.segments[0]?.elements[16]).toBe(":");
    expect(r.violations).toEqual([
      { segment: 3, id: "", message: "empty segment (two terminators in a row)" },
    ]);
  });

  it("reports two terminators in a row as an empty segment at its position", () => {
    const r = readSegments(`${isaBody()}~GS*HC~~ST*837~`);
    expect(r.violations).toEqual([
      { segment: 3, id: "", message: "empty segment (two terminators in a row)" },
    ]);
    expect(r.segments.map((s) => [s.pos, s.id])).toEqual([
      [1, "ISA"],
      [2, "GS"],
      [4, "ST"],
    ]);
  });

  it("reports a last segment without terminator by its id, and ignores trailing blanks", () => {
    const r = readSegments(`${isaBody()}~GS*HC~IEA*1*000000001`);
    expect(r.violations).toEqual([
      { segment: 3, id: "IEA", message: "the last segment has no segment terminator" },
    ]);
    expect(r.segments[2]?.elements).toEqual(["IEA", "1", "000000001"]);
    for (const tail of ["  ", "\n  \t", " \r\n "]) {
      const ok = readSegments(`${isaBody()}~GS*HC~${tail}`);
      expect(ok.violations, JSON.stringify(tail)).toEqual([]);
      expect(ok.segments).toHaveLength(2);
    }
  });
});

describe("readSegments: segment ids and element endings", () => {
  it.each([
    ["gs*HC", "gs", ["gs", "HC"]],
    ["ABCD*X", "ABC", ["ABCD", "X"]],
    ["A*X", "A", ["A", "X"]],
    ["1AB*X", "1AB", ["1AB", "X"]],
  ])("flags the id of %j and keeps the segment (id %j)", (raw, id, elements) => {
    const r = readSegments(`${isaBody()}~${raw}~GS*HC~`);
    expect(r.violations).toEqual([
      { segment: 2, id, message: "segment id must be 2 or 3 upper-case letters or digits" },
    ]);
    expect(r.segments[1]).toEqual({ pos: 2, id, elements, delimiters: r.delimiters });
    expect(r.segments[2]?.pos).toBe(3);
  });

  it("flags a separator right before the terminator, and an element ending with an empty component", () => {
    const r = readSegments(`${isaBody()}~REF*X*~HI*ABK:~SV1*HC:1:*2~`);
    expect(r.violations).toEqual([
      { segment: 2, id: "REF", message: "trailing empty element (a separator right before the terminator)" },
      { segment: 3, id: "HI", message: "element 1 ends with an empty component" },
      { segment: 4, id: "SV1", message: "element 1 ends with an empty component" },
    ]);
    expect(r.segments.map((s) => s.id)).toEqual(["ISA", "REF", "HI", "SV1"]);
  });
});
