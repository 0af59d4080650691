// Pins every validator rule to its exact report: each row corrupts one good 005010X222A1 file
// and expects the full list of [segment position, segment id, message] it must produce, so a
// changed rule, position or message text fails here (validate.test.ts checks many rules only for
// "some problem at this segment"). Boundaries are pinned from both sides: the last good value is
// accepted, the first bad one reported.
import { describe, expect, it } from "vitest";
import { validate837 } from "../../src/edi/validate.js";
import { check837Transaction, parseAmount } from "../../src/edi/validate-837p.js";
import { readSegments, type Violation } from "../../src/edi/x12-reader.js";

// Rows: [name, edit] applied to GOOD (segments, 1-based positions are index+1).
/** A good file (positions in comments are 1-based). */
const GOOD: readonly string[] = [
  "ISA*00*          *00*          *ZZ*SUNRISE        *ZZ*ACMECH         *260314*1509*^*00501*000001234*0*T*:",
  "GS*HC*SUNRISE*ACMECH*20260314*1509*1234*X*005010X222A1",
  "ST*837*0001*005010X222A1",
  "BHT*0019*00*B0001*20260314*1509*CH",
  "NM1*41*2*SUNRISE FAMILY PHARMACY*****46*SUB00001",
  "PER*IC*BILLING OFFICE*TE*5551234567",
  "NM1*40*2*ACME CLEARINGHOUSE*****46*CLEARINGHOUSE01",
  "HL*1**20*1",
  "PRV*BI*PXC*3336C0003X",
  "NM1*85*2*SUNRISE FAMILY PHARMACY*****XX*1234567893",
  "N3*100 MAIN ST",
  "N4*SPRINGFIELD*IL*627011234",
  "REF*EI*123456789",
  "HL*2*1*22*0",
  "SBR*P*18*******CI",
  "NM1*IL*1*DOE*JANE****MI*M123456789",
  "N3*12 OAK AVE",
  "N4*AUSTIN*TX*73301",
  "DMG*D8*19800229*F",
  "NM1*PR*2*AETNA*****PI*60054",
  "CLM*GOOD-1*125.5***11:B:1*Y*A*Y*Y",
  "HI*ABK:E119*ABF:I10",
  "LX*1",
  "SV1*HC:99213*100*UN*1***1",
  "DTP*472*D8*20260310",
  "LX*2",
  "SV1*HC:85025*25.5*UN*1***2",
  "DTP*472*D8*20260310",
  "HL*3*1*22*1",
  "SBR*P********CI",
  "NM1*IL*1*DOE*JANE****MI*M123456789",
  "N3*12 OAK AVE",
  "N4*AUSTIN*TX*73301",
  "DMG*D8*19800229*F",
  "NM1*PR*2*AETNA*****PI*60054",
  "HL*4*3*23*0",
  "PAT*19",
  "NM1*QC*1*DOE*TIMMY*J",
  "N3*12 OAK AVE",
  "N4*AUSTIN*TX*73301",
  "DMG*D8*20150601*M",
  "CLM*GOOD-2*125***11:B:1*Y*A*Y*Y",
  "HI*ABK:E119",
  "LX*1",
  "SV1*HC:99213*125*UN*1***1",
  "DTP*472*D8*20260310",
  "SE*45*0001",
  "GE*1*1234",
  "IEA*1*000001234",
];

type Problem = [segment: number, id: string, message: string];
type Edit = (s: string[]) => void;

/** GOOD with `edit` applied (on 0-based indexes); SE01 is recounted unless `recount` is false. */
function file(edit: Edit, recount = true): string {
  const s = [...GOOD];
  edit(s);
  const st = s.findIndex((x) => x.startsWith("ST*"));
  const se = s.findIndex((x) => x.startsWith("SE*"));
  if (recount && st >= 0 && se > st) s[se] = `SE*${se - st + 1}*${(s[se] as string).split("*")[2]}`;
  return `${s.join("~\n")}~\n`;
}

function problems(text: string): Problem[] {
  const r = validate837(text);
  expect(r.ok).toBe(r.violations.length === 0);
  return r.violations.map((v: Violation) => [v.segment, v.id, v.message]);
}

/** Sets the segment at 1-based position `pos`. */
const set =
  (pos: number, seg: string): Edit =>
  (s) => {
    s[pos - 1] = seg;
  };
/** Removes `n` segments from 1-based position `pos`. */
const del =
  (pos: number, n = 1): Edit =>
  (s) => {
    s.splice(pos - 1, n);
  };
/** Inserts segments before 1-based position `pos`. */
const ins =
  (pos: number, ...segs: string[]): Edit =>
  (s) => {
    s.splice(pos - 1, 0, ...segs);
  };
