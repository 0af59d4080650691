// The logger's two PHI defences, line by line: redaction of PHI keys wherever a document could
// be nested, and the `err` serializer that scrubs the values MongoDB quotes in its messages.
import { MongoServerError } from "mongodb";
import { describe, expect, it } from "vitest";
import { ResumeTokenLostError } from "../../src/domain/errors.js";
import {
  createLogger,
  REDACT_PATHS,
  scrubMongoMessage,
  serializeErr,
} from "../../src/observability/logger.js";
import { errorSummary } from "../../src/pipeline/resilience.js";

function capture(level: Parameters<typeof createLogger>[0] = "trace") {
  const raw: string[] = [];
  const logger = createLogger(level, { write: (s: string) => void raw.push(s) });
  return { logger, raw, lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const PATIENT = {
  patient_id: "P1",
  first_name: "Zephyrina",
  middle_name: "Odalys",
  last_name: "Quillfeather",
  dob: new Date("1937-02-11T00:00:00Z"),
  ssn: "987-65-4329",
  member_id: "MBRZQ7731904",
  address: { line1: "4417 Wisteriavale Ct", city: "Xanthorpe", state: "OR", zip: "97201" },
};
const VALUES = [
  "Zephyrina",
  "Odalys",
  "Quillfeather",
  "1937-02-11",
  "987-65-4329",
  "MBRZQ7731904",
  "Wisteriavale",
];

describe("PHI redaction", () => {
  it("redacts every PHI key from the top level down to three levels deep, array elements included", () => {
    const { logger, raw, lines } = capture();
    logger.info({ ...PATIENT }, "top level");
    logger.info({ patient: PATIENT }, "patient object");
    logger.info({ batch: { claims: [{ patient: PATIENT }] } }, "in an array, three levels down");
    logger.info({ event: { fullDocument: { claim_number: "C1", subscriber: PATIENT } } }, "change event");
    logger.info({ a: { b: { c: { ...PATIENT } } } }, "fields three levels down");
    for (const line of raw) for (const v of VALUES) expect(line, line).not.toContain(v);
    const [top] = lines();
    expect(top).toMatchObject({ first_name: "[redacted]", dob: "[redacted]", patient_id: "P1" });
  });

  it("redacts the parts of a MongoDB error that hold document values wherever the error object lands", () => {
    const { logger, raw } = capture();
    logger.warn(
      {
        failure: {
          errInfo: { details: { consideredValue: "Quillfeather" } },
          keyValue: { ssn: "987-65-4329" },
          errorResponse: { errmsg: 'dup key: { member_id: "MBRZQ7731904" }' },
        },
      },
      "raw error fields",
    );
    for (const v of VALUES) expect(raw[0]).not.toContain(v);
  });

  it("keeps the identifiers an operator needs", () => {
    const { logger, lines } = capture();
    logger.info(
      { batchId: "b1", claim: "CLM-1", version: 2, window: "GRP_001|CLIENT001" },
      "837 file written",
    );
    expect(lines()[0]).toMatchObject({
      batchId: "b1",
      claim: "CLM-1",
      version: 2,
      window: "GRP_001|CLIENT001",
    });
  });

  it("has one set of paths per PHI key and depth", () => {
    expect(new Set(REDACT_PATHS).size).toBe(REDACT_PATHS.length);
    expect(REDACT_PATHS).toContain("*.*.*.ssn");
  });
});

describe("MongoDB error messages", () => {
  it.each([
    [
      "PlanExecutor error during aggregation :: caused by :: Error parsing date string '1937-02-31'; 12: The parsed date was invalid '\u0000'",
      "PlanExecutor error during aggregation :: caused by :: Error parsing date string '[redacted]'",
    ],
    [
      "Failed to parse number 'O'Brien' in $convert with no onError value: Did not consume whole string.",
      "Failed to parse number '[redacted]' in $convert with no onError value: Did not consume whole string.",
    ],
    [
      'E11000 duplicate key error collection: db.patient index: ssn_1 dup key: { ssn: "987-65-4329" }',
      "E11000 duplicate key error collection: db.patient index: ssn_1 dup key: {[redacted]}",
    ],
    [
      "Cannot create field 'x' in element {dob: new Date(-1037232000000), last_name: \"Quillfeather\"}",
      "Cannot create field '[redacted]' in element {[redacted]}",
    ],
    ["can't convert from BSON type string to Date", "can't convert from BSON type string to Date"],
    ["unterminated 'Quillfeather", "unterminated '[redacted]"],
    ["Document failed validation", "Document failed validation"],
  ])("scrubs %j", (message, scrubbed) => {
    expect(scrubMongoMessage(message)).toBe(scrubbed);
  });

  const serverError = () =>
    new MongoServerError({
      errmsg:
        "PlanExecutor error during aggregation :: caused by :: Error parsing date string 'Quillfeather 1937-02-31'",
      code: 241,
      codeName: "ConversionFailure",
      errInfo: { details: { consideredValue: "987-65-4329" } },
    });

  it("logs a MongoDB error, its errorSummary and its String() form without the quoted values", () => {
    const { logger, raw, lines } = capture();
    logger.warn({ err: serverError() }, "error object");
    logger.warn({ err: errorSummary(serverError()), attempt: 1 }, "operation failed; retrying with backoff");
    logger.warn({ err: String(serverError()) }, "lease acquisition failed; retrying");
    logger.error(serverError(), "error as the first argument");
    for (const line of raw) {
      expect(line).not.toContain("Quillfeather");
      expect(line).not.toContain("1937-02-31");
      expect(line).not.toContain("987-65-4329");
    }
    const [object, summary, text] = lines();
    expect(object?.err).toEqual({
      type: "MongoServerError",
      message: "PlanExecutor error during aggregation :: caused by :: Error parsing date string '[redacted]'",
      code: 241,
      codeName: "ConversionFailure",
    });
    expect(summary?.err).toMatchObject({ type: "MongoServerError", code: 241 });
    expect(text?.err).toBe(
      "MongoServerError: PlanExecutor error during aggregation :: caused by :: Error parsing date string '[redacted]'",
    );
  });

  it("leaves our own errors as they are: they never carry values, and their quotes name streams", () => {
    const err = new ResumeTokenLostError("claim_detail", 286);
    const serialized = serializeErr(err) as Record<string, unknown>;
    expect(serialized.message).toBe(err.message);
    expect(serialized.message).toContain('"claim_detail"');
    expect(serializeErr(errorSummary(err))).toEqual(errorSummary(err));
    expect(serializeErr('lease of stream "claims" was lost')).toBe('lease of stream "claims" was lost');
  });
});

describe("log levels", () => {
  it("drops lines below the configured level", () => {
    const { logger, lines } = capture("warn");
    logger.info("not kept");
    logger.debug("not kept");
    logger.warn("kept");
    expect(lines().map((l) => [l.level, l.msg])).toEqual([["warn", "kept"]]);
  });
});
