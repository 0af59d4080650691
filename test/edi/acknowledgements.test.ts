// The TA1 / 999 / 277CA parser: public examples (the implementation guides' own, as quoted by
// X12 libraries; test/fixtures/acks/README.md), answers to files claimflow itself rendered, and
// files that are not acknowledgements or are hostile. Errors name a position and a rule only.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Ack277, Ack999, Ta1Ack } from "../../src/edi/acknowledgement.js";
import { parseAcknowledgements } from "../../src/edi/parse-acknowledgement.js";
import { render837 } from "../../src/edi/render.js";
import { ack277For, ack999For, parseError, readSent, ta1For } from "../support/ack-builders.js";
import { batchOf, claimDoc, joined } from "./builders.js";

const DIR = fileURLToPath(new URL("../fixtures/acks/", import.meta.url));
const fixture = (name: string) => readFileSync(`${DIR}${name}`, "utf8");

function only<T>(text: string): T {
  const { acks } = parseAcknowledgements(text);
  expect(acks).toHaveLength(1);
  return acks[0] as T;
}

/** An 837 claimflow renders: two claims, control number 1234. */
function ourFile(): string {
  return render837(
    batchOf(
      [
        joined({ claim: claimDoc({ claim_number: "CLM-A1" }) }),
        joined({ claim: claimDoc({ claim_number: "CLM-B2" }) }),
      ],
      { controlNumber: 1234 },
    ),
  );
}

describe("public examples", () => {
  it("reads the 277CA of implementation guide example 3: accepted claims carry REF*1K, rejected ones their STC", () => {
    const ack = only<Ack277>(fixture("ig-277ca-example3.277"));
    expect(ack.kind).toBe("277CA");
    expect(ack.envelope).toMatchObject({
      receiverQualifier: "ZZ",
      receiverId: "133052274",
      controlNumber: "000000017",
    });
    expect(ack.createdDate).toBe("20060221");
    expect(ack.claims.map((c) => [c.claimNumber, c.outcome, c.payerClaimControlNumber ?? null])).toEqual([
      ["PATIENT22222", "accepted", "220216359803X"],
      ["PATIENT33333", "rejected", null],
      ["JONES44444", "rejected", null],
      ["JONHSON55555", "accepted", "220216359806X"],
      ["MILLS66666", "accepted", "220216359807X"],
    ]);
    const rejected = ack.claims[2];
    expect(rejected?.statuses).toEqual([
      {
        codes: [{ category: "A3", status: "21", entity: "77" }],
        date: "20060221",
        action: "U",
        amountCents: 10000,
      },
    ]);
    expect(ack.claims[3]?.statuses[0]?.amountCents).toBe(5050);
    expect(ack.claims[0]).toMatchObject({ serviceFrom: "20060214", serviceTo: "20060214" });
  });

  it("reads example 1: an RD8 service range, and the STCs of a service line (after SVC) stay off the claim", () => {
    const ack = only<Ack277>(fixture("ig-277ca-example1.277"));
    const [first, second, third] = ack.claims;
    expect(first).toMatchObject({
      claimNumber: "4001/1339",
      outcome: "pended", // A0: forwarded, not yet accepted into adjudication
      payerClaimControlNumber: "22029500123407X",
      serviceFrom: "20060128",
      serviceTo: "20060131",
    });
    expect(second?.statuses).toHaveLength(1);
    expect(second?.statuses[0]?.codes).toEqual([{ category: "A3", status: "21", entity: "82" }]);
    expect(second?.outcome).toBe("rejected");
    expect(third?.outcome).toBe("rejected");
  });

  it("reads example 4: a TRN*2 at provider level (HL 19) is not a claim", () => {
    const ack = only<Ack277>(fixture("ig-277ca-example4.277"));
    expect(ack.claims.map((c) => c.claimNumber)).not.toContain("00023456789");
    expect(ack.claims.map((c) => c.claimNumber)).not.toContain("00098765432");
    expect(ack.claims).toHaveLength(5);
    expect(ack.claims[2]?.statuses[0]?.codes[0]).toEqual({ category: "A3", status: "116", entity: "" });
  });

  it("reads a public accepted 999 (ISA16 '|')", () => {
    const ack = only<Ack999>(fixture("herophilus-999-accepted.999"));
    expect(ack).toMatchObject({
      kind: "999",
      functionalId: "HC",
      groupControlNumber: 28,
      groupAckCode: "A",
      setsIncluded: 1,
      setsReceived: 1,
      setsAccepted: 1,
    });
    expect(ack.sets).toEqual([
      {
        pos: 5,
        setId: "837",
        controlNumber: "0028",
        version: "",
        segmentErrors: [],
        ackCode: "A",
        errorCodes: [],
      },
    ]);
  });

  it("reads a public rejected 999 with its IK3 segment error and IK5 codes", () => {
    const ack = only<Ack999>(fixture("herophilus-999-rejected.999"));
    expect(ack.groupAckCode).toBe("R");
    expect(ack.setsAccepted).toBe(0);
    expect(ack.sets[0]).toMatchObject({
      ackCode: "R",
      errorCodes: ["5"],
      segmentErrors: [{ pos: 6, segmentId: "NM", position: 17, loop: "", code: "1", elementErrors: [] }],
    });
  });
});

