// The structural validator: every rule is pinned by corrupting a good file and expecting the
// violation at the right segment position; public 837P files from other X12 libraries must pass.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { render837 } from "../../src/edi/render.js";
import { type Violation, validate837 } from "../../src/edi/validate.js";
import { propertyRuns } from "../support/property-runs.js";
import { batchClaim, batchOf, claimDoc, dependentDoc, joined, lineDoc } from "./builders.js";

const X12_DIR = fileURLToPath(new URL("../fixtures/x12/", import.meta.url));

/** A good file: two claims, the second for a dependent (2000C), two lines on the first. */
function goodFile(): string {
  const first = joined({
    claim: claimDoc({
      claim_number: "GOOD-1",
      diagnosis_codes: ["E119", "I10"],
      lines: [
        lineDoc({ charge: "100.00" }),
        lineDoc({ procedure_code: "85025", charge: "25.50", diagnosis_pointers: [2] }),
      ],
    }),
  });
  const second = joined({ claim: claimDoc({ claim_number: "GOOD-2" }), patient: dependentDoc() });
  return render837(batchOf([first, second], { controlNumber: 1234 }));
}

function lines(text: string): string[] {
  return text.slice(0, -2).split("~\n");
}

function join(segs: readonly string[]): string {
  return `${segs.join("~\n")}~\n`;
}

/** 1-based position of the `nth` segment starting with `prefix`. */
function posOf(text: string, prefix: string, nth = 1): number {
  let seen = 0;
  const segs = lines(text);
  for (let i = 0; i < segs.length; i++) {
    if ((segs[i] as string).startsWith(prefix) && ++seen === nth) return i + 1;
  }
  throw new Error(`no segment ${nth} starting with ${prefix}`);
}

/** Replaces the `nth` segment that starts with `prefix`. */
function replaceSegment(text: string, prefix: string, next: string | null, nth = 1): string {
  const segs = lines(text);
  const at = posOf(text, prefix, nth) - 1;
  if (next === null) segs.splice(at, 1);
  else segs[at] = next;
  return join(segs);
}

/** Fixes SE01 after a segment was added or removed, so only the rule under test is broken. */
function recount(text: string): string {
  const segs = lines(text);
  const st = segs.findIndex((s) => s.startsWith("ST*"));
  const se = segs.findIndex((s) => s.startsWith("SE*"));
  segs[se] = `SE*${se - st + 1}*${(segs[se] as string).split("*")[2]}`;
  return join(segs);
}

function violationsOf(text: string): Violation[] {
  const r = validate837(text);
  expect(r.ok).toBe(r.violations.length === 0);
  return r.violations;
}

/** Expects exactly one violation, at `segment`, whose message contains `fragment`. */
function expectOnly(text: string, segment: number, fragment: string): void {
  const v = violationsOf(text);
  expect(v, JSON.stringify(v)).toHaveLength(1);
  expect(v[0]?.segment).toBe(segment);
  expect(v[0]?.message).toContain(fragment);
}

/** Expects a violation at `segment` containing `fragment` among possibly others. */
function expectAt(text: string, segment: number, fragment: string): void {
  const v = violationsOf(text);
  expect(
    v.some((x) => x.segment === segment && x.message.includes(fragment)),
    JSON.stringify(v),
  ).toBe(true);
}

