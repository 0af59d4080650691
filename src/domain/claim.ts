// claim_detail as SPEC section 2 defines it: the schema is the single source of truth for
// what a billable claim is; anything it rejects becomes a dead letter with paths, not values.
import { z } from "zod";
import { fastClaim } from "./claim-fast.js";
import { dateField, moneyField, npiField, type ParseResult, parseDocument } from "./schema-parts.js";

export const CLAIM_NUMBER = /^[A-Z0-9-]{1,50}$/;
export const GROUP_ID = /^[A-Z0-9_]{1,20}$/;
/** client_id is a key and part of the output file name, so it is kept path-safe. */
export const CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** ICD-10-CM without the dot: letter, digit, alphanumeric, then up to four more. */
export const ICD10 = /^[A-Z][0-9][0-9A-Z]([0-9A-Z]{1,4})?$/;

export const CLAIM_STATUSES = ["draft", "ready", "billed", "hold", "error"] as const;
export const NDC_UNITS = ["UN", "ML", "GR", "F2", "ME"] as const;

const lineSchema = z
  .object({
    procedure_code: z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^[A-Z0-9]{5}$/, { message: "must be a 5-character CPT/HCPCS code" }),
    modifiers: z
      .array(
        z
          .string()
          .trim()
          .toUpperCase()
          .regex(/^[A-Z0-9]{2}$/, { message: "must be 2 characters" }),
      )
      .max(4)
      .default([]),
    units: z.number().positive().max(99_999),
    charge: moneyField,
    service_date: dateField.optional(),
    diagnosis_pointers: z.array(z.number().int().min(1).max(12)).min(1).max(4),
    ndc: z
      .string()
      .transform((s) => s.replace(/-/g, ""))
      .pipe(z.string().regex(/^\d{11}$/, { message: "must be an 11-digit NDC (5-4-2)" }))
      .optional(),
    ndc_quantity: z.number().positive().max(9_999_999).optional(),
    ndc_unit: z.enum(NDC_UNITS).optional(),
    prescription_number: z.string().trim().min(1).max(50).optional(),
    days_supply: z.number().int().positive().max(999).optional(),
  })
  .superRefine((line, ctx) => {
    if (line.ndc !== undefined) {
      if (line.ndc_quantity === undefined)
        ctx.addIssue({ code: "custom", path: ["ndc_quantity"], message: "required when ndc is present" });
      if (line.ndc_unit === undefined)
        ctx.addIssue({ code: "custom", path: ["ndc_unit"], message: "required when ndc is present" });
    }
  });

export const claimSchema = z
  .object({
    claim_number: z.string().regex(CLAIM_NUMBER, { message: "must match ^[A-Z0-9-]{1,50}$" }),
    group_id: z.string().regex(GROUP_ID, { message: "must match ^[A-Z0-9_]{1,20}$" }),
    client_id: z.string().regex(CLIENT_ID, { message: "must match ^[A-Za-z0-9_-]{1,64}$" }),
    patient_id: z.string().trim().min(1).max(80),
    status: z.enum(CLAIM_STATUSES),
    version: z.number().int().min(1).default(1),
    frequency_code: z
      .union([z.enum(["1", "7", "8"]), z.literal(1), z.literal(7), z.literal(8)])
      .transform((v) => String(v) as "1" | "7" | "8")
      .default("1"),
    payer_claim_control_number: z.string().trim().min(1).max(50).optional(),
    billing_date: dateField,
    created_at: dateField.optional(),
    updated_at: dateField.optional(),
    payer: z.object({
      payer_id: z.string().trim().min(2).max(80),
      name: z.string().trim().min(1),
    }),
    place_of_service: z.string().regex(/^\d{2}$/, { message: "must be 2 digits" }),
    service_date: dateField,
    diagnosis_codes: z
      .array(
        z
          .string()
          .trim()
          .toUpperCase()
          .transform((s) => s.replace(".", ""))
          .pipe(z.string().regex(ICD10, { message: "must be an ICD-10 code without the dot" })),
      )
      .min(1)
      .max(12),
    rendering_npi: npiField.optional(),
    referring_npi: npiField.optional(),
    prior_authorization: z.string().trim().min(1).max(50).optional(),
    lines: z.array(lineSchema).min(1).max(50),
    total_charge: moneyField,
  })
  .superRefine((c, ctx) => {
    if ((c.frequency_code === "7" || c.frequency_code === "8") && !c.payer_claim_control_number) {
      ctx.addIssue({
        code: "custom",
        path: ["payer_claim_control_number"],
        message: "required for frequency_code 7 (replacement) and 8 (void)",
      });
    }
    const sum = c.lines.reduce((s, l) => s + l.charge, 0);
    if (sum !== c.total_charge) {
      ctx.addIssue({ code: "custom", path: ["total_charge"], message: "must equal the sum of line charges" });
    }
    c.lines.forEach((l, i) => {
      l.diagnosis_pointers.forEach((p, j) => {
        if (p > c.diagnosis_codes.length) {
          ctx.addIssue({
            code: "custom",
            path: ["lines", i, "diagnosis_pointers", j],
            message: "points past the last diagnosis code",
          });
        }
      });
    });
  });

export type Claim = z.output<typeof claimSchema>;
export type ClaimLine = Claim["lines"][number];

/** Canonical claims take the hand-written path (claim-fast.ts); zod decides everything else. */
export function parseClaim(doc: unknown): ParseResult<Claim> {
  return parseDocument(claimSchema, doc, fastClaim);
}
