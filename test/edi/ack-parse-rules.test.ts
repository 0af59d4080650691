// The acknowledgement parser's rules one by one: every rejection names its rule, the 1-based
// segment position and the exact text an operator sees (ack-errors.ts), and every value it keeps
// is read trimmed, the way sloppy senders pad fixed-width-minded fields. Files are built here
// segment by segment (ISA = segment 1, GS = 2, ST = 3, the set's body from 4).
import { describe, expect, it } from "vitest";
import { AckParseError } from "../../src/edi/ack-errors.js";
import type { Ack277, Ack999, Ta1Ack } from "../../src/edi/acknowledgement.js";
import { parseAcknowledgements } from "../../src/edi/parse-acknowledgement.js";
import { parseError } from "../support/ack-builders.js";

const CTL = "000000017";
const ISA = `ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*SUNRISE        *260315*1200*^*00501*${CTL}*0*T*:`;

const file = (segs: readonly string[]) => `${segs.join("~\n")}~\n`;

/** One interchange holding one group holding one set with `body`, all counts right. */
function oneSet(
  st: string,
  body: readonly string[],
  gs = "GS*FA*CLEARINGHOUSE*SUNRISE*20260315*1200*7*X*005010X231A1",
) {
  const st02 = st.split("*")[2] ?? "";
  return [ISA, gs, st, ...body, `SE*${body.length + 2}*${st02}`, "GE*1*7", `IEA*1*${CTL}`];
}

const ST999 = "ST*999*0001*005010X231A1";
const ST277 = "ST*277*0001*005010X214";
const OK999 = ["AK1*HC*1234*005010X222A1", "AK2*837*0001*005010X222A1", "IK5*A", "AK9*A*1*1*1"];
const BHT = "BHT*0085*08*277CA0001*20260315*1200*TH";

function only<T>(text: string): T {
  const { acks } = parseAcknowledgements(text);
  expect(acks).toHaveLength(1);
  return acks[0] as T;
}

/** A 277CA with one claim (HL PT, TRN*2*CLM-1) followed by `claim` segments. */
function claim277(claim: readonly string[], before: readonly string[] = []): string {
  return file(oneSet(ST277, [BHT, ...before, "HL*1**20*1", "HL*2*1*PT", "TRN*2*CLM-1", ...claim]));
}

type Row = readonly [name: string, text: string, rule: string, segment: number, detail: string];

