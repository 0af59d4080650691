// Building blocks shared by the document schemas, and the one place zod issues become
// InputIssues (path + rule, never the offending value).
import { z } from "zod";
import { type InputIssue, InvalidDocumentError } from "./errors.js";
import { toCents } from "./money.js";
import { isValidNpi } from "./npi.js";
import { declaredFieldNames, findUnsafeKeys } from "./safe-keys.js";

/** A Date, or an ISO-8601 date/date-time string (for JSON fixtures and the CLI). */
export const dateField = z
  .union([z.date(), z.iso.datetime({ offset: true }), z.iso.date()])
  .transform((v) => (v instanceof Date ? v : new Date(v)))
  .refine((d) => !Number.isNaN(d.getTime()), { message: "must be a valid date" });

/** Money → integer cents (number, decimal string or Decimal128). */
export const moneyField = z.unknown().transform((value, ctx) => {
  const r = toCents(value);
  if (!r.ok) {
    ctx.addIssue({ code: "custom", message: r.message });
    return z.NEVER;
  }
  return r.cents;
});

export const npiField = z
  .string()
  .regex(/^\d{10}$/, { message: "must be 10 digits" })
  .refine(isValidNpi, { message: "fails the NPI check digit (Luhn, prefix 80840)" });

/** Free text: required, cut to fit at render time (never a reason to reject a claim). */
export const text = z.string().trim().min(1, { message: "must not be empty" });

export const addressSchema = z.object({
  line1: text,
  line2: text.optional(),
  city: text,
  state: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{2}$/, { message: "must be a 2-letter state code" }),
  zip: z
    .string()
    .trim()
    .transform((s) => s.replace("-", ""))
    .pipe(z.string().regex(/^(\d{5}|\d{9})$/, { message: "must be a 5- or 9-digit ZIP code" })),
});
export type Address = z.infer<typeof addressSchema>;

export const genderField = z.enum(["M", "F", "U"]);

function pathText(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join(".");
}

/** zod issues → InputIssues; messages are zod's rule texts or ours, which never quote values. */
export function toIssues(error: z.ZodError): InputIssue[] {
  return error.issues.map((i) => ({ path: pathText(i.path), message: ruleMessage(i) }));
}

function ruleMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return `expected ${issue.expected}`;
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "unrecognized_keys":
      return "unexpected keys";
    case "invalid_union":
      return "does not match any accepted form";
    default:
      return issue.message;
  }
}

export type ParseResult<T> =
  | { ok: true; value: T }
  /** `unsafeKeys`: rejected for `$`/`.` keys before the schema ran (an injection attempt). */
  | { ok: false; issues: InputIssue[]; unsafeKeys?: boolean };

/**
 * Parses an untrusted document: unsafe keys first (so `$where` never reaches a schema), then the
 * schema. Unknown fields are stripped, never a reason to reject.
 */
export function parseDocument<S extends z.ZodType>(
  schema: S,
  doc: unknown,
  /** A faster check for the common case: its value, or undefined to let the schema decide. */
  fast?: (doc: unknown) => z.output<S> | undefined,
): ParseResult<z.output<S>> {
  const unsafe = findUnsafeKeys(doc, 20, declaredFieldNames(schema));
  if (unsafe.length > 0) return { ok: false, unsafeKeys: true, issues: unsafe };
  const quick = fast?.(doc);
  if (quick !== undefined) return { ok: true, value: quick };
  const r = schema.safeParse(doc);
  return r.success ? { ok: true, value: r.data } : { ok: false, issues: toIssues(r.error) };
}

/** Throwing form for callers that treat a bad document as exceptional. */
export function parseOrThrow<S extends z.ZodType>(collection: string, schema: S, doc: unknown): z.output<S> {
  const r = parseDocument(schema, doc);
  if (!r.ok) throw new InvalidDocumentError(collection, r.issues);
  return r.value;
}
