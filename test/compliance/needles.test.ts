import { describe, expect, it } from "vitest";
import { needlesIn } from "./support.js";

describe("needlesIn (the PHI hunt of the compliance tests)", () => {
  it("finds a date of birth as the 837 and JSON write it", () => {
    expect(needlesIn(Buffer.from("DMG*D8*19530528*F~"), ["19530528"])).toEqual(["19530528"]);
    expect(needlesIn(Buffer.from('{"dob":"1953-05-28"}'), ["1953-05-28"])).toEqual(["1953-05-28"]);
    expect(needlesIn(Buffer.from("SMITH*JOHN"), ["SMITH*JOHN"])).toEqual(["SMITH*JOHN"]);
  });

  it("ignores digits that are only part of a longer number, but not a later real hit", () => {
    const stamp = Buffer.from('"startTimeUnixNano":"1796352319530528000"');
    expect(needlesIn(stamp, ["19530528"])).toEqual([]);
    expect(needlesIn(Buffer.concat([stamp, Buffer.from(" 19530528")]), ["19530528"])).toEqual(["19530528"]);
    expect(needlesIn(Buffer.from("x19530528"), ["19530528"])).toEqual(["19530528"]);
  });
});