const rows: readonly Row[] = [
  // the file as a whole
  ["an empty file", "", "not_x12", 1, "a file must begin with an ISA segment"],
  ["blank lines only", "\n\n", "not_x12", 1, "a file must begin with an ISA segment"],
  ["NUL bytes", `${ISA}~\u0000`, "not_x12", 0, "the file holds NUL bytes"],
  [
    "an ISA whose delimiters collide",
    file([ISA.replace(/\*:$/, "*~"), `IEA*0*${CTL}`]),
    "envelope",
    1,
    "element separator, component separator (ISA16) and segment terminator must differ",
  ],
  [
    "an interchange with neither TA1 nor group",
    file([ISA, `IEA*0*${CTL}`]),
    "not_an_acknowledgement",
    0,
    "no TA1, 999 or 277CA in the file",
  ],
  [
    "a bad segment id",
    file([ISA, "ta1*1"]),
    "segment",
    2,
    "segment id must be 2 or 3 upper-case letters or digits",
  ],
  // interchange
  [
    // ISA02 holds the segment terminator: the ISA ends after two elements (tolerated trailing
    // separator) and the rest reads as a REF.
    "an ISA cut by a terminator inside ISA02",
    file([ISA.replace("*00*          *00*", "*00*~REF*00*"), `IEA*0*${CTL}`]),
    "envelope",
    1,
    "ISA must have 16 elements",
  ],
  ["an ISA and nothing else", file([ISA]), "envelope", 1, "interchange has no IEA (file cut short?)"],
  [
    "a segment after the IEA",
    file([ISA, `IEA*0*${CTL}`, "TA1*1*260314*1509*A*000"]),
    "envelope",
    3,
    "TA1 outside an interchange (expected ISA)",
  ],
  [
    "IEA02 other than ISA13",
    file([ISA, "TA1*1*260314*1509*A*000", "IEA*0*000000018"]),
    "envelope",
    3,
    "IEA02 must equal ISA13",
  ],
  [
    "IEA01 counting a group that is not there",
    file([ISA, "TA1*1*260314*1509*A*000", `IEA*1*${CTL}`]),
    "envelope",
    3,
    "IEA01 must count the 0 functional group(s)",
  ],
  [
    "IEA01 not a number",
    file([ISA, "TA1*1*260314*1509*A*000", `IEA*X*${CTL}`]),
    "segment",
    3,
    "IEA01 must be a number of 1-9 digits",
  ],
  [
    "IEA01 empty",
    file([ISA, "TA1*1*260314*1509*A*000", `IEA**${CTL}`]),
    "segment",
    3,
    "IEA01 must be a number of 1-9 digits",
  ],
  [
    "IEA01 of 10 digits",
    file([ISA, "TA1*1*260314*1509*A*000", `IEA*0000000000*${CTL}`]),
    "segment",
    3,
    "IEA01 must be a number of 1-9 digits",
  ],
  [
    "a segment between ISA and GS",
    file([ISA, "NM1*41*2*X", `IEA*0*${CTL}`]),
    "envelope",
    2,
    "NM1 outside a functional group (expected GS, TA1 or IEA)",
  ],
  // functional group
  [
    "a group cut at the end of the file",
    file([ISA, "GS*FA*A*B*20260315*1200*7*X*005010X231A1"]),
    "envelope",
    2,
    "functional group has no GE (file cut short?)",
  ],
  [
    "a group closed by IEA",
    file([ISA, "GS*FA*A*B*20260315*1200*7*X*005010X231A1", `IEA*1*${CTL}`]),
    "envelope",
    2,
    "functional group has no GE (file cut short?)",
  ],
  [
    "a group closed by the next ISA",
    file([ISA, "GS*FA*A*B*20260315*1200*7*X*005010X231A1", ISA, `IEA*0*${CTL}`]),
    "envelope",
    2,
    "functional group has no GE (file cut short?)",
  ],
  [
    "GE02 other than GS06",
    file(oneSet(ST999, OK999).map((s) => (s === "GE*1*7" ? "GE*1*8" : s))),
    "envelope",
    9,
    "GE02 must equal GS06",
  ],
  [
    "GE01 miscounting the sets",
    file(oneSet(ST999, OK999).map((s) => (s === "GE*1*7" ? "GE*2*7" : s))),
    "envelope",
    9,
    "GE01 must count the 1 transaction set(s)",
  ],
  [
    "a segment between GS and ST",
    file([ISA, "GS*FA*A*B*20260315*1200*7*X*005010X231A1", "REF*1K*X", "GE*0*7", `IEA*1*${CTL}`]),
    "envelope",
    3,
    "REF outside a transaction set (expected ST or GE)",
  ],
  // transaction set
  ...(["ST*999*0002", "GE*1*7", `IEA*1*${CTL}`, ISA] as const).map(
    (next): Row => [
      `a set cut by ${next.slice(0, 3).replace("*", "")}`,
      file([
        ISA,
        "GS*FA*A*B*20260315*1200*7*X*005010X231A1",
        ST999,
        "AK1*HC*1",
        next,
        "SE*4*0001",
        "GE*1*7",
        `IEA*1*${CTL}`,
      ]),
      "envelope",
      3,
      "transaction set has no SE (file cut short?)",
    ],
  ),
  [
    "SE02 other than ST02",
    file(oneSet(ST999, OK999).map((s) => (s === "SE*6*0001" ? "SE*6*0002" : s))),
    "envelope",
    8,
    "SE02 must equal ST02",
  ],
  [
    "SE01 miscounting the segments",
    file(oneSet(ST999, OK999).map((s) => (s === "SE*6*0001" ? "SE*5*0001" : s))),
    "envelope",
    8,
    "SE01 must count the 6 segments from ST to SE",
  ],
  [
    "an 835",
    file(oneSet("ST*835*0001", ["BPR*I"])),
    "not_an_acknowledgement",
    3,
    "transaction set 835 is not a 999 or 277CA",
  ],
  [
    "a 4-digit ST01",
    file(oneSet("ST*9990*0001", ["BPR*I"])),
    "not_an_acknowledgement",
    3,
    "transaction set (invalid ST01) is not a 999 or 277CA",
  ],
  [
    "a letter before ST01",
    file(oneSet("ST*X999*0001", ["BPR*I"])),
    "not_an_acknowledgement",
    3,
    "transaction set (invalid ST01) is not a 999 or 277CA",
  ],
  // TA1
  ["TA104 missing", file([ISA, "TA1*1*260314*1509**000", `IEA*0*${CTL}`]), "segment", 2, "TA104 is required"],
  ["TA104 blank", file([ISA, "TA1*1*260314*1509* *000", `IEA*0*${CTL}`]), "segment", 2, "TA104 is required"],
  [
    "TA104 not A, E or R",
    file([ISA, "TA1*1*260314*1509*Q*000", `IEA*0*${CTL}`]),
    "segment",
    2,
    "TA104 must be A, E or R",
  ],
  [
    "TA101 not a number",
    file([ISA, "TA1*X*260314*1509*A*000", `IEA*0*${CTL}`]),
    "segment",
    2,
    "TA101 must be a number of 1-9 digits",
  ],
  // 999 loops
  ["an empty 999", file(oneSet(ST999, [])), "segment", 3, "a 999 must begin with AK1"],
  [
    "a 999 that starts with AK2",
    file(oneSet(ST999, OK999.slice(1))),
    "segment",
    4,
    "a 999 must begin with AK1",
  ],
  ["a 999 without AK9", file(oneSet(ST999, OK999.slice(0, 3))), "segment", 3, "a 999 must end with AK9"],
  ["a segment after AK9", file(oneSet(ST999, [...OK999, "IK5*A"])), "segment", 8, "IK5 after AK9"],
  [
    "an AK2 inside an open AK2",
    file(oneSet(ST999, ["AK1*HC*1", "AK2*837*0001", "AK2*837*0002", "IK5*A", "AK9*A*1*1*1"])),
    "segment",
    6,
    "AK2 before the IK5 of the previous set",
  ],
  [
    "an IK3 outside an AK2",
    file(oneSet(ST999, ["AK1*HC*1", "IK3*NM1*12**8", "AK9*A*0*0*0"])),
    "segment",
    5,
    "IK3 outside an AK2 loop",
  ],
  [
    "an IK4 without an IK3",
    file(oneSet(ST999, ["AK1*HC*1", "AK2*837*0001", "IK4*2**7", "IK5*A", "AK9*A*1*1*1"])),
    "segment",
    6,
    "IK4 without an IK3",
  ],
  [
    "an IK5 outside an AK2",
    file(oneSet(ST999, ["AK1*HC*1", "IK5*A", "AK9*A*0*0*0"])),
    "segment",
    5,
    "IK5 outside an AK2 loop",
  ],
  [
    "an AK9 inside an open AK2",
    file(oneSet(ST999, ["AK1*HC*1", "AK2*837*0001", "AK9*A*1*1*1"])),
    "segment",
    6,
    "AK9 before the IK5 of the last set",
  ],
  [
    "AK102 not a number",
    file(oneSet(ST999, ["AK1*HC*X", ...OK999.slice(1)])),
    "segment",
    4,
    "AK102 must be a number of 1-9 digits",
  ],
  [
    "AK201 missing",
    file(oneSet(ST999, ["AK1*HC*1", "AK2**0001", "IK5*A", "AK9*A*1*1*1"])),
    "segment",
    5,
    "AK201 is required",
  ],
  [
    "AK202 missing",
    file(oneSet(ST999, ["AK1*HC*1", "AK2*837", "IK5*A", "AK9*A*1*1*1"])),
    "segment",
    5,
    "AK202 is required",
  ],
  [
    "IK501 missing",
    file(oneSet(ST999, ["AK1*HC*1", "AK2*837*0001", "IK5", "AK9*A*1*1*1"])),
    "segment",
    6,
    "IK501 is required",
  ],
  [
    "IK302 not a number",
    file(oneSet(ST999, ["AK1*HC*1", "AK2*837*0001", "IK3*NM1*X**8", "IK5*E", "AK9*E*1*1*1"])),
    "segment",
    6,
    "IK302 must be a number of 1-9 digits",
  ],
  [
    "IK403 missing",
    file(oneSet(ST999, ["AK1*HC*1", "AK2*837*0001", "IK3*NM1*12**8", "IK4*2*66", "IK5*E", "AK9*E*1*1*1"])),
    "segment",
    7,
    "IK403 is required",
  ],
  [
    "AK901 missing",
    file(oneSet(ST999, ["AK1*HC*1", "AK2*837*0001", "IK5*A", "AK9**1*1*1"])),
    "segment",
    7,
    "AK901 is required",
  ],
  [
    "AK904 not a number",
    file(oneSet(ST999, ["AK1*HC*1", "AK2*837*0001", "IK5*A", "AK9*A*1*1*Y"])),
    "segment",
    7,
    "AK904 must be a number of 1-9 digits",
  ],
  // 277CA
  [
    "a 277 of another guide",
    file(oneSet("ST*277*0001*005010X212", [BHT])),
    "not_an_acknowledgement",
    3,
    "a 277 that is not a 005010X214 claim acknowledgement",
  ],
  [
    "a guide id that only ends like X214",
    file(oneSet("ST*277*0001*004010X214", [BHT])),
    "not_an_acknowledgement",
    3,
    "a 277 that is not a 005010X214 claim acknowledgement",
  ],
  ["an empty 277", file(oneSet(ST277, [])), "segment", 3, "a 277CA must begin with BHT"],
  [
    "a 277 that starts with HL",
    file(oneSet(ST277, ["HL*1**20*1", BHT])),
    "segment",
    4,
    "a 277CA must begin with BHT",
  ],
  [
    "a claim TRN without its number",
    file(oneSet(ST277, [BHT, "HL*1**20*1", "HL*2*1*PT", "TRN*2"])),
    "segment",
    7,
    "TRN02 is required",
  ],
  ["an STC without any status", claim277(["STC**20260315*WQ*100"]), "segment", 8, "STC01 is required"],
  [
    "an STC01 without its category",
    claim277(["STC*:21:PR*20260315*U*100"]),
    "segment",
    8,
    "STC01-1 (claim status category) is required",
  ],
  [
    "an STC10 without its category",
    claim277(["STC*A3:21:PR*20260315*U*100******:33"]),
    "segment",
    8,
    "STC10-1 (claim status category) is required",
  ],
  [
    "an STC04 with three decimals",
    claim277(["STC*A2:20:PR*20260315*WQ*100.005"]),
    "segment",
    8,
    "STC04 must be an amount",
  ],
  [
    "an STC04 that is not a number",
    claim277(["STC*A2:20:PR*20260315*WQ*ABC"]),
    "segment",
    8,
    "STC04 must be an amount",
  ],
  [
    "an STC04 of 11 digits",
    claim277(["STC*A2:20:PR*20260315*WQ*12345678901"]),
    "segment",
    8,
    "STC04 must be an amount",
  ],
  ["a REF*1K without its number", claim277(["REF*1K"]), "segment", 8, "REF02 is required"],
  ["a REF*D9 without its number", claim277(["REF*D9"]), "segment", 8, "REF02 is required"],
  ...(
    [
      ["D8", "2026031"],
      ["D8", "20260101-20260131"],
      ["RD8", "20260101"],
      ["RD8", "20260101-2026013"],
      ["RD8", "X20260101-20260131"],
      ["RD8", "20260101-20260131X"],
      ["DT", "202601011200"],
      ["", "20260101"],
    ] as const
  ).map(
    ([format, value]): Row => [
      `DTP*472*${format}*${value}`,
      claim277([`DTP*472*${format}*${value}`]),
      "segment",
      8,
      "DTP*472 must hold a D8 date or an RD8 range",
    ],
  ),
];

