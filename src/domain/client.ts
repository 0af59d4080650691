// client: the billing provider / pharmacy and its trading-partner envelope settings.
import { z } from "zod";
import { CLIENT_ID } from "./claim.js";
import { addressSchema, npiField, type ParseResult, parseDocument, text } from "./schema-parts.js";

/** ISA05/ISA07 interchange ID qualifiers of X12 5010. */
export const ISA_QUALIFIERS = ["01", "14", "20", "27", "28", "29", "30", "33", "ZZ"] as const;
const isaId = z
  .string()
  .trim()
  .min(1)
  .max(15)
  .regex(/^[A-Za-z0-9 ._-]+$/, { message: "must be letters, digits, space, dot, dash or underscore" });

export const clientSchema = z.object({
  client_id: z.string().regex(CLIENT_ID, { message: "must match ^[A-Za-z0-9_-]{1,64}$" }),
  name: text,
  npi: npiField,
  tax_id: z
    .string()
    .transform((s) => s.replace("-", ""))
    .pipe(z.string().regex(/^\d{9}$/, { message: "must be 9 digits" })),
  taxonomy_code: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[0-9A-Z]{9}X$/, { message: "must be a 10-character taxonomy code ending in X" }),
  address: addressSchema,
  contact: z.object({
    name: text,
    phone: z
      .string()
      .transform((s) => s.replace(/\D/g, ""))
      .pipe(z.string().regex(/^\d{10}$/, { message: "must be a 10-digit phone number" })),
    email: z.email().optional(),
  }),
  submitter_id: z.string().trim().min(2).max(80),
  receiver: z.object({ id: z.string().trim().min(2).max(80), name: text }),
  isa: z.object({
    sender_qualifier: z.enum(ISA_QUALIFIERS),
    sender_id: isaId,
    receiver_qualifier: z.enum(ISA_QUALIFIERS),
    receiver_id: isaId,
  }),
  gs: z.object({
    sender_code: z.string().trim().min(2).max(15),
    receiver_code: z.string().trim().min(2).max(15),
  }),
  usage_indicator: z.enum(["P", "T"]),
});

export type Client = z.output<typeof clientSchema>;

export function parseClient(doc: unknown): ParseResult<Client> {
  return parseDocument(clientSchema, doc);
}
