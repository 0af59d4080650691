// pino JSON logs. PHI never belongs in a log line; redaction is the second line of defence for
// the paths where a document could slip in (names, dob, ssn, member ids, addresses), and the
// `err` serializer is the one for MongoDB's own error texts, which quote the values they choke on.
import pino, { type DestinationStream, type LevelWithSilent, type Logger } from "pino";

export type { Logger };

const PHI_KEYS = [
  "first_name",
  "last_name",
  "middle_name",
  "dob",
  "ssn",
  "member_id",
  "address",
  "subscriber",
  "patient",
  "fullDocument",
  // Change events with pre-images, and update diffs, carry document values too.
  "fullDocumentBeforeChange",
  "updateDescription",
  // Parts of a MongoDB error that hold document values: the failing document's fields
  // (document validation), the duplicated key's values, the raw server reply.
  "errInfo",
  "keyValue",
  "errorResponse",
  "content",
  "phone",
  "email",
];

/** Redact these keys at the top level and up to three levels deep (array indices included). */
export const REDACT_PATHS = PHI_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]);

const CENSOR = "[redacted]";

/**
 * MongoDB server messages quote the value they failed on: "Error parsing date string
 * '1937-02-31'", "Failed to parse number 'SMITH' in $convert", "dup key: { ssn: \"…\" }",
 * "Cannot create field 'x' in element {dob: …}". Values are not escaped (O'Brien), so a
 * quoted or document literal is cut from its first delimiter to the last one of its kind:
 * over-redaction at worst, never half a name. The error's shape (codes, operators, the text
 * before the first literal) stays for the operator.
 */
const LITERALS: readonly { open: RegExp; close: string }[] = [
  { open: /\{/, close: "}" },
  { open: /"/, close: '"' },
  // An apostrophe inside a word ("can't") opens nothing.
  { open: /(?<![A-Za-z0-9])'/, close: "'" },
];

export function scrubMongoMessage(message: string): string {
  let out = message;
  for (const { open, close } of LITERALS) {
    const start = out.search(open);
    if (start === -1) continue;
    const end = out.lastIndexOf(close);
    out = `${out.slice(0, start + 1)}${CENSOR}${end > start ? out.slice(end) : ""}`;
  }
  return out;
}

/** The driver's classes are all named Mongo…Error; our own errors never carry values. */
const isMongoName = (name: unknown): boolean => typeof name === "string" && name.startsWith("Mongo");

/**
 * What an `err` field may hold in our code: an Error, an errorSummary `{type, message, code}`,
 * or `String(err)` ("MongoServerError: …"). MongoDB errors are cut down to their scrubbed
 * message and codes (their errInfo/keyValue/errorResponse hold document values); every other
 * error is logged as pino would.
 */
export function serializeErr(err: unknown): unknown {
  if (err instanceof Error) {
    if (!isMongoName(err.name)) return pino.stdSerializers.err(err);
    const e = err as Error & { code?: unknown; codeName?: unknown; errorLabels?: unknown };
    return {
      type: err.name,
      message: scrubMongoMessage(err.message),
      ...(e.code !== undefined ? { code: e.code } : {}),
      ...(typeof e.codeName === "string" ? { codeName: e.codeName } : {}),
      ...(Array.isArray(e.errorLabels) && e.errorLabels.length > 0 ? { labels: e.errorLabels } : {}),
    };
  }
  if (typeof err === "string") return isMongoName(err.split(":", 1)[0]) ? scrubMongoMessage(err) : err;
  if (typeof err === "object" && err !== null) {
    const summary = err as { type?: unknown; message?: unknown };
    if (isMongoName(summary.type) && typeof summary.message === "string")
      return { ...summary, message: scrubMongoMessage(summary.message) };
  }
  return err;
}

export function createLogger(level: LevelWithSilent, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "claimflow", pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: CENSOR },
      serializers: { err: serializeErr },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