describe("every rejection names its rule, position and reason", () => {
  it.each(rows)("%s", (_name, text, rule, segment, detail) => {
    const err = parseError(text);
    expect(err.code).toBe("ACK_UNREADABLE");
    expect({ rule: err.rule, segment: err.segment, detail: err.detail }).toEqual({ rule, segment, detail });
    expect(err.message).toBe(segment > 0 ? `segment ${segment}: ${detail} (${rule})` : `${detail} (${rule})`);
  });

  it("the message of a whole-file error names no position", () => {
    expect(new AckParseError("not_x12", 0, "the file is empty").message).toBe("the file is empty (not_x12)");
    expect(new AckParseError("segment", 1, "x").message).toBe("segment 1: x (segment)");
  });
});

describe("values are read trimmed", () => {
  it("TA1: every element, and an E code", () => {
    const ack = only<Ta1Ack>(file([ISA, "TA1* 17 * 260314 * 1509 * E * 024 ", `IEA*0*${CTL}`]));
    expect(ack).toEqual({
      kind: "TA1",
      pos: 2,
      envelope: {
        pos: 1,
        senderQualifier: "ZZ",
        senderId: "CLEARINGHOUSE",
        receiverQualifier: "ZZ",
        receiverId: "SUNRISE",
        controlNumber: CTL,
      },
      interchangeControlNumber: 17,
      interchangeDate: "260314",
      interchangeTime: "1509",
      ackCode: "E",
      noteCode: "024",
    });
  });

  it("ISA: qualifiers and ISA13 padded with spaces", () => {
    const padded = ISA.replace("*ZZ*CLEARINGHOUSE  *ZZ*", "*1 *CLEARINGHOUSE  *1 *").replace(
      `*${CTL}*`,
      "*00000017 *",
    );
    const ack = only<Ta1Ack>(file([padded, "TA1*17*260314*1509*A*000", "IEA*0*00000017"]));
    expect(ack.envelope).toMatchObject({
      senderQualifier: "1",
      receiverQualifier: "1",
      controlNumber: "00000017",
    });
  });

  it("envelope numbers: IEA, GE and SE counts and control numbers, and ST01", () => {
    const text = file([
      ISA,
      "GS*FA*A*B*20260315*1200* 7 *X*005010X231A1",
      "ST* 999 * 0001 *005010X231A1",
      ...OK999,
      "SE* 6 *0001 ",
      "GE* 1 * 7",
      `IEA* 1 * ${CTL} `,
    ]);
    expect(only<Ack999>(text).groupAckCode).toBe("A");
  });

  it("999: AK1, AK2, IK3, IK4, IK5 and AK9, dropping empty error codes; CTX is skipped", () => {
    const ack = only<Ack999>(
      file(
        oneSet(ST999, [
          "AK1* HC * 1234 *005010X222A1",
          "AK2* 837 * 0001 * 005010X222A1 ",
          "IK3* NM1 * 12 * 2010BA * 8 ",
          "CTX*CLM01:CLM-A1",
          "IK4* 2 * 66 * 7 ",
          "IK4*3**8",
          "IK3*CLM*20**8",
          "IK5* R * 5 ** I6 ",
          "AK9* R * 1 * 1 * 0 * 3 ** 18 ",
        ]),
      ),
    );
    expect(ack).toMatchObject({
      functionalId: "HC",
      groupControlNumber: 1234,
      groupAckCode: "R",
      setsIncluded: 1,
      setsReceived: 1,
      setsAccepted: 0,
      groupErrorCodes: ["3", "18"],
    });
    expect(ack.sets).toEqual([
      {
        pos: 5,
        setId: "837",
        controlNumber: "0001",
        version: "005010X222A1",
        ackCode: "R",
        errorCodes: ["5", "I6"],
        segmentErrors: [
          {
            pos: 6,
            segmentId: "NM1",
            position: 12,
            loop: "2010BA",
            code: "8",
            elementErrors: [
              { position: "2", reference: "66", code: "7" },
              { position: "3", reference: "", code: "8" },
            ],
          },
          { pos: 10, segmentId: "CLM", position: 20, loop: "", code: "8", elementErrors: [] },
        ],
      },
    ]);
  });

  it("999: a 999 with no group error codes has none", () => {
    expect(only<Ack999>(file(oneSet(ST999, OK999))).groupErrorCodes).toEqual([]);
  });

  it("277CA: ST03, BHT04, HL03, TRN, STC, REF and DTP", () => {
    const ack = only<Ack277>(
      file(
        oneSet("ST*277*0001* 005010X214 ", [
          "BHT*0085*08*277CA0001* 20260315 *1200*TH",
          "HL*1**20*1",
          "HL*2*1* PT ",
          "TRN* 2 * CLM-1 ",
          "STC* A2 : 20 : PR * 20260315 * WQ * 100.05 ",
          "REF* 1K * PCN1 ",
          "REF* D9 * TR1 ",
          "DTP* 472 * RD8 * 20260101-20260131 ",
        ]),
      ),
    );
    expect(ack.createdDate).toBe("20260315");
    expect(ack.claims).toEqual([
      {
        pos: 7,
        claimNumber: "CLM-1",
        statuses: [
          {
            codes: [{ category: "A2", status: "20", entity: "PR" }],
            date: "20260315",
            action: "WQ",
            amountCents: 10005,
          },
        ],
        outcome: "accepted",
        payerClaimControlNumber: "PCN1",
        clearinghouseTraceNumber: "TR1",
        serviceFrom: "20260101",
        serviceTo: "20260131",
      },
    ]);
  });
});

