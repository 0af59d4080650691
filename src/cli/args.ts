// Every command-line argument passes through one of these zod schemas before it reaches a
// service. A failure becomes a UsageError naming the option and the rule, on one line, never
// echoing the value (exit 2).
import { z } from "zod";
import { CLAIM_NUMBER, CLIENT_ID, GROUP_ID } from "../domain/claim.js";
import { type DeadLetterReason, UsageError } from "../domain/errors.js";

/** Same rule as EDI_STREAM_NAME in config.ts: the checkpoint `_id` and lease key. */
export const streamNameArg = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,100}$/, { message: "must be 1-100 letters, digits, _ . or -" });

export const claimNumberArg = z
  .string()
  .regex(CLAIM_NUMBER, { message: "must be 1-50 characters A-Z, 0-9 or - (a claim_number)" });

export const groupIdArg = z
  .string()
  .regex(GROUP_ID, { message: "must be 1-20 characters A-Z, 0-9 or _ (a group_id)" });

export const clientIdArg = z
  .string()
  .regex(CLIENT_ID, { message: "must be 1-64 letters, digits, _ or - (a client_id)" });

/** Batch ids are generated (`b<time><hex>`); the rule stays loose enough for future formats. */
export const batchIdArg = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, { message: "must be 1-64 letters, digits, _ or - (a batch_id)" });

/** Audit actions are snake_case words (`token_reset`, `file_emitted`). */
export const auditActionArg = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,39}$/, { message: "must be a snake_case action name such as token_reset" });

/** Claim-number prefix for `seed`: claim numbers become `<prefix>-<8 digits>`. */
export const seedPrefixArg = z
  .string()
  .regex(/^[A-Z0-9]{1,24}$/, { message: "must be 1-24 characters A-Z or 0-9" });

/**
 * An ISO-8601 instant with an explicit offset (`2025-03-01T12:00:00Z`) or a calendar date
 * (`2025-03-01`, midnight UTC). Local times without an offset are refused: an operator's
 * shell time zone must not silently move a reset point.
 */
export const isoInstantArg = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], {
    message: "must be an ISO-8601 time with offset (2025-03-01T12:00:00Z) or a date (2025-03-01)",
  })
  .transform((s) => new Date(s))
  .refine((d) => !Number.isNaN(d.getTime()), { message: "must be a real calendar date" });

/** A whole number in [min, max] from its command-line text. */
export function intArg(min: number, max: number) {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, { message: `must be a whole number from ${min} to ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, { message: `must be a whole number from ${min} to ${max}` })
        .max(max, { message: `must be a whole number from ${min} to ${max}` }),
    );
}

/** The reasons the pipeline records; the check below fails to compile when the type gains one. */
export const DEAD_LETTER_REASONS = [
  "invalid_claim",
  "unsafe_keys",
  "patient_missing",
  "patient_invalid",
  "client_missing",
  "client_invalid",
  "npi_missing",
  "npi_invalid",
  "not_renderable",
  "ambiguous_patient",
] as const satisfies readonly DeadLetterReason[];
type MissingReason = Exclude<DeadLetterReason, (typeof DEAD_LETTER_REASONS)[number]>;
const everyReasonListed: [MissingReason] extends [never] ? true : MissingReason = true;
void everyReasonListed;

export const deadLetterReasonArg = z.enum(DEAD_LETTER_REASONS, {
  message: `must be one of ${DEAD_LETTER_REASONS.join(", ")}`,
});

/**
 * Parses one argument; `label` names it the way the user typed it (`--limit`, `<claim>`).
 * The message carries zod's rule text only, so a mistyped value is never echoed back.
 */
export function parseArg<S extends z.ZodType>(schema: S, value: unknown, label: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new UsageError(`${label} ${issue?.message ?? "is invalid"}`);
}

/** Optional argument: undefined passes through untouched. */
export function parseOptionalArg<S extends z.ZodType>(
  schema: S,
  value: unknown,
  label: string,
): z.output<S> | undefined {
  return value === undefined ? undefined : parseArg(schema, value, label);
}

/** An interchange sender id (ISA06 or the client's sender_id): 1-15 printable characters. */
export const senderIdArg = z.string().regex(/^[A-Za-z0-9 _.&'-]{1,15}$/, {
  message: "must be 1-15 letters, digits, spaces or _ . & ' - (ISA06)",
});

/** A file path as printed by claimflow (relative to EDI_OUTPUT_DIR) or absolute; no `..`. */
export const filePathArg = z
  .string()
  .min(1, { message: "must not be empty" })
  .max(1024, { message: "must be at most 1024 characters" })
  .refine((p) => !p.includes("\u0000") && !p.split("/").includes(".."), {
    message: "must be a path without .. segments",
  });

/** ISA13 / GS06: 1 to 999999999. */
export const controlNumberArg = intArg(1, 999_999_999);

/** An operator's reason: one line of printable ASCII (it lands in logs, /readyz and audit_log). */
export const reasonArg = z
  .string()
  .regex(/^[\x20-\x7e]{1,200}$/, { message: "must be 1-200 printable ASCII characters on one line" });