describe("validate837 on a good file", () => {
  it("accepts what the renderer writes and reports its claims and control number", () => {
    const r = validate837(goodFile());
    expect(r).toMatchObject({
      ok: true,
      violations: [],
      interchanges: 1,
      claimCount: 2,
      claimNumbers: ["GOOD-1", "GOOD-2"],
      isaControlNumber: "000001234",
    });
  });

  it("accepts segments ended by ~ alone, by ~\\r\\n, and a file ending in blank lines", () => {
    const good = goodFile();
    expect(violationsOf(good.replaceAll("~\n", "~"))).toEqual([]);
    expect(violationsOf(good.replaceAll("~\n", "~\r\n"))).toEqual([]);
    expect(violationsOf(`\uFEFF${good}\n\n`)).toEqual([]);
  });

  it("reads the delimiters from the ISA instead of assuming them", () => {
    const good = goodFile();
    const redelimited = good
      .replaceAll("*", "|")
      .replaceAll(":", ">")
      .replaceAll("~\n", "\n")
      .replace("|^|00501|", "|{|00501|");
    expect(violationsOf(redelimited)).toEqual([]);
  });

  it("accepts several interchanges in one file when their claim and control numbers differ", () => {
    const a = goodFile();
    const b = render837(batchOf([joined(batchClaim(0)), joined(batchClaim(1))], { controlNumber: 77 }));
    const r = validate837(a + b);
    expect(r.violations).toEqual([]);
    expect(r.interchanges).toBe(2);
    expect(r.claimCount).toBe(4);
  });
});