describe("277CA claims", () => {
  it("an ST03 of a later X214 errata is read", () => {
    expect(only<Ack277>(file(oneSet("ST*277*0001*005010X214A1", [BHT]))).kind).toBe("277CA");
  });

  it("a status of a category alone has empty status and entity codes; a blank STC10 adds none", () => {
    const ack = only<Ack277>(claim277(["STC*A3*20260315*U*100******   "]));
    expect(ack.claims[0]?.statuses[0]?.codes).toEqual([{ category: "A3", status: "", entity: "" }]);
  });

  it("a 277 without ST03 is read; a BHT04 that is not a date is left out", () => {
    const ack = only<Ack277>(file(oneSet("ST*277*0001", ["BHT*0085*08*X*2026*1200*TH"])));
    expect(ack).toMatchObject({ kind: "277CA", claims: [] });
    expect(ack.createdDate).toBeUndefined();
  });

  it.each([
    ["100", 10000],
    ["7.5", 750],
    ["0.05", 5],
    ["-12.50", -1250],
    ["-3", -300],
    ["1234567890.99", 123456789099],
  ])("STC04 %s is %i cents", (amount, cents) => {
    const ack = only<Ack277>(claim277([`STC*A2:20:PR*20260315*WQ*${amount}`]));
    expect(ack.claims[0]?.statuses[0]?.amountCents).toBe(cents);
  });

  it("an STC without date, action or amount leaves them out; STC10 and STC11 add codes", () => {
    const ack = only<Ack277>(claim277(["STC*A1:19:PR*2026**       ******A3:21:85*A7:562"]));
    expect(ack.claims[0]?.statuses).toEqual([
      {
        codes: [
          { category: "A1", status: "19", entity: "PR" },
          { category: "A3", status: "21", entity: "85" },
          { category: "A7", status: "562", entity: "" },
        ],
        date: undefined,
        action: undefined,
        amountCents: undefined,
      },
    ]);
    expect(ack.claims[0]?.outcome).toBe("rejected");
  });

  it("an STC may carry its status in STC10 only", () => {
    const ack = only<Ack277>(claim277(["STC**20260315*WQ*100******A2:20"]));
    expect(ack.claims[0]?.statuses[0]?.codes).toEqual([{ category: "A2", status: "20", entity: "" }]);
  });

  it.each([
    [["A2:20", "A7:562"], "rejected"],
    [["A1:19", "A2:20"], "accepted"],
    [["A1:19", "A5:20"], "accepted"],
    [["A0:16", "A1:19"], "pended"],
  ])("statuses %j make the claim %s", (stcs, outcome) => {
    const ack = only<Ack277>(claim277(stcs.map((s) => `STC*${s}*20260315*WQ*100`)));
    expect(ack.claims[0]?.outcome).toBe(outcome);
  });

  it("a D8 service date is both from and to", () => {
    const ack = only<Ack277>(claim277(["DTP*472*D8*20260214"]));
    expect(ack.claims[0]).toMatchObject({ serviceFrom: "20260214", serviceTo: "20260214" });
  });

  it("segments outside a claim, other qualifiers and service lines do not touch the claim", () => {
    const ack = only<Ack277>(
      claim277(
        [
          "REF*EJ*PATIENTACCT",
          "DTP*036*RD8*not-a-date",
          "STC*A2:20:PR*20260315*WQ*100",
          "SVC*HC:99213*100*0",
          "STC*A7:562*20260315*U*100",
          "REF*1K*LINEPCN",
          "REF*D9*LINETRACE",
          "DTP*472*RD8*broken",
        ],
        ["REF*1K*BATCH", "REF*D9*BATCH", "DTP*472*D8*bad", "SVC*HC:99213*100*0", "TRN*2*BATCHTRACE"],
      ),
    );
    expect(ack.claims).toHaveLength(1);
    expect(ack.claims[0]).toMatchObject({ claimNumber: "CLM-1", outcome: "accepted" });
    expect(ack.claims[0]?.statuses).toHaveLength(1);
    expect(ack.claims[0]?.payerClaimControlNumber).toBeUndefined();
    expect(ack.claims[0]?.clearinghouseTraceNumber).toBeUndefined();
    expect(ack.claims[0]?.serviceFrom).toBeUndefined();
  });

  it("TRN*2 makes a claim at HL levels PT, 22 and 23 only; TRN*1 never does", () => {
    const ack = only<Ack277>(
      file(
        oneSet(ST277, [
          BHT,
          "TRN*2*BEFOREANYHL",
          "HL*1**20*1",
          "TRN*2*PAYER",
          "HL*2*1*PT",
          "TRN*1*NOTACLAIM",
          "TRN* 2 *CLM-PT",
          "HL*3*1*22",
          "TRN*2*CLM-22",
          "HL*4*1*23",
          "TRN*2*CLM-23",
          "HL*5*1*19",
          "TRN*2*PROVIDER",
        ]),
      ),
    );
    expect(ack.claims.map((c) => c.claimNumber)).toEqual(["CLM-PT", "CLM-22", "CLM-23"]);
  });
});
