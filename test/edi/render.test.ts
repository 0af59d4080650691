// What render837 refuses, and how: a batch it cannot write throws a typed error carrying paths and
// rule texts, never a broken file and never a document value.
import { describe, expect, it } from "vitest";
import { parseClient } from "../../src/domain/index.js";
import { formatQuantity } from "../../src/edi/format.js";
import { render837 } from "../../src/edi/render.js";
import { NotRenderableError, RenderBatchError } from "../../src/edi/render-errors.js";
import { checkClientRenderable, checkRenderable } from "../../src/edi/renderable.js";
import { validate837 } from "../../src/edi/validate.js";
import { x12Id, x12Text } from "../../src/edi/x12-text.js";
import {
  batchOf,
  claimDoc,
  clientDoc,
  dependentDoc,
  joined,
  lineDoc,
  must,
  npiDoc,
  patientDoc,
  RENDERING_NPI,
  thrown,
} from "./builders.js";

describe("render837 batch checks", () => {
  it("refuses control numbers outside 1..999999999, bad creation times and batch ids", () => {
    const j = joined();
    for (const controlNumber of [0, -1, 1.5, 1_000_000_000, Number.NaN]) {
      expect(() => render837(batchOf([j], { controlNumber }))).toThrow(RenderBatchError);
    }
    expect(() => render837(batchOf([j], { createdAt: new Date(Number.NaN) }))).toThrow(RenderBatchError);
    expect(() => render837(batchOf([j], { createdAt: new Date("+010000-01-01T00:00:00Z") }))).toThrow(
      /four-digit year/,
    );
    for (const batchId of ["", "A*B", "X".repeat(31), "ÑANDU"]) {
      expect(() => render837(batchOf([j], { batchId }))).toThrow(RenderBatchError);
    }
    expect(render837(batchOf([j], { controlNumber: 999_999_999 }))).toContain("*999999999*0*T*:~");
  });

  it("refuses an empty batch, a claim of another client and a claim number twice", () => {
    const j = joined();
    expect(() => render837({ ...batchOf([j]), claims: [] })).toThrow("a batch needs at least one claim");
    const other = joined({
      claim: claimDoc({ client_id: "OTHER" }),
      client: clientDoc({ client_id: "OTHER" }),
    });
    expect(() => render837(batchOf([j, other]))).toThrow(
      "every claim of a batch must belong to the batch's client",
    );
    const again = joined({ claim: claimDoc({ version: 2 }) });
    expect(() => render837(batchOf([j, again]))).toThrow(/claim number appears twice/);
  });
});

