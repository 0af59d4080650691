// Properties of the renderer over generated documents: whatever valid claims upstream sends, the
// file is structurally valid; whatever text a name or address holds, the segment structure is the
// same as with plain text and no delimiter, control or non-ASCII character reaches the file.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Client } from "../../src/domain/client.js";
import { parseClient } from "../../src/domain/index.js";
import type { JoinedClaim } from "../../src/domain/joined-claim.js";
import { render837 } from "../../src/edi/render.js";
import { NotRenderableError } from "../../src/edi/render-errors.js";
import { checkRenderable } from "../../src/edi/renderable.js";
import { validate837 } from "../../src/edi/validate.js";
import { type ClaimSetEntry, claimSetArb, type Doc } from "../domain/arbitraries.js";
import { propertyRuns } from "../support/property-runs.js";
import { batchOf, joined, must } from "./builders.js";

const RUNS = propertyRuns(1000);

function joinSet(clientDoc: Doc, entries: readonly ClaimSetEntry[]): JoinedClaim[] {
  const client: Client = must(parseClient(clientDoc), "generated client");
  return entries.map((e) => joined({ claim: e.claim, patient: e.patient, npis: e.npis }, client));
}

function segmentIds(text: string): string[] {
  return text
    .slice(0, -2)
    .split("~\n")
    .map((s) => s.slice(0, s.indexOf("*")));
}

function count(s: string, ch: string): number {
  let n = 0;
  for (let i = s.indexOf(ch); i >= 0; i = s.indexOf(ch, i + 1)) n++;
  return n;
}

/** Characters that can be hostile in element data. */
const HOSTILE = [
  "*",
  ":",
  "~",
  "^",
  "\n",
  "\r",
  "\t",
  "\u0000",
  "\u0007",
  "\u001b",
  "\u001f",
  "\u007f",
  "\u0085",
  "\u00a0",
  "\u2028",
  "\u2029",
  "\ufeff",
  "\u200b",
  "\u0301",
  "Ñ",
  "ñ",
  "é",
  "ß",
  "Æ",
  "Ø",
  "ı",
  "😀",
  "中",
  "\ud800",
  "\\",
  "|",
  ">",
  "<",
  "'",
  '"',
  "&",
  " ",
  "  ",
  "a",
  "Z",
  "9",
  "-",
  ".",
  "$",
  "{",
  "}",
];

const hostileChunk = fc
  .array(fc.constantFrom(...HOSTILE), { minLength: 1, maxLength: 40 })
  .map((a) => a.join(""));

/**
 * Hostile text that the schemas still accept (not blank after trimming); sometimes 10,000
 * characters long. `withLetter` keeps one letter in it, for elements that may not be left empty.
 */
function hostileText(withLetter: boolean): fc.Arbitrary<string> {
  return fc
    .tuple(hostileChunk, fc.constantFrom("Q", "ñ", "Ø"), fc.boolean(), fc.constantFrom(0, 0, 0, 10_000))
    .map(([chunk, letter, letterFirst, length]) => {
      const core = withLetter ? (letterFirst ? letter + chunk : chunk + letter) : `${chunk}\u0000`;
      if (length === 0) return core;
      return core.repeat(Math.ceil(length / core.length)).slice(0, length - 1) + letter;
    });
}

/** Every place where free text of a document reaches the file. */
interface HostileTexts {
  readonly clientName: string;
  readonly contactName: string;
  readonly receiverName: string;
  readonly payerName: string;
  readonly lastName: string;
  readonly firstName: string;
  readonly middleName: string;
  readonly line1: string;
  readonly line2: string;
  readonly city: string;
}

const hostileTextsArb: fc.Arbitrary<HostileTexts> = fc.record({
  clientName: hostileText(true),
  contactName: hostileText(false),
  receiverName: hostileText(true),
  payerName: hostileText(true),
  lastName: hostileText(true),
  firstName: hostileText(false),
  middleName: hostileText(false),
  line1: hostileText(true),
  line2: hostileText(false),
  // N401 needs 2 characters: a second letter beside the one hostileText keeps.
  city: hostileText(true).map((t) => `${t}Q`),
});

function withHostileAddress(address: unknown, t: HostileTexts): Doc {
  const a = address as Doc;
  return { ...a, line1: t.line1, city: t.city, ...(a.line2 === undefined ? {} : { line2: t.line2 }) };
}

function withHostilePerson(person: Doc, t: HostileTexts): Doc {
  return {
    ...person,
    last_name: t.lastName,
    first_name: t.firstName,
    ...(person.middle_name === undefined ? {} : { middle_name: t.middleName }),
    address: withHostileAddress(person.address, t),
  };
}

