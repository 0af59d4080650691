// Keys that start with `$` or contain `.` are how operator injection reaches a query or an
// update; upstream must never send them, so a document holding one at any depth is rejected.

import type { z } from "zod";
import type { InputIssue } from "./errors.js";

const MAX_DEPTH = 64;
/**
 * MongoDB operators worth naming in a dead letter ("$where" tells an operator what happened).
 * Any other key is shown by its position only: a key can hold data too (`{"$Smith": 1}`).
 */
const KNOWN_OPERATORS = new Set([
  "$where",
  "$expr",
  "$function",
  "$accumulator",
  "$jsonSchema",
  "$regex",
  "$options",
  "$text",
  "$search",
  "$eq",
  "$ne",
  "$gt",
  "$gte",
  "$lt",
  "$lte",
  "$in",
  "$nin",
  "$exists",
  "$type",
  "$mod",
  "$all",
  "$size",
  "$elemMatch",
  "$and",
  "$or",
  "$nor",
  "$not",
  "$set",
  "$unset",
  "$inc",
  "$mul",
  "$rename",
  "$push",
  "$pull",
  "$pullAll",
  "$addToSet",
  "$pop",
  "$min",
  "$max",
  "$currentDate",
  "$setOnInsert",
  "$lookup",
  "$merge",
  "$out",
  "$match",
  "$project",
  "$group",
  "$unionWith",
  "$comment",
  "$natural",
  "$oid",
  "$date",
  "$numberDecimal",
  "$numberLong",
  "$binary",
  "$ref",
  "$id",
  "$db",
]);

function isPlainContainer(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

type ZodDef = {
  type?: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  element?: z.ZodType;
  options?: readonly z.ZodType[];
  getter?: () => z.ZodType;
};

const fieldNameCache = new WeakMap<z.ZodType, ReadonlySet<string>>();

/**
 * Every field name a schema declares, at any depth: the only key texts an issue path may
 * show, because they come from our code, not from the document.
 */
export function declaredFieldNames(schema: z.ZodType): ReadonlySet<string> {
  const cached = fieldNameCache.get(schema);
  if (cached) return cached;
  const names = new Set<string>();
  const seen = new Set<z.ZodType>();
  const visit = (s: z.ZodType | undefined): void => {
    if (!s || seen.has(s)) return;
    seen.add(s);
    const def = (s as unknown as { _zod?: { def?: ZodDef } })._zod?.def;
    if (!def) return;
    for (const [name, field] of Object.entries(def.shape ?? {})) {
      names.add(name);
      visit(field);
    }
    visit(def.innerType);
    visit(def.in);
    visit(def.out);
    visit(def.element);
    for (const o of def.options ?? []) visit(o);
    if (def.type === "lazy" && def.getter) visit(def.getter());
  };
  visit(schema);
  fieldNameCache.set(schema, names);
  return names;
}

/**
 * Every unsafe key as an issue: the path of the object holding it and a rule text. A key on
 * the path is shown by name only when the schema declares it (`knownFields`); any other key by
 * its position (`patient.#2.0`: the third key of patient, first array element), because a key
 * can hold data (`{"Smith, John": {"$x": 1}}`) and the path reaches dead letters and logs.
 * The unsafe key itself is named only when it is a known operator.
 */
export function findUnsafeKeys(
  doc: unknown,
  limit = 20,
  knownFields: ReadonlySet<string> = new Set(),
): InputIssue[] {
  // Nearly every document is clean: say so without building a path string for every key.
  if (!anyUnsafe(doc, 0)) return [];
  const found: InputIssue[] = [];
  const walk = (value: unknown, path: string, depth: number): void => {
    if (found.length >= limit || !isPlainContainer(value)) return;
    if (depth > MAX_DEPTH) {
      found.push({ path: path || "(root)", message: "nested too deeply" });
      return;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) walk(value[i], path ? `${path}.${i}` : String(i), depth + 1);
      return;
    }
    let n = 0;
    for (const key of Object.keys(value)) {
      if (key.startsWith("$") || key.includes(".")) {
        const shown = KNOWN_OPERATORS.has(key) ? `"${key}"` : `#${n}`;
        found.push({ path: path || "(root)", message: `key ${shown} starts with "$" or contains "."` });
        if (found.length >= limit) return;
      } else {
        const step = knownFields.has(key) ? key : `#${n}`;
        walk(value[key], path ? `${path}.${step}` : step, depth + 1);
      }
      n++;
    }
  };
  walk(doc, "", 0);
  return found;
}

/** Whether findUnsafeKeys would find anything (an unsafe key, or nesting past MAX_DEPTH). */
function anyUnsafe(value: unknown, depth: number): boolean {
  if (!isPlainContainer(value)) return false;
  if (depth > MAX_DEPTH) return true;
  if (Array.isArray(value)) {
    for (const v of value) if (anyUnsafe(v, depth + 1)) return true;
    return false;
  }
  for (const key of Object.keys(value)) {
    if (key.startsWith("$") || key.includes(".")) return true;
    if (anyUnsafe(value[key], depth + 1)) return true;
  }
  return false;
}
