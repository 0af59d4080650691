// Hostile changes of valid documents, for the property tests that pin a hand-written fast path
// to its oracle, zod (claim-fast.test.ts, patient-fast.test.ts): a value swapped for a hostile
// one or nudged past a limit, a field dropped, a key added.
import fc from "fast-check";
import { Decimal128 } from "mongodb";
import type { Doc } from "./arbitraries.js";

export type Path = (string | number)[];

/** Every path to a value inside a document (object keys and array indices), root excluded. */
export function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...prefix, i], ...pathsOf(v, [...prefix, i])]);
  if (
    typeof value === "object" &&
    value !== null &&
    !(value instanceof Date) &&
    !(value instanceof Decimal128)
  )
    return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
  return [];
}

export const HOSTILE: readonly unknown[] = [
  undefined,
  null,
  "",
  " ",
  " padded ",
  "lower",
  "A.B",
  "$where",
  "-",
  0,
  -0,
  -1,
  1,
  1.5,
  7,
  13,
  99_999,
  100_000,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  "12.345",
  "1e3",
  "0.10",
  "12",
  "1234567890",
  "1234567893",
  "12345-6789-01",
  "123456789012",
  true,
  [],
  [1],
  ["A1"],
  {},
  { a: 1 },
  new Date("not a date"),
  new Date("2024-02-29T00:00:00Z"),
  "2024-02-29",
  Decimal128.fromString("1.5"),
  Decimal128.fromString("-1"),
];

/** Boundary changes of the value already there: just past each limit the schemas set. */
export function tweaks(v: unknown): unknown[] {
  if (typeof v === "number")
    return [
      v + 1,
      v - 1,
      v * 1000,
      -v,
      0,
      0.5,
      v + 0.001,
      4,
      5,
      12,
      13,
      99_999,
      100_000,
      9_999_999,
      10_000_000,
    ];
  if (typeof v === "string")
    return [
      ` ${v}`,
      `${v} `,
      v.toLowerCase(),
      `${v}.`,
      `${v}-`,
      v.slice(1),
      "7",
      "8",
      ...[2, 5, 11, 20, 21, 50, 51, 64, 65, 80, 81].map((n) => v.padEnd(n, "7")),
    ];
  if (Array.isArray(v)) {
    const last = v[v.length - 1];
    return [
      [],
      ...[4, 5, 12, 13, 50, 51].map((n) => [
        ...v,
        ...Array.from({ length: Math.max(0, n - v.length) }, () => fresh(last)),
      ]),
    ];
  }
  // A date an earlier tweak already made invalid has no ISO form.
  if (v instanceof Date)
    return Number.isNaN(v.getTime()) ? [v.getTime()] : [new Date(Number.NaN), v.toISOString(), v.getTime()];
  return [];
}

export type Mutation =
  | { readonly op: "tweak"; readonly at: number; readonly pick: number }
  | { readonly op: "set"; readonly at: number; readonly value: unknown }
  | { readonly op: "delete"; readonly at: number }
  | { readonly op: "dropTop"; readonly at: number }
  | { readonly op: "add"; readonly at: number; readonly key: string; readonly value: unknown };

/** Random changes of a document; `add` puts one of `addKeys` (a field the schema knows, or not) somewhere. */
export function mutationArb(addKeys: readonly string[]): fc.Arbitrary<Mutation> {
  return fc.oneof(
    { arbitrary: fc.record({ op: fc.constant("tweak" as const), at: fc.nat(), pick: fc.nat() }), weight: 3 },
    fc.record({ op: fc.constant("set" as const), at: fc.nat(), value: fc.constantFrom(...HOSTILE) }),
    fc.record({ op: fc.constant("delete" as const), at: fc.nat() }),
    fc.record({ op: fc.constant("dropTop" as const), at: fc.nat() }),
    fc.record({
      op: fc.constant("add" as const),
      at: fc.nat(),
      key: fc.constantFrom(...addKeys),
      value: fc.constantFrom(...HOSTILE),
    }),
  );
}

export function mutate(doc: Doc, mutations: readonly Mutation[]): Doc {
  const copy = structuredClone(doc);
  // structuredClone turns a Decimal128 into a plain object; keep the original instances.
  restoreDecimals(doc, copy);
  for (const m of mutations) {
    if (m.op === "dropTop") {
      // A field of the claim itself goes missing (each equally likely, however deep the rest is).
      const keys = Object.keys(copy);
      delete copy[keys[m.at % keys.length] as string];
      continue;
    }
    const paths = pathsOf(copy);
    const path = paths[m.at % paths.length] as Path;
    const parent = path
      .slice(0, -1)
      .reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], copy);
    const key = path[path.length - 1] as string | number;
    const target = parent as Record<string | number, unknown>;
    if (m.op === "tweak") {
      const options = tweaks(target[key]);
      if (options.length > 0) target[key] = options[m.pick % options.length];
    } else if (m.op === "set") target[key] = fresh(m.value);
    else if (m.op === "delete") {
      if (Array.isArray(target)) target.splice(key as number, 1);
      else delete target[key];
    } else {
      const holder = target[key];
      if (typeof holder === "object" && holder !== null && !Array.isArray(holder))
        (holder as Record<string, unknown>)[m.key] = fresh(m.value);
      else target[m.key] = fresh(m.value);
    }
  }
  return copy;
}

/** A copy of a shared hostile value, so later mutations never reach the shared one. */
export function fresh(v: unknown): unknown {
  if (v instanceof Date) return new Date(v.getTime());
  if (Array.isArray(v)) return [...v];
  if (typeof v === "object" && v !== null && !(v instanceof Decimal128)) return { ...v };
  return v;
}

export function restoreDecimals(from: unknown, to: unknown): void {
  if (typeof from !== "object" || from === null || typeof to !== "object" || to === null) return;
  for (const [k, v] of Object.entries(from)) {
    if (v instanceof Decimal128) (to as Record<string, unknown>)[k] = v;
    else restoreDecimals(v, (to as Record<string, unknown>)[k]);
  }
}
