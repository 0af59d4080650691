// Golden files: each scenario renders to a file kept under test/fixtures/golden and compared byte
// for byte, so any change to the output shows up in review as a diff of the 837 itself.
// Regenerate deliberately with `UPDATE_GOLDEN=1 npx vitest run test/edi/golden.test.ts`, then read
// the diff against the 005010X222A1 layout before committing it.
// Besides the bytes, every scenario asserts the structure it exists for and runs the validator.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type RenderBatch, render837 } from "../../src/edi/render.js";
import { checkRenderable } from "../../src/edi/renderable.js";
import { validate837 } from "../../src/edi/validate.js";
import {
  BILLING_NPI,
  batchClaim,
  batchOf,
  claimDoc,
  clientDoc,
  dependentDoc,
  joined,
  lineDoc,
  npiDoc,
  PAYERS,
  patientDoc,
  REFERRING_NPI,
  RENDERING_NPI,
} from "./builders.js";

const GOLDEN_DIR = fileURLToPath(new URL("../fixtures/golden/", import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === "1";

/** Segments without their terminator; the renderer ends every segment with "~\n". */
function segmentsOf(text: string): string[] {
  expect(text.endsWith("~\n")).toBe(true);
  return text.slice(0, -2).split("~\n");
}

function ids(segs: readonly string[]): string[] {
  return segs.map((s) => s.slice(0, s.indexOf("*")));
}

function count(segs: readonly string[], prefix: string): number {
  return segs.filter((s) => s.startsWith(prefix)).length;
}

/** The segments of claim `clm01`: from its CLM up to the next CLM, HL or SE. */
function claimSegments(segs: readonly string[], clm01: string): string[] {
  const start = segs.findIndex((s) => s.startsWith(`CLM*${clm01}*`));
  expect(start, `CLM*${clm01}`).toBeGreaterThan(0);
  let end = start + 1;
  while (end < segs.length && !/^(CLM|HL|SE)\*/.test(segs[end] as string)) end++;
  return segs.slice(start, end);
}

/** Renders, validates and compares with the golden file; returns the segments for the scenario's checks. */
function golden(name: string, batch: RenderBatch): string[] {
  for (const j of batch.claims) expect(checkRenderable(j), j.claim.claim_number).toEqual([]);
  const text = render837(batch);
  const validation = validate837(text);
  expect(validation.violations).toEqual([]);
  expect(validation.claimNumbers).toEqual(batch.claims.map((j) => j.claim.claim_number));

  const file = `${GOLDEN_DIR}${name}.837`;
  if (UPDATE) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, text);
  } else if (!existsSync(file)) {
    throw new Error(
      `golden file ${name}.837 is missing: run UPDATE_GOLDEN=1 npx vitest run test/edi/golden.test.ts`,
    );
  }
  expect(text).toBe(readFileSync(file, "utf8"));

  const segs = segmentsOf(text);
  // Envelope invariants every file shares: SE01 counts ST..SE, trailers echo their headers.
  const st = segs.findIndex((s) => s.startsWith("ST*"));
  const se = segs.findIndex((s) => s.startsWith("SE*"));
  expect(segs[se]).toBe(`SE*${se - st + 1}*0001`);
  expect(segs.at(-2)).toBe(`GE*1*${batch.controlNumber}`);
  expect(segs.at(-1)).toBe(`IEA*1*${String(batch.controlNumber).padStart(9, "0")}`);
  expect(count(segs, "CLM*")).toBe(batch.claims.length);
  return segs;
}