describe("answers to files claimflow wrote", () => {
  it("reads an accepting TA1 for our interchange", () => {
    const sent = readSent(ourFile());
    const ack = only<Ta1Ack>(ta1For(sent));
    expect(ack).toMatchObject({ kind: "TA1", interchangeControlNumber: 1234, ackCode: "A", noteCode: "000" });
    expect(ack.envelope).toMatchObject({ receiverQualifier: "ZZ", receiverId: "SUNRISE" });
  });

  it("reads a rejecting TA1 with its note code", () => {
    const ack = only<Ta1Ack>(ta1For(readSent(ourFile()), "R", "024"));
    expect(ack).toMatchObject({ ackCode: "R", noteCode: "024" });
  });

  it("reads a 999 accepted with errors, with IK3/IK4 positions", () => {
    const sent = readSent(ourFile());
    const ack = only<Ack999>(ack999For(sent, { code: "E", errors: [["NM1", 12, "2010BA", "8"]] }));
    expect(ack.groupControlNumber).toBe(1234);
    expect(ack.groupAckCode).toBe("E");
    expect(ack.sets[0]).toMatchObject({
      controlNumber: "0001",
      ackCode: "E",
      segmentErrors: [
        {
          segmentId: "NM1",
          position: 12,
          loop: "2010BA",
          code: "8",
          elementErrors: [{ position: "2", code: "7" }],
        },
      ],
    });
  });

  it("reads a rejected set", () => {
    const ack = only<Ack999>(
      ack999For(readSent(ourFile()), { code: "R", errors: [["CLM", 20, "2300", "8"]] }),
    );
    expect(ack.sets[0]).toMatchObject({ ackCode: "R", errorCodes: ["5"] });
    expect(ack.groupAckCode).toBe("R");
  });

  it("reads mixed claim outcomes in one 277CA, amounts in cents", () => {
    const sent = readSent(ourFile());
    const ack = only<Ack277>(
      ack277For(sent, [
        {
          claimNumber: "CLM-A1",
          stc: "A2:20:PR",
          amount: "100.00",
          payerClaimControlNumber: "PCN0001",
          trace: "TR1",
        },
        { claimNumber: "CLM-B2", stc: "A7:562:85", amount: "100" },
        { claimNumber: "CLM-C3", stc: "A1:19:PR" },
      ]),
    );
    expect(ack.claims.map((c) => [c.claimNumber, c.outcome])).toEqual([
      ["CLM-A1", "accepted"],
      ["CLM-B2", "rejected"],
      ["CLM-C3", "pended"],
    ]);
    expect(ack.claims[0]).toMatchObject({
      payerClaimControlNumber: "PCN0001",
      clearinghouseTraceNumber: "TR1",
      statuses: [{ amountCents: 10000 }],
    });
  });

  it("never puts a patient name in what it returns", () => {
    const text = ack277For(readSent(ourFile()), [
      { claimNumber: "CLM-A1", stc: "A2:20:PR", patientName: ["ZZYZXOVA", "QUILLBERTA"] },
    ]);
    const json = JSON.stringify(parseAcknowledgements(text));
    expect(json).not.toMatch(/ZZYZXOVA|QUILLBERTA|M123456789/);
  });

  it("reads several interchanges in one file, each with its own delimiters", () => {
    const sent = readSent(ourFile());
    const second = ta1For(sent).replaceAll("*", "|").replace(/\|:~/, "|>~");
    const { acks } = parseAcknowledgements(ta1For(sent) + second);
    expect(acks.map((a) => a.kind)).toEqual(["TA1", "TA1"]);
  });
});

