// patient: the subscriber and, when different, the patient. `ssn` is deliberately absent from
// the schema, so it is stripped on parse and can never reach a file, a log or a dead letter.
import { z } from "zod";
import { fastPatient } from "./patient-fast.js";
import {
  addressSchema,
  dateField,
  genderField,
  type ParseResult,
  parseDocument,
  text,
} from "./schema-parts.js";

/** PAT01 codes allowed in 005010X222A1, plus 18 (self). */
export const RELATIONSHIP_CODES = ["18", "01", "19", "20", "21", "39", "40", "53", "G8"] as const;

const person = {
  first_name: text,
  last_name: text,
  middle_name: text.optional(),
  dob: dateField,
  gender: genderField,
  address: addressSchema,
  member_id: z.string().trim().min(2).max(80),
};

export const subscriberSchema = z.object(person);
export type Subscriber = z.output<typeof subscriberSchema>;

export const patientSchema = z
  .object({
    patient_id: z.string().trim().min(1).max(80),
    claim_number: z.string().optional(),
    ...person,
    relationship_code: z.enum(RELATIONSHIP_CODES),
    subscriber: subscriberSchema.optional(),
  })
  .superRefine((p, ctx) => {
    if (p.relationship_code !== "18" && !p.subscriber) {
      ctx.addIssue({
        code: "custom",
        path: ["subscriber"],
        message: "required when relationship_code is not 18 (self)",
      });
    }
  });

export type Patient = z.output<typeof patientSchema>;

export function parsePatient(doc: unknown): ParseResult<Patient> {
  return parseDocument(patientSchema, doc, fastPatient);
}

/** True when the patient is the subscriber (no 2000C loop). */
export function isSelf(p: Patient): boolean {
  return p.relationship_code === "18";
}