describe("checkRenderable and NotRenderableError", () => {
  it("refuses a claim number longer than CLM01 holds (38), naming the path but not the value", () => {
    const long = "C".repeat(39);
    const j = joined({ claim: claimDoc({ claim_number: long }) });
    expect(checkRenderable(j)).toEqual([
      { path: "claim.claim_number", message: "is longer than 38 characters, the maximum of its X12 element" },
    ]);
    const err = thrown(() => render837(batchOf([j])));
    expect(err).toBeInstanceOf(NotRenderableError);
    expect((err as NotRenderableError).issues).toEqual(checkRenderable(j));
    // The claim number is the key operators search by; it is named, other document values never.
    expect((err as NotRenderableError).claimNumber).toBe(long);
    expect((err as Error).message).toContain("claim.claim_number: is longer than 38 characters");
    expect(render837(batchOf([joined({ claim: claimDoc({ claim_number: long.slice(1) }) })]))).toContain(
      `CLM*${long.slice(1)}*`,
    );
  });

  it("refuses a city that keeps fewer than 2 characters (N401's minimum), patient's or client's", () => {
    const oneLetter = { line1: "1 MAIN ST", city: "*A~", state: "TX", zip: "73301" };
    const j = joined({ patient: patientDoc({ address: oneLetter }) });
    expect(checkRenderable(j)).toEqual([
      { path: "patient.address.city", message: "must keep at least 2 characters in X12 (N401)" },
    ]);
    expect(thrown(() => render837(batchOf([j])))).toBeInstanceOf(NotRenderableError);
    const client = clientDoc({ address: oneLetter });
    expect(checkClientRenderable(must(parseClient(client), "client")).map((i) => i.path)).toEqual([
      "client.address.city",
    ]);
    // Two characters are enough, and the file passes the validator's N401 length rule.
    const two = joined({ patient: patientDoc({ address: { ...oneLetter, city: "AB" } }) });
    expect(checkRenderable(two)).toEqual([]);
    expect(validate837(render837(batchOf([two]))).ok).toBe(true);
  });

  it("refuses identifiers that would change when sanitised, and required text with nothing to carry", () => {
    const j = joined({
      claim: claimDoc({ payer: { payer_id: "6005*4", name: "王保险" }, prior_authorization: "PA~1" }),
      patient: patientDoc({
        member_id: "M1:2",
        last_name: "李",
        address: { line1: "~", city: "***", state: "TX", zip: "73301" },
      }),
    });
    const issues = checkRenderable(j);
    expect(issues.map((i) => i.path)).toEqual([
      "claim.payer.payer_id",
      "claim.payer.name",
      "claim.prior_authorization",
      "patient.last_name",
      "patient.address.line1",
      "patient.address.city",
      "patient.member_id",
    ]);
    const text = JSON.stringify(issues);
    const message = (thrown(() => render837(batchOf([j]))) as NotRenderableError).message;
    for (const value of ["6005*4", "王保险", "PA~1", "M1:2", "李"]) {
      expect(text).not.toContain(value);
      expect(message).not.toContain(value);
    }
  });

  it("requires the referring provider to be a person and a record for every NPI on the claim", () => {
    const org = npiDoc(RENDERING_NPI, { entity_type: 2, organization_name: "Group" });
    const referring = joined({ claim: claimDoc({ referring_npi: RENDERING_NPI }), npis: [org] });
    expect(checkRenderable(referring)).toEqual([
      { path: "referring.entity_type", message: "must be 1 (person) for the referring provider loop 2310A" },
    ]);
    expect(() => render837(batchOf([referring]))).toThrow(NotRenderableError);
    const missing = joined({ claim: claimDoc({ rendering_npi: RENDERING_NPI }) });
    expect(checkRenderable(missing).map((i) => i.path)).toEqual(["rendering"]);
    expect(() => render837(batchOf([missing]))).toThrow(NotRenderableError);
  });

  it("reports client problems once per client object and refuses the whole batch for them", () => {
    // The schemas let these through (any text of 2 to 80 / 15 characters); X12 cannot carry them.
    const j = joined({
      client: clientDoc({ submitter_id: "SUB*1", gs: { sender_code: "GS:1", receiver_code: "ACMECH" } }),
    });
    expect(checkClientRenderable(j.client).map((i) => i.path)).toEqual([
      "client.submitter_id",
      "client.gs.sender_code",
    ]);
    expect(checkClientRenderable(j.client)).toBe(checkClientRenderable(j.client));
    const err = thrown(() => render837(batchOf([j])));
    expect(err).toBeInstanceOf(NotRenderableError);
    expect((err as NotRenderableError).claimNumber).toBeUndefined();
  });

  it("agrees with render837: whatever checkRenderable accepts renders to a valid file", () => {
    const cases = [
      joined(),
      joined({ patient: dependentDoc() }),
      joined({ claim: claimDoc({ lines: [lineDoc({ units: 0.0004 })] }) }),
      joined({ claim: claimDoc({ service_date: "0999-01-01" }) }),
    ];
    for (const j of cases) {
      const issues = checkRenderable(j);
      if (issues.length === 0) expect(validate837(render837(batchOf([j]))).violations).toEqual([]);
      else expect(() => render837(batchOf([j]))).toThrow(NotRenderableError);
    }
    expect(checkRenderable(cases[2] as (typeof cases)[number])).toEqual([
      { path: "claim.lines.0.units", message: "rounds to zero at three decimals" },
    ]);
    expect(checkRenderable(cases[3] as (typeof cases)[number])).toEqual([
      { path: "claim.service_date", message: "must be a date with a four-digit year" },
    ]);
  });
});

describe("element text rules", () => {
  it("upper-cases, replaces delimiters and control characters with one space, trims and cuts free text", () => {
    expect(x12Text("smith*jones:~^jr", 60)).toBe("SMITH JONES JR");
    expect(x12Text("  a\u0000\u001f\u007fb\r\n\tc  ", 60)).toBe("A B C");
    expect(x12Text("ÅNGSTRÖM Æsir Œuvre straße ŁÓDŹ", 60)).toBe("ANGSTROM AESIR OEUVRE STRASSE LODZ");
    expect(x12Text("“Smart” quotes — dash…", 60)).toBe('"SMART" QUOTES - DASH...');
    expect(x12Text("emoji 😀 and 中文 dropped", 60)).toBe("EMOJI AND DROPPED");
    expect(x12Text("lone \ud800a and \udc00b", 60)).toBe("LONE A AND B");
    expect(x12Text("ABCDE FGHIJ", 6)).toBe("ABCDE");
    expect(x12Text("***", 10)).toBe("");
    const clean = "ALREADY CLEAN 123";
    expect(x12Text(clean, 60)).toBe(clean);
  });

  it("carries identifiers only when they survive unchanged apart from case and outer spaces", () => {
    expect(x12Id(" ab-12 ", 2, 10)).toBe("AB-12");
    expect(x12Id("A*1", 1, 10)).toBeUndefined();
    expect(x12Id("Ñ1", 1, 10)).toBeUndefined();
    expect(x12Id("A  B", 1, 10)).toBeUndefined();
    expect(x12Id("A", 2, 10)).toBeUndefined();
    expect(x12Id("ABCDEFGHIJK", 1, 10)).toBeUndefined();
  });

  it("writes quantities as X12 decimals without exponent or trailing zeros", () => {
    expect(formatQuantity(1)).toBe("1");
    expect(formatQuantity(2.5)).toBe("2.5");
    expect(formatQuantity(0.125)).toBe("0.125");
    expect(formatQuantity(1.0005)).toBe("1.001");
    expect(formatQuantity(1e-7)).toBe("");
    expect(formatQuantity(0)).toBe("");
    expect(formatQuantity(1e21)).toBe(""); // beyond the 15 digits of an R element
  });
});