describe("files that are not acknowledgements", () => {
  it("rejects an 837 (ours) as not an acknowledgement, at its ST", () => {
    const err = parseError(ourFile());
    expect(err.rule).toBe("not_an_acknowledgement");
    expect(err.segment).toBe(3);
    expect(err.message).toBe("segment 3: transaction set 837 is not a 999 or 277CA (not_an_acknowledgement)");
  });

  it("rejects a file cut short (no SE / GE / IEA)", () => {
    const text = ack999For(readSent(ourFile()));
    const cut = text.slice(0, text.indexOf("\nSE*") + 1);
    const err = parseError(cut);
    expect(err.rule).toBe("envelope");
    expect(err.message).toMatch(/no SE/);
  });

  it("rejects a file cut inside a segment (no terminator)", () => {
    const text = ack999For(readSent(ourFile()));
    const err = parseError(text.slice(0, text.length - 8));
    expect(err.rule).toBe("envelope");
  });

  it("rejects a wrong SE01 count and IEA02 control number", () => {
    const text = ack999For(readSent(ourFile()));
    expect(parseError(text.replace(/\nSE\*\d+\*/, "\nSE*99*")).message).toMatch(/SE01 must count/);
    expect(parseError(text.replace(/IEA\*1\*\d+/, "IEA*1*000000001")).message).toMatch(
      /IEA02 must equal ISA13/,
    );
  });

  it("rejects an ISA whose delimiters collide", () => {
    const text = ta1For(readSent(ourFile())).replace("*:~", "**~");
    expect(parseError(text).rule).toBe("envelope");
  });

  it("rejects NUL bytes and text that is not X12, naming no data", () => {
    expect(parseError("ISA*00\u0000garbage").rule).toBe("not_x12");
    const err = parseError("Dear patient JANE DOE, …");
    expect(err.rule).toBe("not_x12");
    expect(err.message).not.toMatch(/JANE|DOE/);
  });

  it("rejects an empty file", () => {
    expect(parseError("").rule).toBe("not_x12");
  });

  it("reads 10 MB of hostile text in bounded time and reports it, never a stack overflow", () => {
    const isa = ta1For(readSent(ourFile())).split("~")[0] as string;
    const huge = `${isa}~TA1*${"9".repeat(10 * 1024 * 1024)}`;
    const err = parseError(huge);
    expect(err.rule).toBe("envelope");
    const manySegments = `${isa}~${"REF*1K*X~".repeat(1_000_000)}`;
    expect(parseError(manySegments).rule).toBe("envelope");
    // Its own limit: under mutation testing the parser runs instrumented (a counter per
    // statement) and takes several seconds here, beyond the 5 s that catches stalled mutants.
  }, 60_000);

  it("a bad element value is reported by position and rule, not by value", () => {
    const text = ta1For(readSent(ourFile())).replace("*A*000", "*Q*000");
    const err = parseError(text);
    expect(err.message).toBe("segment 2: TA104 must be A, E or R (segment)");
  });

  it("an unknown segment inside a 999 is reported at its position", () => {
    const text = ack999For(readSent(ourFile()))
      .replace("IK5*A", "NM1*QC*1*DOE~\nIK5*A")
      .replace(/\nSE\*(\d+)/, (_, n) => `\nSE*${Number(n) + 1}`);
    const err = parseError(text);
    expect(err.rule).toBe("segment");
    expect(err.message).toMatch(/^segment 6: NM1 is not a segment of a 999/);
  });
});