describe("validate837 rules (each corrupts a good file)", () => {
  describe("ISA", () => {
    it("reports an ISA that is not 106 characters wide", () => {
      const bad = goodFile().replace("*ZZ*SUNRISE        *", "*ZZ*SUNRISE         *");
      const v = violationsOf(bad);
      expect(v.map((x) => [x.segment, x.message])).toEqual([
        [1, "ISA must be exactly 106 characters including its terminator, found 107"],
        [1, "ISA06 must be 15 characters wide"],
      ]);
    });

    it("reports ISA fields with wrong values", () => {
      const good = goodFile();
      expectOnly(good.replace("*00501*", "*00401*"), 1, "ISA12 must be 00501");
      expectOnly(good.replace("*260314*", "*261314*"), 1, "ISA09 must be a calendar date YYMMDD");
      expectOnly(good.replace("*260314*", "*260230*"), 1, "ISA09 must be a calendar date YYMMDD");
      expectOnly(good.replace("*1509*^*", "*2509*^*"), 1, "ISA10 must be a time HHMM");
      expectOnly(good.replace("*0*T*:", "*0*X*:"), 1, "ISA15 must be P or T");
      expectOnly(good.replace("*0*T*:", "*2*T*:"), 1, "ISA14 must be 0 or 1");
      expectOnly(good.replace("*^*00501*", "*U*00501*"), 1, "ISA11 (repetition separator)");
    });

    it("reports a non-numeric ISA13 and its IEA02 twin", () => {
      const bad = goodFile()
        .replace("*000001234*0*T*", "*00000123A*0*T*")
        .replace("IEA*1*000001234", "IEA*1*00000123A");
      expectOnly(bad, 1, "ISA13 must be 9 digits");
    });

    it("reports an ISA with fewer than 16 elements", () => {
      const bad = goodFile().replace("*00*          *00*          *", "*00*          *");
      expect(violationsOf(bad)).toEqual([
        { segment: 1, id: "ISA", message: "ISA has fewer than 16 elements before the end of its line" },
      ]);
      // Without line breaks the short ISA shows in its width and element count.
      const flat = violationsOf(bad.replaceAll("~\n", "~"));
      expect(flat.slice(0, 2).map((v) => [v.segment, v.message.slice(0, 27)])).toEqual([
        [1, "ISA must be exactly 106 cha"],
        [1, "ISA must have 16 elements, "],
      ]);
    });

    it("reports a file that does not begin with ISA", () => {
      expect(violationsOf(`GS*HC*A*B~\n${goodFile()}`)[0]).toMatchObject({
        segment: 1,
        message: "a file must begin with an ISA segment",
      });
      expect(validate837("").ok).toBe(false);
      expect(validate837("ISA*00*").violations[0]?.message).toContain("truncated");
    });
  });

  describe("envelope counts and control numbers", () => {
    it("reports IEA01 that does not count the functional groups", () => {
      const good = goodFile();
      expectOnly(replaceSegment(good, "IEA*", "IEA*2*000001234"), posOf(good, "IEA*"), "IEA01 must be 1");
    });

    it("reports GE01 that does not count the transactions", () => {
      const good = goodFile();
      expectOnly(replaceSegment(good, "GE*", "GE*3*1234"), posOf(good, "GE*"), "GE01 must be 1");
    });

    it("reports SE01 that does not count the segments from ST to SE", () => {
      const good = goodFile();
      const se = posOf(good, "SE*");
      const st = posOf(good, "ST*");
      // Dropping the 2010BA N3 leaves the loops intact; only the count is now wrong.
      const bad = replaceSegment(good, "N3*12 OAK AVE", null);
      expectOnly(bad, se - 1, `SE01 must be ${se - st}`);
      expectOnly(replaceSegment(good, "SE*", `SE*${se - st}*0001`), se, `SE01 must be ${se - st + 1}`);
    });

    it("reports IEA02 that differs from ISA13", () => {
      const good = goodFile();
      expectOnly(
        replaceSegment(good, "IEA*", "IEA*1*000001235"),
        posOf(good, "IEA*"),
        "IEA02 must equal ISA13",
      );
    });

    it("reports GE02 that differs from GS06", () => {
      const good = goodFile();
      expectOnly(replaceSegment(good, "GE*", "GE*1*1235"), posOf(good, "GE*"), "GE02 must equal GS06");
    });

    it("reports SE02 that differs from ST02", () => {
      const good = goodFile();
      const se = posOf(good, "SE*");
      const n = lines(good)[se - 1]?.split("*")[1];
      expectOnly(replaceSegment(good, "SE*", `SE*${n}*0002`), se, "SE02 must equal ST02");
    });

    it("reports a missing trailer, an unmatched trailer and an interchange control number used twice", () => {
      const good = goodFile();
      expectAt(replaceSegment(good, "IEA*", null), posOf(good, "GE*"), "the file ends inside an interchange");
      expectAt(`${good}GE*1*1234~\n`, posOf(good, "IEA*") + 1, "GE without a matching GS");
      expectAt(good + good, posOf(good, "IEA*") + 1, "ISA13 repeats");
      const segs = lines(good);
      expectAt(join([segs[0] as string, "IEA*0*000001234"]), 2, "the file holds no transaction");
    });

    it("reports a group or transaction control number used twice where it must be unique", () => {
      const good = goodFile();
      const segs = lines(good);
      const gs = posOf(good, "GS*") - 1;
      const ge = posOf(good, "GE*") - 1;
      const group = segs.slice(gs, ge + 1).map((s) => s.replace(/CLM\*GOOD-/, "CLM*AGAIN-"));
      const twoGroups = [...segs.slice(0, ge + 1), ...group, "IEA*2*000001234"];
      expectOnly(join(twoGroups), ge + 2, "GS06 repeats");
      const st = posOf(good, "ST*") - 1;
      const se = posOf(good, "SE*") - 1;
      const tx = segs.slice(st, se + 1).map((s) => s.replace(/CLM\*GOOD-/, "CLM*AGAIN-"));
      const twoTx = [...segs.slice(0, se + 1), ...tx, "GE*2*1234", segs.at(-1) as string];
      expectOnly(join(twoTx), se + 2, "ST02 repeats");
    });

    it("reports GS and ST identifying something other than an 837 professional claim", () => {
      const good = goodFile();
      expectOnly(good.replace("GS*HC*", "GS*HP*"), 2, "GS01 must be HC");
      expectAt(good.replace("*X*005010X222A1~", "*X*005010X223A2~"), 2, "GS08 must be 005010X222A1");
      expectOnly(
        good.replace("ST*837*0001*005010X222A1", "ST*837*0001*005010X222A2"),
        3,
        "ST03 must equal GS08",
      );
    });
  });

  describe("HL numbering and parent chain", () => {
    it("reports HL01 out of sequence", () => {
      const good = goodFile();
      const at = posOf(good, "HL*3*");
      const bad = replaceSegment(replaceSegment(good, "HL*3*", "HL*5*1*22*1"), "HL*4*3*23*0", "HL*4*5*23*0");
      expectOnly(bad, at, "HL01 must be 3");
    });

    it("reports a patient HL whose parent is not the subscriber HL that encloses it", () => {
      const good = goodFile();
      const at = posOf(good, "HL*4*");
      const v = violationsOf(replaceSegment(good, "HL*4*", "HL*4*2*23*0"));
      expect(v.map((x) => [x.segment, x.message])).toEqual([
        [posOf(good, "HL*2*"), "HL04 is 0 but a later HL names this one as its parent"],
        [posOf(good, "HL*3*"), "HL04 is 1 but no HL names this one as its parent"],
        [posOf(good, "HL*3*"), "HL level 22 has no claim (CLM)"],
        [at, "HL02 must be 3, the level 22 HL that encloses this level 23 loop"],
      ]);
    });

    it("reports a subscriber HL that names no billing provider", () => {
      const good = goodFile();
      expectAt(replaceSegment(good, "HL*2*", "HL*2**22*0"), posOf(good, "HL*2*"), "HL02 must be 1");
      expectAt(replaceSegment(good, "HL*1*", "HL*1*9*20*1"), posOf(good, "HL*1*"), "HL02 must be empty");
    });

    it("reports HL04 that does not tell the truth about children", () => {
      const good = goodFile();
      const at = posOf(good, "HL*3*");
      expectOnly(replaceSegment(good, "HL*3*", "HL*3*1*22*0"), at, "HL04 is 0 but a later HL names this one");
      const bad = replaceSegment(good, "HL*2*", "HL*2*1*22*1");
      expectOnly(bad, posOf(good, "HL*2*"), "HL04 is 1 but no HL names this one");
    });

    it("reports an unknown HL level", () => {
      const good = goodFile();
      expectAt(replaceSegment(good, "HL*4*", "HL*4*3*24*0"), posOf(good, "HL*4*"), "HL03 must be 20");
    });
  });

  describe("required loops and segments in order", () => {
    it("reports BHT missing after ST", () => {
      const good = goodFile();
      expectOnly(recount(replaceSegment(good, "BHT*", null)), 4, "BHT must follow ST");
    });

    it("reports 1000A and 1000B missing or swapped", () => {
      const good = goodFile();
      const firstHl = posOf(good, "HL*1*");
      expectAt(recount(replaceSegment(good, "NM1*41*", null)), firstHl - 1, "loop 1000A (NM1*41 submitter)");
      expectAt(recount(replaceSegment(good, "NM1*40*", null)), firstHl - 1, "loop 1000B (NM1*40 receiver)");
      expectOnly(
        recount(replaceSegment(good, "PER*", null)),
        posOf(good, "NM1*41*"),
        "loop 1000A must hold PER",
      );
      const segs = lines(good);
      const a = posOf(good, "NM1*41*") - 1;
      const b = posOf(good, "NM1*40*") - 1;
      expect(b).toBe(a + 2);
      const swapped = [...segs];
      swapped.splice(a, 3, segs[b] as string, segs[a] as string, segs[a + 1] as string);
      expectOnly(join(swapped), a + 1, "loop 1000B (NM1*40) must follow loop 1000A");
    });

    it("reports 2010AA without its billing provider, address or tax id", () => {
      const good = goodFile();
      const nm1 = posOf(good, "NM1*85*");
      expectOnly(
        recount(replaceSegment(good, "NM1*85*", null)),
        posOf(good, "HL*1*"),
        "loop 2000A has no NM1*85",
      );
      expectOnly(recount(replaceSegment(good, "N3*100 MAIN ST", null)), nm1, "loop 2010AA must hold N3");
      expectOnly(recount(replaceSegment(good, "N4*SPRINGFIELD", null)), nm1, "loop 2010AA must hold N4");
      expectOnly(
        recount(replaceSegment(good, "REF*EI*", null)),
        nm1,
        "loop 2010AA must hold REF*EI or REF*SY",
      );
    });

    it("reports 2000B without SBR first, without the subscriber or the payer, or with them swapped", () => {
      const good = goodFile();
      expectOnly(
        recount(replaceSegment(good, "SBR*", null)),
        posOf(good, "SBR*"),
        "loop 2000B must begin with SBR",
      );
      expectOnly(
        recount(replaceSegment(good, "NM1*IL*", null)),
        posOf(good, "HL*2*"),
        "loop 2000B has no NM1*IL",
      );
      expectOnly(
        recount(replaceSegment(good, "NM1*PR*", null)),
        posOf(good, "HL*2*"),
        "loop 2000B has no NM1*PR",
      );
      const segs = lines(good);
      const il = posOf(good, "NM1*IL*") - 1;
      const pr = posOf(good, "NM1*PR*") - 1;
      const swapped = [...segs];
      swapped[il] = segs[pr] as string;
      swapped[pr] = segs[il] as string;
      expectOnly(join(swapped), il + 1, "NM1*PR (2010BB) must follow NM1*IL (2010BA)");
    });

    it("reports 2000C without PAT first or without 2010CA", () => {
      const good = goodFile();
      expectOnly(
        recount(replaceSegment(good, "PAT*", null)),
        posOf(good, "PAT*"),
        "loop 2000C must begin with PAT",
      );
      expectOnly(
        recount(replaceSegment(good, "NM1*QC*", null)),
        posOf(good, "HL*4*"),
        "loop 2000C has no NM1*QC",
      );
      expectOnly(
        recount(replaceSegment(good, "DMG*D8*20150601", null)),
        posOf(good, "NM1*QC*"),
        "must hold DMG",
      );
    });

    it("reports a claim outside a subscriber or patient loop, and a leaf loop without a claim", () => {
      const good = goodFile();
      const segs = lines(good);
      const clm = posOf(good, "CLM*GOOD-2*") - 1;
      // Move the dependent's claim (CLM … DTP) up into the billing provider loop.
      const claim = segs.splice(clm, 5);
      segs.splice(posOf(good, "HL*2*") - 1, 0, ...claim);
      const v = violationsOf(join(segs));
      expect(v.map((x) => x.message)).toEqual([
        "CLM must sit in a subscriber (22) or patient (23) loop",
        "HL level 23 has no claim (CLM)",
      ]);
      expect(v[0]?.segment).toBe(posOf(good, "HL*2*"));
    });

    it("reports a claim without HI, without lines, or with a line without SV1 or its service date", () => {
      const good = goodFile();
      const clm = posOf(good, "CLM*GOOD-1*");
      expectOnly(recount(replaceSegment(good, "HI*ABK:E119*ABF:I10", null)), clm, "claim has no HI");
      const noLines = recount(
        replaceSegment(
          replaceSegment(replaceSegment(good, "LX*1", null, 2), "SV1*HC:99213*125", null),
          "DTP*472",
          null,
          3,
        ),
      );
      expectOnly(noLines, posOf(good, "CLM*GOOD-2*"), "claim has no service line");
      const lx = posOf(good, "LX*2");
      const noSv1 = recount(replaceSegment(good, "SV1*HC:85025*", null));
      expect(violationsOf(noSv1).map((x) => [x.segment, x.message])).toEqual([
        [lx, "LX must be followed by SV1 (professional service)"],
      ]);
      expectOnly(recount(replaceSegment(good, "DTP*472", null, 2)), lx, "service line must hold DTP*472");
    });

    it("reports LX numbering that does not restart at 1 for each claim", () => {
      const good = goodFile();
      expectOnly(replaceSegment(good, "LX*1", "LX*3", 2), posOf(good, "LX*1", 2), "LX01 must be 1");
    });

    it("reports malformed composites in CLM05, HI, SV101 and SV107", () => {
      const good = goodFile();
      const clm = posOf(good, "CLM*GOOD-1*");
      expectOnly(
        good.replace("CLM*GOOD-1*125.5***11:B:1*", "CLM*GOOD-1*125.5***11*"),
        clm,
        "CLM05 must be a composite",
      );
      expectOnly(good.replace("HI*ABK:E119*ABF:I10", "HI*ABK:E119*I10"), clm + 1, "HI02 must be a composite");
      expectOnly(
        good.replace("SV1*HC:85025*", "SV1*85025*"),
        posOf(good, "SV1*HC:85025*"),
        "SV101 must hold",
      );
      expectOnly(good.replace("*UN*1***2~", "*UN*1***3~"), posOf(good, "SV1*HC:85025*"), "SV107 pointers");
      expectOnly(good.replace("*UN*1***2~", "*UN*1~"), posOf(good, "SV1*HC:85025*"), "SV107 must point");
    });
  });

  describe("segment syntax", () => {
    it("reports a segment with more elements than its X12 definition holds", () => {
      const good = goodFile();
      const n3 = posOf(good, "N3*12 OAK AVE");
      expectOnly(good.replace("N3*12 OAK AVE", "N3*12*OAK*AVE"), n3, "N3 holds at most 2 elements, found 3");
      const nm1 = posOf(good, "NM1*IL*");
      expectOnly(
        good.replace("NM1*IL*1*DOE*JANE", "NM1*IL*1*DOE*JANE*W*X*Y*Z"),
        nm1,
        "NM1 holds at most 12 elements, found 13",
      );
    });

    it("reports elements shorter or longer than the element dictionary allows, naming no value", () => {
      const good = goodFile();
      const nm1 = posOf(good, "NM1*IL*");
      const long = "X".repeat(61);
      const v = violationsOf(good.replace("NM1*IL*1*DOE*JANE", `NM1*IL*1*${long}*JANE`));
      expect(v).toEqual([{ segment: nm1, id: "NM1", message: "NM103 must be 1 to 60 characters, found 61" }]);
      expect(JSON.stringify(v)).not.toContain(long);
      // At the limit is fine.
      expect(
        violationsOf(good.replace("NM1*IL*1*DOE*JANE", `NM1*IL*1*${"X".repeat(60)}*${"Y".repeat(35)}`)),
      ).toEqual([]);
      expectOnly(
        good.replace("NM1*IL*1*DOE*JANE", `NM1*IL*1*DOE*${"Y".repeat(36)}`),
        nm1,
        "NM104 must be 1 to 35 characters, found 36",
      );
      const n3 = posOf(good, "N3*12 OAK AVE");
      expectOnly(
        good.replace("N3*12 OAK AVE", `N3*${"9".repeat(56)}`),
        n3,
        "N301 must be 1 to 55 characters, found 56",
      );
      const n4 = posOf(good, "N4*AUSTIN*TX*73301");
      expectOnly(
        good.replace("N4*AUSTIN*TX*73301", "N4*A*TX*73301"),
        n4,
        "N401 must be 2 to 30 characters, found 1",
      );
      expectOnly(
        good.replace("N4*AUSTIN*TX*73301", "N4*AUSTIN*TEX*73301"),
        n4,
        "N402 must be 2 characters, found 3",
      );
      const clm = posOf(good, "CLM*GOOD-1");
      const number = `GOOD-1${"0".repeat(33)}`;
      expectOnly(
        good.replace("CLM*GOOD-1*", `CLM*${number}*`),
        clm,
        "CLM01 must be 1 to 38 characters, found 39",
      );
      const ref = posOf(good, "REF*EI*");
      expectOnly(
        good.replace("REF*EI*123456789", `REF*EI*${"1".repeat(51)}`),
        ref,
        "REF02 must be 1 to 50 characters, found 51",
      );
    });

    it("reports dates that are not calendar dates, under their format qualifier", () => {
      const good = goodFile();
      const dmg = posOf(good, "DMG*D8*19800229");
      expectOnly(
        good.replace("DMG*D8*19800229", "DMG*D8*19801399"),
        dmg,
        "DMG02 must be a calendar date CCYYMMDD (D8)",
      );
      expectOnly(
        good.replace("DMG*D8*19800229", "DMG*D8*19810229"),
        dmg,
        "DMG02 must be a calendar date CCYYMMDD (D8)",
      );
      expectOnly(
        good.replace("DMG*D8*19800229", "DMG*D8*1980229"),
        dmg,
        "DMG02 must be a calendar date CCYYMMDD (D8)",
      );
      // 2000 is a leap year (divisible by 400); 1900 is not.
      expect(violationsOf(good.replace("DMG*D8*19800229", "DMG*D8*20000229"))).toEqual([]);
      expectOnly(good.replace("DMG*D8*19800229", "DMG*D8*19000229"), dmg, "DMG02 must be a calendar date");
      const dtp = posOf(good, "DTP*472*D8*20260310");
      expectOnly(
        good.replace("DTP*472*D8*20260310", "DTP*472*D8*20260431"),
        dtp,
        "DTP03 must be a calendar date CCYYMMDD (D8)",
      );
      expect(violationsOf(good.replace("DTP*472*D8*20260310", "DTP*472*RD8*20260301-20260310"))).toEqual([]);
      expectOnly(
        good.replace("DTP*472*D8*20260310", "DTP*472*RD8*20260310-20260301"),
        dtp,
        "DTP03 must be a range whose start is not after its end (RD8)",
      );
      expectOnly(
        good.replace("DTP*472*D8*20260310", "DTP*472*RD8*20260301-20260332"),
        dtp,
        "DTP03 must be two calendar dates",
      );
      expectOnly(
        good.replace("DTP*472*D8*20260310", "DTP*472*RD8*20260301"),
        dtp,
        "DTP03 must be a range CCYYMMDD-CCYYMMDD (RD8)",
      );
      const bht = posOf(good, "BHT*");
      expectOnly(
        good.replace("BHT*0019*00*B0001*20260314", "BHT*0019*00*B0001*20260230"),
        bht,
        "BHT04 must be a calendar date CCYYMMDD (D8)",
      );
      const gs = posOf(good, "GS*");
      expectOnly(
        good.replace("*20260314*1509*1234*", "*20261301*1509*1234*"),
        gs,
        "GS04 must be a calendar date CCYYMMDD",
      );
    });

    it("reports trailing separators, empty segments and a missing final terminator", () => {
      const good = goodFile();
      const n3 = posOf(good, "N3*12 OAK AVE");
      expectAt(good.replace("N3*12 OAK AVE~", "N3*12 OAK AVE*~"), n3, "trailing empty element");
      expectAt(good.replace("N3*12 OAK AVE~", "N3*12 OAK AVE~~"), n3 + 1, "empty segment");
      expectAt(
        good.replace("HI*ABK:E119*ABF:I10", "HI*ABK:E119*ABF:"),
        posOf(good, "HI*ABK:E119*ABF:I10"),
        "ends with an empty component",
      );
      expectAt(good.slice(0, -2), lines(good).length, "the last segment has no segment terminator");
    });
  });

  describe("claims", () => {
    it("reports a claim number that appears twice in one file", () => {
      const good = goodFile();
      const bad = good.replace("CLM*GOOD-2*", "CLM*GOOD-1*");
      expectOnly(bad, posOf(good, "CLM*GOOD-2*"), "CLM01 repeats a claim number");
      expect(validate837(bad).claimNumbers).toEqual(["GOOD-1", "GOOD-1"]);
    });

    it("reports a claim number repeated in a second interchange of the same file", () => {
      const good = goodFile();
      const second = render837(
        batchOf([joined({ claim: claimDoc({ claim_number: "GOOD-2" }) })], { controlNumber: 9 }),
      );
      const v = violationsOf(good + second);
      expect(v).toEqual([
        {
          segment: lines(good).length + posOf(second, "CLM*"),
          id: "CLM",
          message: "CLM01 repeats a claim number already in this file",
        },
      ]);
    });

    it("reports a claim total that is not the sum of its line charges, with both amounts", () => {
      const good = goodFile();
      const clm = posOf(good, "CLM*GOOD-1*");
      expectOnly(
        good.replace("CLM*GOOD-1*125.5*", "CLM*GOOD-1*125.55*"),
        clm,
        "CLM02 (125.55) does not equal the sum of its SV102 line charges (125.50)",
      );
      expectOnly(good.replace("SV1*HC:85025*25.5*", "SV1*HC:85025*25.49*"), clm, "(125.49)");
      expectOnly(good.replace("CLM*GOOD-1*125.5*", "CLM*GOOD-1*12X*"), clm, "CLM02 must be a decimal amount");
      // Equal amounts written differently are equal.
      expect(violationsOf(good.replace("CLM*GOOD-1*125.5*", "CLM*GOOD-1*125.500*"))).toEqual([]);
    });

    it("reports more than 50 service lines in one claim", () => {
      const many = Array.from({ length: 51 }, () => lineDoc({ charge: "1.00" }));
      // The schema caps lines at 50, so the 51st is added to the text of a 50-line file.
      const text = render837(batchOf([joined({ claim: claimDoc({ lines: many.slice(0, 50) }) })]));
      const withExtra = recount(
        text
          .replace("CLM*CLM-0001*50*", "CLM*CLM-0001*51*")
          .replace("\nSE*", "\nLX*51~\nSV1*HC:99213*1*UN*1***1~\nDTP*472*D8*20260310~\nSE*"),
      );
      expectOnly(withExtra, posOf(withExtra, "LX*51"), "at most 50 service lines");
    });
  });

  it("never throws, whatever it is given", () => {
    const good = goodFile();
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc
            .tuple(fc.nat(good.length), fc.nat(40), fc.string({ maxLength: 20 }))
            .map(([at, cut, insert]) => good.slice(0, at) + insert + good.slice(at + cut)),
        ),
        (text) => {
          const r = validate837(text);
          expect(r.ok).toBe(r.violations.length === 0);
          for (const v of r.violations) expect(v.segment).toBeGreaterThanOrEqual(1);
        },
      ),
      { numRuns: propertyRuns(1000) },
    );
  });
});