const all =
  (...edits: Edit[]): Edit =>
  (s) => {
    for (const e of edits) e(s);
  };

/** [what is corrupted, the edit, recount SE01, the exact problems]; SE01 is recounted unless the
 * envelope itself is under test. */
const ROWS: [string, Edit, boolean, Problem[]][] = [
  ["good file", () => {}, true, []],
  // --- isTime through GS05 ---
  ["GS05 2359", set(2, "GS*HC*SUNRISE*ACMECH*20260314*2359*1234*X*005010X222A1"), true, []],
  ["GS05 235959", set(2, "GS*HC*SUNRISE*ACMECH*20260314*235959*1234*X*005010X222A1"), true, []],
  ["GS05 2359599", set(2, "GS*HC*SUNRISE*ACMECH*20260314*2359599*1234*X*005010X222A1"), true, []],
  ["GS05 23595999", set(2, "GS*HC*SUNRISE*ACMECH*20260314*23595999*1234*X*005010X222A1"), true, []],
  [
    "GS05 2400",
    set(2, "GS*HC*SUNRISE*ACMECH*20260314*2400*1234*X*005010X222A1"),
    true,
    [[2, "GS", "GS05 must be a time HHMM[SS[D[D]]]"]],
  ],
  [
    "GS05 2360",
    set(2, "GS*HC*SUNRISE*ACMECH*20260314*2360*1234*X*005010X222A1"),
    true,
    [[2, "GS", "GS05 must be a time HHMM[SS[D[D]]]"]],
  ],
  [
    "GS05 235960",
    set(2, "GS*HC*SUNRISE*ACMECH*20260314*235960*1234*X*005010X222A1"),
    true,
    [[2, "GS", "GS05 must be a time HHMM[SS[D[D]]]"]],
  ],
  [
    "GS05 23595",
    set(2, "GS*HC*SUNRISE*ACMECH*20260314*23595*1234*X*005010X222A1"),
    true,
    [[2, "GS", "GS05 must be a time HHMM[SS[D[D]]]"]],
  ],
  [
    "GS05 235959999",
    set(2, "GS*HC*SUNRISE*ACMECH*20260314*235959999*1234*X*005010X222A1"),
    true,
    [[2, "GS", "GS05 must be a time HHMM[SS[D[D]]]"]],
  ],
  [
    "GS05 x2359",
    set(2, "GS*HC*SUNRISE*ACMECH*20260314*x2359*1234*X*005010X222A1"),
    true,
    [[2, "GS", "GS05 must be a time HHMM[SS[D[D]]]"]],
  ],
  [
    "GS05 2359xx",
    set(2, "GS*HC*SUNRISE*ACMECH*20260314*2359xx*1234*X*005010X222A1"),
    true,
    [[2, "GS", "GS05 must be a time HHMM[SS[D[D]]]"]],
  ],
  [
    "GS05 235959xx",
    set(2, "GS*HC*SUNRISE*ACMECH*20260314*235959xx*1234*X*005010X222A1"),
    true,
    [[2, "GS", "GS05 must be a time HHMM[SS[D[D]]]"]],
  ],
  // --- GS fields ---
  [
    "GS02 1 char",
    set(2, "GS*HC*S*ACMECH*20260314*1509*1234*X*005010X222A1"),
    true,
    [[2, "GS", "GS02 must be 2 to 15 characters"]],
  ],
  ["GS02 2 chars, GS03 15", set(2, "GS*HC*SU*ACMECH123456789*20260314*1509*1234*X*005010X222A1"), true, []],
  [
    "GS03 16 chars",
    set(2, "GS*HC*SUNRISE*ACMECH1234567890*20260314*1509*1234*X*005010X222A1"),
    true,
    [[2, "GS", "GS03 must be 2 to 15 characters"]],
  ],
  [
    "GS06 letters",
    all(set(2, "GS*HC*SUNRISE*ACMECH*20260314*1509*12A4*X*005010X222A1"), set(48, "GE*1*12A4")),
    true,
    [[2, "GS", "GS06 must be 1 to 9 digits"]],
  ],
  [
    "GS06 9 digits",
    all(set(2, "GS*HC*SUNRISE*ACMECH*20260314*1509*123456789*X*005010X222A1"), set(48, "GE*1*123456789")),
    true,
    [],
  ],
  [
    "GS06 10 digits",
    all(set(2, "GS*HC*SUNRISE*ACMECH*20260314*1509*1234567890*X*005010X222A1"), set(48, "GE*1*1234567890")),
    true,
    [[2, "GS", "GS06 must be 1 to 9 digits"]],
  ],
  [
    "GS07 T",
    set(2, "GS*HC*SUNRISE*ACMECH*20260314*1509*1234*T*005010X222A1"),
    true,
    [[2, "GS", "GS07 must be X"]],
  ],
  // --- ST fields ---
  ["ST01 838", set(3, "ST*838*0001*005010X222A1"), true, [[3, "ST", "ST01 must be 837"]]],
  [
    "ST02 3 chars",
    all(set(3, "ST*837*001*005010X222A1"), set(47, "SE*45*001")),
    true,
    [[3, "ST", "ST02 must be 4 to 9 characters"]],
  ],
  ["ST02 9 chars", all(set(3, "ST*837*123456789*005010X222A1"), set(47, "SE*45*123456789")), true, []],
  [
    "ST02 10 chars",
    all(set(3, "ST*837*1234567890*005010X222A1"), set(47, "SE*45*1234567890")),
    true,
    [[3, "ST", "ST02 must be 4 to 9 characters"]],
  ],
  ["ST03 missing", set(3, "ST*837*0001"), true, []],
  [
    "ST03 empty",
    set(3, "ST*837*0001*"),
    true,
    [[3, "ST", "trailing empty element (a separator right before the terminator)"]],
  ],
  ["ST03 other version", set(3, "ST*837*0001*005010X223A1"), true, [[3, "ST", "ST03 must be 005010X222A1"]]],
  ["ST03 A2 under GS08 A1", set(3, "ST*837*0001*005010X222A2"), true, [[3, "ST", "ST03 must equal GS08"]]],
  // --- ISA ---
  [
    "ISA10 6-digit valid time",
    set(
      1,
      "ISA*00*          *00*          *ZZ*SUNRISE        *ZZ*ACMECH         *260314*150959*^*00501*000001234*0*T*:",
    ),
    true,
    [
      [1, "ISA", "ISA must be exactly 106 characters including its terminator, found 108"],
      [1, "ISA", "ISA10 must be 4 characters wide"],
      [1, "ISA", "ISA10 must be a time HHMM"],
    ],
  ],
  [
    "ISA13 10 digits",
    all(
      set(
        1,
        "ISA*00*          *00*          *ZZ*SUNRISE        *ZZ*ACMECH         *260314*1509*^*00501*0000012345*0*T*:",
      ),
      set(49, "IEA*1*0000012345"),
    ),
    true,
    [
      [1, "ISA", "ISA must be exactly 106 characters including its terminator, found 107"],
      [1, "ISA", "ISA13 must be 9 characters wide"],
      [1, "ISA", "ISA13 must be 9 digits"],
    ],
  ],
  [
    "ISA11 U^",
    set(
      1,
      "ISA*00*          *00*          *ZZ*SUNRISE        *ZZ*ACMECH         *260314*1509*U^*00501*000001234*0*T*:",
    ),
    true,
    [
      [1, "ISA", "ISA must be exactly 106 characters including its terminator, found 107"],
      [1, "ISA", "ISA11 must be 1 characters wide"],
    ],
  ],
  [
    "ISA11 ^U",
    set(
      1,
      "ISA*00*          *00*          *ZZ*SUNRISE        *ZZ*ACMECH         *260314*1509*^U*00501*000001234*0*T*:",
    ),
    true,
    [
      [1, "ISA", "ISA must be exactly 106 characters including its terminator, found 107"],
      [1, "ISA", "ISA11 must be 1 characters wide"],
    ],
  ],
  [
    "ISA11 = component",
    set(
      1,
      "ISA*00*          *00*          *ZZ*SUNRISE        *ZZ*ACMECH         *260314*1509*:*00501*000001234*0*T*:",
    ),
    true,
    [
      [
        1,
        "ISA",
        "ISA11 (repetition separator) must be a special character distinct from the other delimiters",
      ],
    ],
  ],
  // --- envelopes ---
  [
    "ends inside transaction",
    del(47, 3),
    false,
    [
      [46, "DTP", "the file ends inside a transaction (no SE)"],
      [46, "DTP", "the file ends inside a functional group (no GE)"],
      [46, "DTP", "the file ends inside an interchange (no IEA)"],
    ],
  ],
  [
    "GE missing (ends in group after IEA removed too)",
    del(48, 2),
    false,
    [
      [47, "SE", "the file ends inside a functional group (no GE)"],
      [47, "SE", "the file ends inside an interchange (no IEA)"],
    ],
  ],
  [
    "segment between SE and GE",
    ins(48, "NTE*ADD*X"),
    false,
    [[48, "NTE", "segment outside a transaction (ST/SE)"]],
  ],
  ["IEA without ISA", ins(50, "IEA*1*000001234"), false, [[50, "IEA", "IEA without a matching ISA"]]],
  ["IEA with group open", del(48), false, [[48, "IEA", "IEA before the GE of the open functional group"]]],
  [
    "GS after IEA",
    ins(50, "GS*HC*SUNRISE*ACMECH*20260314*1509*1235*X*005010X222A1", "GE*0*1235"),
    false,
    [[50, "GS", "GS outside an interchange (ISA/IEA)"]],
  ],
  [
    "GS before GE",
    ins(48, "GS*HC*SUNRISE*ACMECH*20260314*1509*1235*X*005010X222A1", "GE*0*1235"),
    false,
    [
      [48, "GS", "GS before the GE of the previous functional group"],
      [50, "GE", "GE without a matching GS"],
      [51, "IEA", "IEA01 must be 2 (the number of functional groups in the interchange)"],
    ],
  ],
  ["GE before SE", del(47), false, [[47, "GE", "GE before the SE of the open transaction"]]],
  [
    "ST outside group",
    ins(50, "ST*837*0002*005010X222A1", "SE*2*0002"),
    false,
    [
      [50, "ST", "ST outside a functional group (GS/GE)"],
      [51, "SE", "BHT must follow ST"],
      [51, "SE", "loop 1000A (NM1*41 submitter) must come before the first HL"],
      [51, "SE", "loop 1000B (NM1*40 receiver) must come before the first HL"],
      [51, "SE", "the transaction has no HL loops (2000A billing provider is required)"],
    ],
  ],
  [
    "ST before SE",
    ins(47, "ST*837*0002*005010X222A1"),
    false,
    [
      [47, "ST", "ST before the SE of the previous transaction"],
      [48, "SE", "SE01 must be 2 (the segments from ST to SE, both included)"],
      [48, "SE", "SE02 must equal ST02 (transaction set control number)"],
      [48, "SE", "BHT must follow ST"],
      [48, "SE", "loop 1000A (NM1*41 submitter) must come before the first HL"],
      [48, "SE", "loop 1000B (NM1*40 receiver) must come before the first HL"],
      [48, "SE", "the transaction has no HL loops (2000A billing provider is required)"],
      [49, "GE", "GE01 must be 2 (the number of transactions in the group)"],
    ],
  ],
  ["SE without ST", ins(48, "SE*2*0002"), false, [[48, "SE", "SE without a matching ST"]]],
  // --- amounts ---
  ["CLM02 6 decimals", set(21, "CLM*GOOD-1*125.500000***11:B:1*Y*A*Y*Y"), true, []],
  [
    "CLM02 7 decimals",
    set(21, "CLM*GOOD-1*125.5000000***11:B:1*Y*A*Y*Y"),
    true,
    [[21, "CLM", "CLM02 must be a decimal amount"]],
  ],
  [
    "CLM02 dot",
    set(21, "CLM*GOOD-1*.***11:B:1*Y*A*Y*Y"),
    true,
    [[21, "CLM", "CLM02 must be a decimal amount"]],
  ],
  [
    "CLM02 minus",
    set(21, "CLM*GOOD-1*-***11:B:1*Y*A*Y*Y"),
    true,
    [[21, "CLM", "CLM02 must be a decimal amount"]],
  ],
  [
    "CLM02 negative",
    set(21, "CLM*GOOD-1*-125.5***11:B:1*Y*A*Y*Y"),
    true,
    [[21, "CLM", "CLM02 (-125.50) does not equal the sum of its SV102 line charges (125.50)"]],
  ],
  [
    "CLM02 zero",
    set(21, "CLM*GOOD-1*0***11:B:1*Y*A*Y*Y"),
    true,
    [[21, "CLM", "CLM02 (0) does not equal the sum of its SV102 line charges (125.50)"]],
  ],
  [
    "CLM02 .05 vs lines",
    all(
      set(21, "CLM*GOOD-1*.05***11:B:1*Y*A*Y*Y"),
      set(24, "SV1*HC:99213*.5*UN*1***1"),
      set(27, "SV1*HC:85025*-.000001*UN*1***2"),
    ),
    true,
    [[21, "CLM", "CLM02 (0.05) does not equal the sum of its SV102 line charges (0.499999)"]],
  ],
  [
    "amounts without whole part / trailing dot",
    all(
      set(21, "CLM*GOOD-1*125.50***11:B:1*Y*A*Y*Y"),
      set(24, "SV1*HC:99213*100.*UN*1***1"),
      set(27, "SV1*HC:85025*.5*UN*1***2"),
      ins(29, "LX*3", "SV1*HC:85025*25*UN*1***2", "DTP*472*D8*20260310"),
    ),
    true,
    [],
  ],
  [
    "SV102 not amount",
    set(24, "SV1*HC:99213*abc*UN*1***1"),
    true,
    [[24, "SV1", "SV102 must be a decimal amount"]],
  ],
  // --- 837P structure ---
  ["BHT01 0020", set(4, "BHT*0020*00*B0001*20260314*1509*CH"), true, [[4, "BHT", "BHT01 must be 0019"]]],
  [
    "no HL at all",
    all(del(8, 39)),
    true,
    [[8, "SE", "the transaction has no HL loops (2000A billing provider is required)"]],
  ],
  [
    "no HL and no submitter",
    all(del(8, 39), del(5, 2)),
    true,
    [
      [6, "SE", "loop 1000A (NM1*41 submitter) must come before the first HL"],
      [6, "SE", "the transaction has no HL loops (2000A billing provider is required)"],
    ],
  ],
  [
    "no submitter",
    del(5, 2),
    true,
    [[6, "HL", "loop 1000A (NM1*41 submitter) must come before the first HL"]],
  ],
  ["no receiver", del(7), true, [[7, "HL", "loop 1000B (NM1*40 receiver) must come before the first HL"]]],
  [
    "PER after receiver",
    all(del(6), ins(7, "PER*IC*BILLING OFFICE*TE*5551234567")),
    true,
    [[5, "NM1", "loop 1000A must hold PER (submitter EDI contact)"]],
  ],
  [
    "1000A holds a REF but no PER",
    set(6, "REF*EI*123456789"),
    true,
    [[5, "NM1", "loop 1000A must hold PER (submitter EDI contact)"]],
  ],
  [
    "receiver before submitter",
    all(del(7), ins(5, "NM1*40*2*ACME CLEARINGHOUSE*****46*CLEARINGHOUSE01")),
    true,
    [[5, "NM1", "loop 1000B (NM1*40) must follow loop 1000A (NM1*41)"]],
  ],
  [
    "CLM in header",
    ins(8, "CLM*HDR-1*1***11:B:1*Y*A*Y*Y"),
    true,
    [[8, "CLM", "CLM before the first HL: a claim must sit in a subscriber or patient loop"]],
  ],
  ["HL04 2", set(14, "HL*2*1*22*2"), true, [[14, "HL", "HL04 must be 0 or 1"]]],
  [
    "first HL is 22",
    all(del(8, 6), set(8, "HL*1**22*0")),
    true,
    [
      [8, "HL", "HL level 22 must follow a level 20 HL"],
      [23, "HL", "HL01 must be 2 (HL numbering is sequential from 1)"],
      [23, "HL", "HL level 22 must follow a level 20 HL"],
      [30, "HL", "HL01 must be 3 (HL numbering is sequential from 1)"],
      [41, "SE", "the transaction has no billing provider loop (HL level 20)"],
    ],
  ],
  [
    "2000A again before 23",
    all(
      set(36, "HL*5*3*23*0"),
      ins(
        36,
        "HL*4**20*1",
        "NM1*85*2*OTHER*****XX*1234567893",
        "N3*1 A ST",
        "N4*SPRINGFIELD*IL*62701",
        "REF*EI*123456789",
      ),
    ),
    true,
    [
      [36, "HL", "HL04 is 1 but no HL names this one as its parent"],
      [41, "HL", "HL level 23 must follow a level 22 HL"],
    ],
  ],
  [
    "23 names closed 22",
    set(36, "HL*4*2*23*0"),
    true,
    [
      [14, "HL", "HL04 is 0 but a later HL names this one as its parent"],
      [29, "HL", "HL04 is 1 but no HL names this one as its parent"],
      [29, "HL", "HL level 22 has no claim (CLM)"],
      [36, "HL", "HL02 must be 3, the level 22 HL that encloses this level 23 loop"],
    ],
  ],
  [
    "duplicate HL id",
    all(set(36, "HL*4*2*23*0"), set(29, "HL*2*1*22*1")),
    true,
    [
      [14, "HL", "HL04 is 0 but a later HL names this one as its parent"],
      [29, "HL", "HL01 must be 3 (HL numbering is sequential from 1)"],
      [36, "HL", "HL02 must be 2, the level 22 HL that encloses this level 23 loop"],
    ],
  ],
  [
    "23 names unknown HL",
    set(36, "HL*4*9*23*0"),
    true,
    [
      [29, "HL", "HL04 is 1 but no HL names this one as its parent"],
      [29, "HL", "HL level 22 has no claim (CLM)"],
      [36, "HL", "HL02 must be 3, the level 22 HL that encloses this level 23 loop"],
    ],
  ],
  [
    "two patients under one subscriber",
    ins(
      47,
      "HL*5*3*23*0",
      "PAT*19",
      "NM1*QC*1*DOE*TOM",
      "N3*12 OAK AVE",
      "N4*AUSTIN*TX*73301",
      "DMG*D8*20170601*M",
      "CLM*GOOD-3*10***11:B:1*Y*A*Y*Y",
      "HI*ABK:E119",
      "LX*1",
      "SV1*HC:99213*10*UN*1***1",
      "DTP*472*D8*20260310",
    ),
    true,
    [],
  ],
  [
    "two claims in one loop",
    ins(
      29,
      "CLM*GOOD-3*10***11:B:1*Y*A*Y*Y",
      "HI*ABK:E119",
      "LX*1",
      "SV1*HC:99213*10*UN*1***1",
      "DTP*472*D8*20260310",
    ),
    true,
    [],
  ],
  [
    "claim with only CLM before HL",
    del(22, 7),
    true,
    [
      [21, "CLM", "claim has no HI (diagnosis) segment before its first service line"],
      [21, "CLM", "claim has no service line (LX/SV1)"],
    ],
  ],
  ["last loop without claim", del(42, 5), true, [[36, "HL", "HL level 23 has no claim (CLM)"]]],
  [
    "first claim ends in LX, next claim in same loop",
    all(
      ins(
        29,
        "CLM*GOOD-3*10***11:B:1*Y*A*Y*Y",
        "HI*ABK:E119",
        "LX*1",
        "SV1*HC:99213*10*UN*1***1",
        "DTP*472*D8*20260310",
      ),
      del(24, 5),
      set(21, "CLM*GOOD-1*0***11:B:1*Y*A*Y*Y"),
    ),
    true,
    [[23, "LX", "LX must be followed by SV1 (professional service)"]],
  ],
  [
    "first claim no lines, second no HI",
    all(
      ins(29, "CLM*GOOD-3*10***11:B:1*Y*A*Y*Y", "LX*1", "SV1*HC:99213*10*UN*1***1", "DTP*472*D8*20260310"),
      del(23, 6),
    ),
    true,
    [
      [21, "CLM", "claim has no service line (LX/SV1)"],
      [23, "CLM", "claim has no HI (diagnosis) segment before its first service line"],
    ],
  ],
  ["REF*SY", set(13, "REF*SY*123456789"), true, []],
  [
    "REF*XX",
    set(13, "REF*XX*123456789"),
    true,
    [[10, "NM1", "loop 2010AA must hold REF*EI or REF*SY (billing provider tax id)"]],
  ],
  [
    "N3 before NM1*85",
    all(del(11), ins(10, "N3*100 MAIN ST")),
    true,
    [[11, "NM1", "loop 2010AA must hold N3 (billing provider address)"]],
  ],
  [
    "2000B empty head",
    del(30, 6),
    true,
    [
      [29, "HL", "loop 2000B must begin with SBR"],
      [29, "HL", "loop 2000B has no NM1*IL (2010BA subscriber)"],
      [29, "HL", "loop 2000B has no NM1*PR (2010BB payer)"],
    ],
  ],
  [
    "2000C empty head",
    del(37, 5),
    true,
    [
      [36, "HL", "loop 2000C must begin with PAT"],
      [36, "HL", "loop 2000C has no NM1*QC (2010CA patient)"],
    ],
  ],
  [
    "NM1*PR first in 2000B",
    all(del(20), ins(15, "NM1*PR*2*AETNA*****PI*60054")),
    true,
    [
      [15, "NM1", "loop 2000B must begin with SBR"],
      [15, "NM1", "NM1*PR (2010BB) must follow NM1*IL (2010BA)"],
    ],
  ],
  [
    "HL03 24",
    set(36, "HL*4*3*24*0"),
    true,
    [
      [29, "HL", "HL04 is 1 but no HL names this one as its parent"],
      [29, "HL", "HL level 22 has no claim (CLM)"],
      [36, "HL", "HL03 must be 20 (billing provider), 22 (subscriber) or 23 (patient)"],
      [42, "CLM", "CLM must sit in a subscriber (22) or patient (23) loop"],
    ],
  ],
  [
    "HL03 24 on a subscriber loop (no 2000B/2000C rule applies to it)",
    set(14, "HL*2*1*24*0"),
    true,
    [
      [14, "HL", "HL03 must be 20 (billing provider), 22 (subscriber) or 23 (patient)"],
      [21, "CLM", "CLM must sit in a subscriber (22) or patient (23) loop"],
    ],
  ],
  [
    "HL without HL01 (reported once; it cannot be named as a parent, so HL04 is not judged)",
    set(14, "HL**1*22*1"),
    true,
    [[14, "HL", "HL01 must be 2 (HL numbering is sequential from 1)"]],
  ],
  [
    "CLM05 two parts",
    set(21, "CLM*GOOD-1*125.5***11:B*Y*A*Y*Y"),
    true,
    [[21, "CLM", "CLM05 must be a composite of place of service, qualifier and frequency code"]],
  ],
  [
    "CLM05 no place",
    set(21, "CLM*GOOD-1*125.5***:B:1*Y*A*Y*Y"),
    true,
    [[21, "CLM", "CLM05 must be a composite of place of service, qualifier and frequency code"]],
  ],
  [
    "CLM05 no frequency",
    set(21, "CLM*GOOD-1*125.5***11:B:*Y*A*Y*Y"),
    true,
    [
      [21, "CLM", "element 5 ends with an empty component"],
      [21, "CLM", "CLM05 must be a composite of place of service, qualifier and frequency code"],
    ],
  ],
  ["CLM05 no qualifier", set(21, "CLM*GOOD-1*125.5***11::1*Y*A*Y*Y"), true, []],
  [
    "CLM01 empty",
    set(21, "CLM**125.5***11:B:1*Y*A*Y*Y"),
    true,
    [[21, "CLM", "CLM01 (claim number) must not be empty"]],
  ],
  [
    "HI 12 codes",
    set(
      43,
      "HI*ABK:E119*ABF:I10*ABF:I11*ABF:I12*ABF:I13*ABF:I14*ABF:I15*ABF:I16*ABF:I17*ABF:I18*ABF:I19*ABF:I20",
    ),
    true,
    [],
  ],
  [
    "HI 13 codes",
    set(
      43,
      "HI*ABK:E119*ABF:I10*ABF:I11*ABF:I12*ABF:I13*ABF:I14*ABF:I15*ABF:I16*ABF:I17*ABF:I18*ABF:I19*ABF:I20*ABF:I21",
    ),
    true,
    [[43, "HI", "HI must hold 1 to 12 codes"]],
  ],
  [
    "HI empty",
    set(43, "HI"),
    true,
    [
      [43, "HI", "HI must hold 1 to 12 codes"],
      [45, "SV1", "SV107 pointers must be 1 to 4 numbers, each naming one of the claim's 0 diagnosis codes"],
    ],
  ],
  [
    "HI no code",
    set(43, "HI*ABK"),
    true,
    [
      [43, "HI", "HI01 must be a composite of a qualifier and a code"],
      [45, "SV1", "SV107 pointers must be 1 to 4 numbers, each naming one of the claim's 0 diagnosis codes"],
    ],
  ],
  [
    "HI no qualifier",
    set(43, "HI*:E119"),
    true,
    [
      [43, "HI", "HI01 must be a composite of a qualifier and a code"],
      [45, "SV1", "SV107 pointers must be 1 to 4 numbers, each naming one of the claim's 0 diagnosis codes"],
    ],
  ],
  [
    "HI only condition code",
    set(43, "HI*BG:01"),
    true,
    [[45, "SV1", "SV107 pointers must be 1 to 4 numbers, each naming one of the claim's 0 diagnosis codes"]],
  ],
  ["no DTP on line 1", del(25), true, [[23, "LX", "service line must hold DTP*472 (service date)"]]],
  [
    "DTP*431",
    set(25, "DTP*431*D8*20260310"),
    true,
    [[23, "LX", "service line must hold DTP*472 (service date)"]],
  ],
  [
    "472 not in DTP",
    set(25, "NTE*472*X"),
    true,
    [[23, "LX", "service line must hold DTP*472 (service date)"]],
  ],
  [
    "SV101 no code",
    set(24, "SV1*HC*100*UN*1***1"),
    true,
    [[24, "SV1", "SV101 must hold a qualifier and a procedure code"]],
  ],
  [
    "SV101 no qualifier",
    set(24, "SV1*:99213*100*UN*1***1"),
    true,
    [[24, "SV1", "SV101 must hold a qualifier and a procedure code"]],
  ],
  [
    "SV107 without HI",
    all(del(43), set(44, "SV1*HC:99213*125*UN*1***x")),
    true,
    [[42, "CLM", "claim has no HI (diagnosis) segment before its first service line"]],
  ],
  [
    "SV107 points past",
    set(27, "SV1*HC:85025*25.5*UN*1***3"),
    true,
    [[27, "SV1", "SV107 pointers must be 1 to 4 numbers, each naming one of the claim's 2 diagnosis codes"]],
  ],
  [
    "SV107 one good one past",
    set(27, "SV1*HC:85025*25.5*UN*1***1:3"),
    true,
    [[27, "SV1", "SV107 pointers must be 1 to 4 numbers, each naming one of the claim's 2 diagnosis codes"]],
  ],
];

