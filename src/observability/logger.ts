// pino JSON logs. PHI never belongs in a log line; redaction is the second line of defence for
// the paths where a document could slip in (names, dob, ssn, member ids, addresses).
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
  "content",
  "phone",
  "email",
];

/** Redact these keys at the top level and up to three levels deep. */
export const REDACT_PATHS = PHI_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]);

export function createLogger(level: LevelWithSilent, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "claimflow", pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