describe("837P golden files", () => {
  it("renders one simple claim: envelope, 1000A/B, 2000A/2010AA, 2000B/2010BA/2010BB, 2300, 2400", () => {
    const segs = golden("simple", batchOf([joined()]));
    expect(ids(segs)).toEqual([
      "ISA",
      "GS",
      "ST",
      "BHT",
      "NM1", // 1000A submitter
      "PER",
      "NM1", // 1000B receiver
      "HL", // 2000A
      "PRV",
      "NM1", // 2010AA
      "N3",
      "N4",
      "REF",
      "HL", // 2000B
      "SBR",
      "NM1", // 2010BA
      "N3",
      "N4",
      "DMG",
      "NM1", // 2010BB
      "CLM", // 2300
      "HI",
      "LX", // 2400
      "SV1",
      "DTP",
      "SE",
      "GE",
      "IEA",
    ]);
    expect(segs[0]).toHaveLength(105); // + the terminator = 106
    expect(segs).toContain("HL*1**20*1");
    expect(segs).toContain("HL*2*1*22*0");
    expect(segs).toContain("SBR*P*18*******CI");
    expect(segs).toContain("NM1*IL*1*DOE*JANE****MI*M123456789");
    expect(segs).toContain(`NM1*85*2*SUNRISE FAMILY PHARMACY*****XX*${BILLING_NPI}`);
    expect(segs).toContain("CLM*CLM-0001*125***11:B:1*Y*A*Y*Y");
    expect(segs).toContain("SV1*HC:99213*125*UN*1***1");
    expect(segs).toContain("DTP*472*D8*20260310");
  });

  it("writes 2000C/2010CA when the patient is not the subscriber", () => {
    const segs = golden("dependent", batchOf([joined({ patient: dependentDoc() })]));
    const hl = segs.filter((s) => s.startsWith("HL*"));
    expect(hl).toEqual(["HL*1**20*1", "HL*2*1*22*1", "HL*3*2*23*0"]);
    const at = segs.indexOf("HL*3*2*23*0");
    // The subscriber loop names the subscriber (no SBR02 relationship), the patient loop the child.
    expect(segs).toContain("SBR*P********CI");
    expect(segs).toContain("NM1*IL*1*DOE*JANE****MI*M123456789");
    expect(segs.slice(at + 1, at + 7)).toEqual([
      "PAT*19",
      "NM1*QC*1*DOE*TIMMY*J",
      "N3*12 OAK AVE",
      "N4*AUSTIN*TX*73301",
      "DMG*D8*20150601*M",
      "CLM*CLM-0001*125***11:B:1*Y*A*Y*Y",
    ]);
    // The claim sits in the patient loop, after the payer of the subscriber loop.
    expect(segs.findIndex((s) => s.startsWith("NM1*PR*"))).toBeLessThan(at);
  });

  it("writes 2410 LIN/CTP/REF*XZ after the drug lines of a pharmacy claim", () => {
    const claim = claimDoc({
      claim_number: "RX-2026-0042",
      place_of_service: "01",
      diagnosis_codes: ["E119", "Z79899"],
      lines: [
        lineDoc({
          procedure_code: "J3490",
          charge: "84.10",
          ndc: "00002-1433-80",
          ndc_quantity: 2,
          ndc_unit: "ML",
          prescription_number: "RX778899",
          days_supply: 30,
          diagnosis_pointers: [1, 2],
        }),
        lineDoc({ procedure_code: "99211", charge: "20.00" }),
        lineDoc({
          procedure_code: "J1100",
          charge: "12.35",
          units: 2.5,
          ndc: "63323016501",
          ndc_quantity: 0.125,
          ndc_unit: "GR",
        }),
      ],
    });
    const segs = golden("pharmacy-ndc", batchOf([joined({ claim })]));
    const c = claimSegments(segs, "RX-2026-0042");
    expect(c).toEqual([
      "CLM*RX-2026-0042*116.45***01:B:1*Y*A*Y*Y",
      "HI*ABK:E119*ABF:Z79899",
      "LX*1",
      "SV1*HC:J3490*84.1*UN*1***1:2",
      "DTP*472*D8*20260310",
      "LIN**N4*00002143380",
      "CTP****2*ML",
      "REF*XZ*RX778899",
      "LX*2",
      "SV1*HC:99211*20*UN*1***1",
      "DTP*472*D8*20260310",
      "LX*3",
      "SV1*HC:J1100*12.35*UN*2.5***1",
      "DTP*472*D8*20260310",
      "LIN**N4*63323016501",
      "CTP****0.125*GR",
    ]);
  });

  it("writes CLM05-3 7 and 8 with REF*F8 for a replacement and a void, none for an original", () => {
    const original = joined({ claim: claimDoc({ claim_number: "ORIG-1" }) });
    const replacement = joined({
      claim: claimDoc({
        claim_number: "REPL-1",
        frequency_code: "7",
        payer_claim_control_number: "PAYER-ICN-778812",
        prior_authorization: "AUTH-5521",
      }),
    });
    const voided = joined({
      claim: claimDoc({
        claim_number: "VOID-1",
        frequency_code: 8,
        payer_claim_control_number: "PAYER-ICN-100200",
      }),
    });
    const segs = golden("replacement-void", batchOf([original, replacement, voided]));
    expect(claimSegments(segs, "ORIG-1").filter((s) => s.startsWith("REF*"))).toEqual([]);
    expect(claimSegments(segs, "REPL-1").slice(0, 4)).toEqual([
      "CLM*REPL-1*125***11:B:7*Y*A*Y*Y",
      "REF*G1*AUTH-5521",
      "REF*F8*PAYER-ICN-778812",
      "HI*ABK:E119",
    ]);
    expect(claimSegments(segs, "VOID-1").slice(0, 3)).toEqual([
      "CLM*VOID-1*125***11:B:8*Y*A*Y*Y",
      "REF*F8*PAYER-ICN-100200",
      "HI*ABK:E119",
    ]);
  });

  it("renders a 100-claim batch across several payers with sequential HL numbering", () => {
    const claims = Array.from({ length: 100 }, (_, i) => joined(batchClaim(i)));
    const segs = golden("batch-100", batchOf(claims, { batchId: "GRP001-20260314-0042", controlNumber: 42 }));
    const dependents = claims.filter((j) => j.patient.relationship_code !== "18").length;
    expect(dependents).toBeGreaterThan(20);
    const hl = segs.filter((s) => s.startsWith("HL*"));
    expect(hl).toHaveLength(1 + 100 + dependents);
    hl.forEach((s, k) => {
      expect(s.split("*")[1]).toBe(String(k + 1));
    });
    expect(count(segs, "HL*") - 1 - dependents).toBe(count(segs, "SBR*"));
    expect(count(segs, "PAT*")).toBe(dependents);
    const payers = new Set(segs.filter((s) => s.startsWith("NM1*PR*")).map((s) => s.split("*").at(-1)));
    expect([...payers].sort()).toEqual(PAYERS.map(([id]) => id).sort());
    expect(count(segs, "REF*F8*")).toBe(claims.filter((j) => j.claim.frequency_code !== "1").length);
    expect(count(segs, "LIN*")).toBe(10);
    expect(count(segs, "NM1*82*")).toBe(20);
    expect(segs[0]).toContain("*000000042*0*T*:");
    expect(segs).toContain("BHT*0019*00*GRP001-20260314-0042*20260314*1509*CH");
  });

  it("writes 2310B only when the rendering provider is not the billing provider, after 2310A", () => {
    const npis = [
      npiDoc(RENDERING_NPI),
      npiDoc(REFERRING_NPI, { first_name: "Lisa", last_name: "Cuddy", taxonomy_code: "207R00000X" }),
      npiDoc(BILLING_NPI, { entity_type: 2, organization_name: "Sunrise Family Pharmacy" }),
    ];
    const other = joined({
      claim: claimDoc({ claim_number: "RND-1", rendering_npi: RENDERING_NPI, referring_npi: REFERRING_NPI }),
      npis,
    });
    const same = joined({ claim: claimDoc({ claim_number: "RND-2", rendering_npi: BILLING_NPI }), npis });
    const organization = joined({
      claim: claimDoc({ claim_number: "RND-3", rendering_npi: "1497758544" }),
      npis: [
        npiDoc("1497758544", {
          entity_type: 2,
          organization_name: "Springfield Imaging Group LLC",
          taxonomy_code: undefined,
        }),
      ],
    });
    const segs = golden("rendering-provider", batchOf([other, same, organization]));
    expect(claimSegments(segs, "RND-1").slice(1, 5)).toEqual([
      "HI*ABK:E119",
      `NM1*DN*1*CUDDY*LISA****XX*${REFERRING_NPI}`,
      `NM1*82*1*HOUSE*GREGORY****XX*${RENDERING_NPI}`,
      "PRV*PE*PXC*207Q00000X",
    ]);
    expect(
      claimSegments(segs, "RND-2").filter((s) => s.startsWith("NM1*82*") || s.startsWith("PRV*")),
    ).toEqual([]);
    expect(claimSegments(segs, "RND-3").slice(1, 4)).toEqual([
      "HI*ABK:E119",
      "NM1*82*2*SPRINGFIELD IMAGING GROUP LLC*****XX*1497758544",
      "LX*1",
    ]);
  });

  it("writes HI with the principal diagnosis as ABK and up to eleven more as ABF", () => {
    const codes = [
      "S52521A",
      "W010XXA",
      "Y92009",
      "M25531",
      "M79641",
      "R52",
      "Z23",
      "I10",
      "E785",
      "J45909",
      "F17210",
      "K219",
    ];
    const claim = claimDoc({
      claim_number: "DX-12",
      diagnosis_codes: codes.map((c, i) => (i === 0 ? "s52.521a" : c)),
      lines: [
        lineDoc({
          procedure_code: "25600",
          modifiers: ["RT", "54", "59", "XS"],
          diagnosis_pointers: [1, 2, 3, 4],
          charge: 950,
        }),
        lineDoc({ procedure_code: "73100", diagnosis_pointers: [1, 12], charge: 64.5 }),
      ],
    });
    const segs = golden("diagnoses", batchOf([joined({ claim, patient: patientDoc({ gender: "M" }) })]));
    const hi = segs.filter((s) => s.startsWith("HI*"));
    expect(hi).toEqual([
      `HI*ABK:${codes[0]}*${codes
        .slice(1)
        .map((c) => `ABF:${c}`)
        .join("*")}`,
    ]);
    expect(hi[0]?.split("*")).toHaveLength(13);
    expect(segs).toContain("SV1*HC:25600:RT:54:59:XS*950*UN*1***1:2:3:4");
    expect(segs).toContain("SV1*HC:73100*64.5*UN*1***1:12");
  });

  it("upper-cases data, replaces delimiters and transliterates letters outside the X12 set", () => {
    const patient = patientDoc({
      first_name: "Íñigo~*:^",
      last_name: "Muñoz-O'Brien\r\nSr",
      middle_name: "Ærøskøbing",
      address: {
        line1: "Calle Mayor 5, 2ºB",
        line2: "Piso\t3 «Izq»",
        city: "São Paulo",
        state: "tx",
        zip: "73301-0001",
      },
      member_id: "m-778899",
    });
    const client = clientDoc({
      name: "Dr. Ölçer & Søn Pharmacy",
      contact: { name: "Zoë  Straße", phone: "555.123.4567" },
    });
    const segs = golden("text-rules", batchOf([joined({ patient, client })]));
    expect(segs).toContain("NM1*IL*1*MUNOZ-O'BRIEN SR*INIGO*AEROSKOBING***MI*M-778899");
    expect(segs).toContain("N3*CALLE MAYOR 5, 2B*PISO 3 IZQ");
    expect(segs).toContain("N4*SAO PAULO*TX*733010001");
    expect(segs).toContain("NM1*41*2*DR. OLCER & SON PHARMACY*****46*SUB00001");
    expect(segs).toContain("PER*IC*ZOE STRASSE*TE*5551234567");
  });
});

describe("render837 determinism", () => {
  const batch = () => batchOf(Array.from({ length: 12 }, (_, i) => joined(batchClaim(i))));

  it("renders the same bytes for the same batch, whatever the process time zone", () => {
    const saved = process.env.TZ;
    try {
      process.env.TZ = "Pacific/Kiritimati";
      const east = render837(batch());
      process.env.TZ = "America/Adak";
      const west = render837(batch());
      expect(west).toBe(east);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it("does not modify the batch it renders", () => {
    const b = batch();
    const before = structuredClone(b);
    render837(b);
    expect(b).toEqual(before);
  });
});
