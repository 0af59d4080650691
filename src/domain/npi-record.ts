// npi: the provider registry entry for rendering/referring providers.
import { z } from "zod";
import { npiField, type ParseResult, parseDocument, text } from "./schema-parts.js";

export const npiRecordSchema = z
  .object({
    npi: npiField,
    entity_type: z
      .union([z.literal(1), z.literal(2), z.literal("1"), z.literal("2")])
      .transform((v) => Number(v) as 1 | 2),
    first_name: text.optional(),
    last_name: text.optional(),
    organization_name: text.optional(),
    taxonomy_code: z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^[0-9A-Z]{9}X$/, { message: "must be a 10-character taxonomy code ending in X" })
      .optional(),
  })
  .superRefine((n, ctx) => {
    if (n.entity_type === 1 && !n.last_name)
      ctx.addIssue({ code: "custom", path: ["last_name"], message: "required for entity_type 1 (person)" });
    if (n.entity_type === 2 && !n.organization_name)
      ctx.addIssue({
        code: "custom",
        path: ["organization_name"],
        message: "required for entity_type 2 (organization)",
      });
  });

export type NpiRecord = z.output<typeof npiRecordSchema>;

export function parseNpiRecord(doc: unknown): ParseResult<NpiRecord> {
  return parseDocument(npiRecordSchema, doc);
}
