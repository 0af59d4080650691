// Keys that start with `$` or contain `.` are how operator injection reaches a query or an
// update; upstream must never send them, so a document holding one at any depth is rejected.

const MAX_DEPTH = 64;
const OPERATOR = /^\$[A-Za-z]{1,24}$/;

function isPlainContainer(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Paths (dotted, array indexes as numbers) of every unsafe key; the key text itself is not echoed. */
export function findUnsafeKeys(doc: unknown, limit = 20): string[] {
  const found: string[] = [];
  const walk = (value: unknown, path: string, depth: number): void => {
    if (found.length >= limit || !isPlainContainer(value)) return;
    if (depth > MAX_DEPTH) {
      found.push(`${path || "(root)"}: nested too deeply`);
      return;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) walk(value[i], path ? `${path}.${i}` : String(i), depth + 1);
      return;
    }
    let n = 0;
    for (const key of Object.keys(value)) {
      if (key.startsWith("$") || key.includes(".")) {
        // An operator name ($where, $gt) is safe and useful to show; any other key text might be data.
        const shown = OPERATOR.test(key) ? `"${key}"` : `#${n}`;
        found.push(`${path || "(root)"}: key ${shown} starts with "$" or contains "."`);
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
