// The property tests every hand-written validation fast path owes its oracle, zod
// (claim-fast.test.ts, patient-fast.test.ts): whenever the fast path accepts a document, zod
// accepts it with a strictly equal value; the public parser answers exactly what zod answers;
// documents in stored form all take the fast path; hostile mutations of them never make it
// accept what zod rejects.
import fc from "fast-check";
import { expect, it } from "vitest";
import type { ParseResult } from "../../src/domain/schema-parts.js";
import type { Doc } from "./arbitraries.js";
import { mutate, mutationArb } from "./doc-mutations.js";

export interface FastPath<T> {
  /** The hand-written check: its value, or undefined to let zod decide. */
  readonly fast: (doc: unknown) => T | undefined;
  /** zod alone (the schema without the fast path). */
  readonly oracle: (doc: unknown) => ParseResult<T>;
  /** The public parser (fast path, then zod). */
  readonly parse: (doc: unknown) => ParseResult<T>;
}

/** Asserts that the fast path and the parser agree with zod on one document. */
export function agreement<T>(p: FastPath<T>): (doc: unknown) => void {
  return (doc) => {
    const fast = p.fast(doc);
    const zod = p.oracle(doc);
    if (fast !== undefined) {
      expect(zod.ok, "the fast path accepted a document zod rejects").toBe(true);
      if (zod.ok) expect(fast).toStrictEqual(zod.value);
    }
    expect(p.parse(doc)).toStrictEqual(zod);
  };
}

/** Asserts that the document takes the fast path and gets exactly zod's value; returns it. */
export function takesFastPath<T>(p: FastPath<T>, doc: unknown, label?: string): T | undefined {
  const fast = p.fast(doc);
  expect(fast, label).toBeDefined();
  const zod = p.oracle(doc);
  expect(zod.ok, label).toBe(true);
  if (zod.ok) expect(fast).toStrictEqual(zod.value);
  return fast;
}

/** Asserts that the fast path steps aside, zod rejects the document at `path`, and the parser says so. */
export function refusedAt<T>(p: FastPath<T>, doc: unknown, path: string | undefined): void {
  expect(p.fast(doc)).toBeUndefined();
  const zod = p.oracle(doc);
  expect(zod.ok).toBe(false);
  if (!zod.ok) expect(zod.issues.map((i) => i.path)).toContain(path);
  expect(p.parse(doc)).toStrictEqual(zod);
}

export interface FastPathProperties<T> extends FastPath<T> {
  /** Valid documents in every representation the schema accepts. */
  readonly valid: fc.Arbitrary<Doc>;
  /** The same documents in the form MongoDB hands them over, and what that form is. */
  readonly stored: fc.Arbitrary<Doc>;
  readonly storedForm: string;
  /** Keys a hostile mutation may add (fields the schema knows, and some it drops). */
  readonly addKeys: readonly string[];
  readonly runs: number;
}

/** Declares the four properties inside the caller's `describe`. */
export function fastPathProperties<T>(p: FastPathProperties<T>): void {
  const agrees = agreement(p);

  it("agrees with zod on valid documents in every representation", () => {
    fc.assert(fc.property(p.valid, agrees), { numRuns: p.runs });
  });

  it(`takes the fast path for valid documents in stored form (${p.storedForm})`, () => {
    let fastHits = 0;
    fc.assert(
      fc.property(p.stored, (doc) => {
        if (p.fast(doc) !== undefined) fastHits++;
        agrees(doc);
      }),
      { numRuns: p.runs },
    );
    // Not vacuous: the fast path is the common path for what MongoDB hands the processor.
    expect(fastHits).toBe(p.runs);
  });

  it("never accepts what zod rejects, and never differs from it, on hostile mutations", () => {
    fc.assert(
      // Mutations of stored documents: the ones the fast path would otherwise accept.
      fc.property(
        p.stored,
        fc.array(mutationArb(p.addKeys), { minLength: 1, maxLength: 2 }),
        (doc, mutations) => {
          agrees(mutate(doc, mutations));
        },
      ),
      { numRuns: p.runs },
    );
  });

  it("steps aside for documents that are not objects", () => {
    for (const doc of [null, undefined, 1, "text", [], new Date()]) agrees(doc);
  });
}