describe("validate837 reports each corrupted file exactly", () => {
  it.each(ROWS)("%s", (_name, edit, recount, want) => {
    expect(problems(file(edit, recount))).toEqual(want);
  });
});

describe("validate837 results beyond the violations", () => {
  const good = file(() => {});

  it("counts the claims of 837 transactions only (ST01 838 is checked as an envelope, not as a claim)", () => {
    expect(validate837(good)).toMatchObject({ claimCount: 2, claimNumbers: ["GOOD-1", "GOOD-2"] });
    const other = validate837(file(set(3, "ST*838*0001*005010X222A1")));
    expect(other).toMatchObject({ ok: false, claimCount: 0, claimNumbers: [] });
  });

  it("lists two claims of one HL loop in file order", () => {
    const two = file(
      ins(
        29,
        "CLM*GOOD-3*10***11:B:1*Y*A*Y*Y",
        "HI*ABK:E119",
        "LX*1",
        "SV1*HC:99213*10*UN*1***1",
        "DTP*472*D8*20260310",
      ),
    );
    expect(validate837(two).claimNumbers).toEqual(["GOOD-1", "GOOD-3", "GOOD-2"]);
  });

  it("reports an ISA that opens before the IEA of the previous interchange, keeping the first ISA13", () => {
    const first = file(del(49));
    const second = file(
      all(
        set(1, GOOD[0]?.replace("000001234", "000001235") as string),
        set(49, "IEA*1*000001235"),
        set(42, "CLM*GOOD-4*125***11:B:1*Y*A*Y*Y"),
        set(21, "CLM*GOOD-3*125.5***11:B:1*Y*A*Y*Y"),
      ),
    );
    const r = validate837(first + second);
    expect(r.violations.map((v) => [v.segment, v.id, v.message])).toEqual([
      [49, "ISA", "ISA before the IEA of the previous interchange"],
    ]);
    expect(r).toMatchObject({ interchanges: 2, isaControlNumber: "000001234", claimCount: 4 });
  });

  it("returns no claims for a file it cannot read", () => {
    expect(validate837("")).toMatchObject({ ok: false, interchanges: 0, claimCount: 0, claimNumbers: [] });
  });

  it("reports the ISA element count it found when a short ISA is not line-broken", () => {
    const short = file(
      set(1, "ISA*00*          *ZZ*SUNRISE        *ZZ*ACMECH         *260314*1509*^*00501*000001234*0*T*:"),
    ).replaceAll("~\n", "~");
    expect(problems(short).filter(([, id]) => id === "ISA")).toEqual([
      // Without a line break the reader takes the ISA's terminator from the fixed ISA layout, which
      // now falls inside the data: 23 characters and 4 elements reach the ISA checks.
      [1, "ISA", "ISA must be exactly 106 characters including its terminator, found 23"],
      [1, "ISA", "ISA must have 16 elements, found 4"],
    ]);
  });
});