describe("validate837 on public 837P files", () => {
  const accepted = readdirSync(X12_DIR).filter((f) => f.endsWith(".837"));

  it("has the public example files to check", () => {
    expect(accepted.length).toBeGreaterThanOrEqual(10);
  });

  it.each(accepted)("accepts %s", (name) => {
    const r = validate837(readFileSync(`${X12_DIR}${name}`, "utf8"));
    expect(r.violations).toEqual([]);
    expect(r.claimCount).toBeGreaterThan(0);
  });

  it("accepts the public files concatenated into one file, each interchange read with its own delimiters", () => {
    const texts = accepted.map((name, i) =>
      readFileSync(`${X12_DIR}${name}`, "utf8")
        .replace(/\*\d{9}\*(\d)\*([PT])\*/, `*${String(900 + i).padStart(9, "0")}*$1*$2*`)
        .replace(/IEA\*1\*\d{9}~/, `IEA*1*${String(900 + i).padStart(9, "0")}~`)
        .replace(/(CLM\*)([^*]+)/, `$1$2-${i}`)
        .trimEnd(),
    );
    const r = validate837(texts.join("\n"));
    expect(r.violations).toEqual([]);
    expect(r.interchanges).toBe(accepted.length);
  });

  it("rejects the imsweb parser fixture, naming each structural fault at its segment", () => {
    const r = validate837(readFileSync(`${X12_DIR}rejected/imsweb-x12_valid.txt`, "utf8"));
    const at = (segment: number, fragment: string) =>
      r.violations.some((v) => v.segment === segment && v.message.includes(fragment));
    expect(r.ok).toBe(false);
    expect(at(1, "ISA11")).toBe(true);
    expect(at(18, "HL04 is 1 but no HL names this one")).toBe(true);
    expect(at(22, "CLM02 (500) does not equal the sum of its SV102 line charges (12.25)")).toBe(true);
    expect(at(23, "HI01 must be a composite")).toBe(true);
    expect(at(27, "HL01 must be 3")).toBe(true);
    expect(at(27, "HL02 must be 1")).toBe(true);
    expect(at(33, "LX01 must be 1")).toBe(true);
    expect(at(36, "SE01 must be 34")).toBe(true);
  });
});