/** The same documents with every free-text field replaced; optional fields stay absent if absent. */
function hostile(client: Doc, entries: readonly ClaimSetEntry[], t: HostileTexts) {
  const contact = client.contact as Doc;
  const receiver = client.receiver as Doc;
  return {
    client: {
      ...client,
      name: t.clientName,
      contact: { ...contact, name: t.contactName },
      receiver: { ...receiver, name: t.receiverName },
      address: withHostileAddress(client.address, t),
    },
    entries: entries.map((e) => ({
      claim: { ...e.claim, payer: { ...(e.claim.payer as Doc), name: t.payerName } },
      patient: {
        ...withHostilePerson(e.patient, t),
        ...(e.patient.subscriber === undefined
          ? {}
          : { subscriber: withHostilePerson(e.patient.subscriber as Doc, t) }),
      },
      npis: e.npis.map((n) => ({
        ...n,
        ...(n.last_name === undefined ? {} : { last_name: t.lastName }),
        ...(n.first_name === undefined ? {} : { first_name: t.firstName }),
        ...(n.organization_name === undefined ? {} : { organization_name: t.clientName }),
      })),
    })),
  };
}

describe("renderer properties", () => {
  it("renders every valid generated claim set to a file the validator accepts", () => {
    fc.assert(
      fc.property(
        claimSetArb(4),
        fc.integer({ min: 1, max: 999_999_999 }),
        ({ client, entries }, controlNumber) => {
          const claims = joinSet(client, entries);
          // A valid claim is never refused for what it holds (SPEC section 3).
          for (const j of claims) expect(checkRenderable(j)).toEqual([]);
          const text = render837(batchOf(claims, { controlNumber }));
          const r = validate837(text);
          expect(r.violations).toEqual([]);
          expect(r.claimNumbers).toEqual(claims.map((j) => j.claim.claim_number));
          expect(r.isaControlNumber).toBe(String(controlNumber).padStart(9, "0"));
          // Same input, same bytes.
          expect(render837(batchOf(claims, { controlNumber }))).toBe(text);
        },
      ),
      { numRuns: RUNS },
    );
    // 1,000 generated batches: about 20 s on an idle core, well over a minute on a loaded one.
  }, 300_000);

  it("keeps the segment structure whatever the names and addresses hold", () => {
    fc.assert(
      fc.property(claimSetArb(1), hostileTextsArb, ({ client, entries }, texts) => {
        const plain = render837(batchOf(joinSet(client, entries)));
        const h = hostile(client, entries, texts);
        const claims = joinSet(h.client, h.entries);
        for (const j of claims) expect(checkRenderable(j)).toEqual([]);
        const text = render837(batchOf(claims));
        expect(validate837(text).violations).toEqual([]);
        // Same segments in the same order: no text opened or closed a segment or an element.
        expect(segmentIds(text)).toEqual(segmentIds(plain));
        // No text added an element or a component: segment by segment, never more "*" than with
        // plain text (an element emptied by sanitising may drop trailing ones), exactly as many ":".
        const body = text.slice(0, -2).split("~\n");
        const plainBody = plain.slice(0, -2).split("~\n");
        // Collected first and asserted once: thousands of expect() calls would dominate the run.
        const faults = body.flatMap((seg, i) => {
          const ref = plainBody[i] as string;
          const id = seg.slice(0, 3);
          const found: string[] = [];
          if (count(seg, "*") > count(ref, "*")) found.push(`${id}: more elements than with plain text`);
          if (count(seg, ":") !== count(ref, ":")) found.push(`${id}: other components than with plain text`);
          // Only printable ASCII between terminators.
          if (!/^[\x20-\x7e]+$/.test(seg)) found.push(`${id}: a character outside printable ASCII`);
          // Free text is cut to its element, so no segment grows with the input.
          if (seg.length >= 400) found.push(`${id}: ${seg.length} characters`);
          return found;
        });
        expect(faults).toEqual([]);
        // "^" only as ISA11.
        expect([text.indexOf("^"), text.lastIndexOf("^")]).toEqual([82, 82]);
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses, with paths, a claim whose required name has nothing X12 can carry", () => {
    fc.assert(
      fc.property(
        claimSetArb(1),
        fc.array(fc.constantFrom("*", ":", "~", "^", "\u0000", "中", "😀", "\u0301"), {
          minLength: 1,
          maxLength: 20,
        }),
        ({ client, entries }, chars) => {
          const entry = entries[0] as ClaimSetEntry;
          const lastName = chars.join("");
          const patient = { ...entry.patient, last_name: lastName };
          const [j] = joinSet(client, [{ ...entry, patient }]);
          const issues = checkRenderable(j as JoinedClaim);
          expect(issues).toContainEqual({
            path: "patient.last_name",
            message: "has no characters the X12 character set can carry",
          });
          expect(() => render837(batchOf([j as JoinedClaim]))).toThrow(NotRenderableError);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