describe("parseAmount (X12 R amounts, exact at 10^-6)", () => {
  it.each([
    ["125.5", 125_500_000n],
    ["-125.5", -125_500_000n],
    [".5", 500_000n],
    ["-.5", -500_000n],
    ["5.", 5_000_000n],
    ["0", 0n],
    ["1.123456", 1_123_456n],
    ["-0.000001", -1n],
  ] as const)("%s is %s millionths", (text, want) => {
    expect(parseAmount(text)).toBe(want);
  });

  it.each(["", ".", "-", "-.", "1.1234567", "1,5", "+1", "1e3", " 1", "1.2.3"])(
    "%j is not an amount",
    (text) => {
      expect(parseAmount(text)).toBeUndefined();
    },
  );
});

describe("check837Transaction", () => {
  it("returns how many claims the transaction held and appends their numbers", () => {
    const read = readSegments(file(() => {}));
    const segs = read.segments.slice(2, 47);
    const ctx = { component: ":", claimNumbers: ["EARLIER"], seenClaims: new Set<string>(), violations: [] };
    expect(check837Transaction(segs, ctx)).toBe(2);
    expect(ctx.claimNumbers).toEqual(["EARLIER", "GOOD-1", "GOOD-2"]);
    expect(ctx.violations).toEqual([]);
  });
});
