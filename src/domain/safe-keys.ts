// Keys that start with `$` or contain `.` are how operator injection reaches a query or an
// update; upstream must never send them, so a document holding one at any depth is rejected.

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

/**
 * Every unsafe key as an issue: the dotted path of the object holding it (array indexes as
 * numbers) and a rule text; the key itself is named only when it is a known operator.
 */
export function findUnsafeKeys(doc: unknown, limit = 20): InputIssue[] {
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
        walk(value[key], path ? `${path}.${key}` : key, depth + 1);
      }
      n++;
    }
  };
  walk(doc, "", 0);
  return found;
}
