// Environment → typed configuration (SPEC section 7). Every problem is reported at once; the
// caller prints ConfigError.message and exits 2. The Mongo URI password never appears in output.
import { ConnectionString } from "mongodb-connection-string-url";
import { z } from "zod";
import { ContentKey, ContentKeyring } from "./crypto/content-key.js";
import { ConfigError, type InputIssue } from "./domain/errors.js";
import { checkPortableRegex, PORTABLE_REGEX_RULE } from "./domain/portable-regex.js";

const intIn = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, { message: "must be a whole number" })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, { message: `must be >= ${min}` })
        .max(max, { message: `must be <= ${max}` }),
    );

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(["true", "false", "1", "0", "yes", "no"], { message: "must be true or false" }))
  .transform((v) => v === "true" || v === "1" || v === "yes");

// The server (PCRE) and JavaScript must read the filter the same way: see portable-regex.ts.
const regexText = z.string().superRefine((s, ctx) => {
  const problem = checkPortableRegex(s);
  if (problem)
    ctx.addIssue({
      code: "custom",
      message: `${problem.message} (character ${problem.position}); ${PORTABLE_REGEX_RULE}`,
    });
});

// Key material is never echoed: the messages name the rule (and the list position), not the text.
const KEY_RULE = "must be 32 random bytes, base64-encoded (e.g. `openssl rand -base64 32`)";

const contentKey = z.string().transform((text, ctx) => {
  const key = ContentKey.fromBase64(text);
  if (!key) {
    ctx.addIssue({ code: "custom", message: KEY_RULE });
    return z.NEVER;
  }
  return key;
});

const previousContentKeys = z.string().transform((text, ctx) => {
  const keys: ContentKey[] = [];
  text.split(",").forEach((part, i) => {
    if (part.trim() === "") return;
    const key = ContentKey.fromBase64(part);
    if (key) keys.push(key);
    else ctx.addIssue({ code: "custom", message: `entry ${i + 1} ${KEY_RULE}` });
  });
  return keys;
});

const envSchema = z.object({
  EDI_MONGODB_URI: z
    .string()
    .trim()
    .regex(/^mongodb(\+srv)?:\/\/.+/, { message: "must start with mongodb:// or mongodb+srv://" })
    .optional(),
  EDI_DATABASE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/, { message: "must be 1-63 letters, digits, _ or -" })
    .default("scriptlogic"),
  EDI_OUTPUT_DIR: z.string().min(1).default("837_output"),
  EDI_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  EDI_MAX_POOL_SIZE: intIn(1, 1000).default(50),
  EDI_BATCH_SIZE: intIn(1, 5000).default(500),
  EDI_WINDOW_MS: intIn(10, 3_600_000).default(5000),
  EDI_MAX_IN_FLIGHT: intIn(1, 1_000_000).default(10_000),
  EDI_TIMEOUT_MS: intIn(100, 600_000).default(30_000),
  EDI_CHECKPOINT_INTERVAL_MS: intIn(10, 3_600_000).default(1000),
  EDI_METRICS_PORT: intIn(0, 65_535).default(9464),
  EDI_STREAM_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,100}$/, { message: "must be 1-100 letters, digits, _ . or -" })
    .default("claim_detail"),
  EDI_MARK_BILLED: bool.default(true),
  EDI_ON_TOKEN_LOST: z.enum(["rescan", "fail"]).default("rescan"),
  EDI_SHUTDOWN_TIMEOUT_MS: intIn(100, 600_000).default(30_000),
  EDI_GROUP_FILTER: regexText.optional(),
  EDI_CONTENT_KEY: contentKey.optional(),
  EDI_CONTENT_KEY_PREVIOUS: previousContentKeys.optional(),
  EDI_CONTENT_RETENTION_DAYS: intIn(1, 36_500).default(30),
  // A TTL index holds at most 2^31-1 seconds (about 68 years).
  EDI_AUDIT_RETENTION_DAYS: intIn(1, 24_855).default(2190),
  // Acknowledgements (SPEC section 9): an inbound directory the active processor polls.
  EDI_ACK_DIR: z.string().min(1).optional(),
  EDI_ACK_POLL_SECONDS: intIn(1, 3600).default(30),
  // How often the processor checks that the input indexes exist (a missing one is slow, not wrong).
  EDI_INDEX_CHECK_SECONDS: intIn(1, 86_400).default(300),
  // How often the processor reads stream_controls (`claimflow pause` / `resume` take effect within it).
  EDI_CONTROL_POLL_SECONDS: intIn(1, 300).default(5),
  EDI_ACK_WRITEBACK: bool.default(false),
  EDI_ACK_EXPECTED_WITHIN_HOURS: intIn(1, 720).default(24),
  EDI_ACK_MAX_FILE_MB: intIn(1, 1024).default(64),
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .url({ protocol: /^https?$/, message: "must be an http(s) URL such as http://otel-collector:4318" })
    .optional(),
});

export type Config = {
  readonly mongoUri: string | undefined;
  readonly databaseName: string;
  readonly outputDir: string;
  readonly logLevel: z.output<typeof envSchema>["EDI_LOG_LEVEL"];
  readonly maxPoolSize: number;
  readonly batchSize: number;
  readonly windowMs: number;
  readonly maxInFlight: number;
  readonly timeoutMs: number;
  readonly checkpointIntervalMs: number;
  readonly metricsPort: number;
  readonly streamName: string;
  readonly markBilled: boolean;
  readonly onTokenLost: "rescan" | "fail";
  readonly shutdownTimeoutMs: number;
  readonly groupFilter: string | undefined;
  /** EDI_CONTENT_KEY (seals new content) and EDI_CONTENT_KEY_PREVIOUS (still open old content). */
  readonly contentKeys: ContentKeyring;
  readonly contentRetentionDays: number;
  readonly auditRetentionDays: number;
  /** EDI_ACK_*: inbound acknowledgements (unset dir: no watching; `acks import` still works). */
  readonly ackDir: string | undefined;
  readonly ackPollMs: number;
  readonly indexCheckMs: number;
  readonly controlPollMs: number;
  readonly ackWriteBack: boolean;
  readonly ackExpectedWithinHours: number;
  readonly ackMaxFileBytes: number;
  /** Base URL of an OTLP/HTTP collector; tracing is off when unset. */
  readonly otlpEndpoint: string | undefined;
};

/** Every variable claimflow reads, in documentation order (README and .env.example follow it). */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape) as (keyof typeof envSchema.shape)[];

/** Empty strings mean "unset" so `EDI_X=` in an env file falls back to the default. */
function present(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of CONFIG_VARIABLES) {
    const v = env[key];
    if (v !== undefined && v !== "") out[key] = v;
  }
  return out;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const r = envSchema.safeParse(present(env));
  if (!r.success) {
    const issues: InputIssue[] = r.error.issues.map((i) => ({
      path: i.path.map(String).join(".") || "(env)",
      message: i.code === "invalid_value" ? `must be one of ${i.values.join(", ")}` : i.message,
    }));
    throw new ConfigError(issues);
  }
  const e = r.data;
  const cfg: Config = {
    mongoUri: e.EDI_MONGODB_URI,
    databaseName: e.EDI_DATABASE_NAME,
    outputDir: e.EDI_OUTPUT_DIR,
    logLevel: e.EDI_LOG_LEVEL,
    maxPoolSize: e.EDI_MAX_POOL_SIZE,
    batchSize: e.EDI_BATCH_SIZE,
    windowMs: e.EDI_WINDOW_MS,
    maxInFlight: e.EDI_MAX_IN_FLIGHT,
    timeoutMs: e.EDI_TIMEOUT_MS,
    checkpointIntervalMs: e.EDI_CHECKPOINT_INTERVAL_MS,
    metricsPort: e.EDI_METRICS_PORT,
    streamName: e.EDI_STREAM_NAME,
    markBilled: e.EDI_MARK_BILLED,
    onTokenLost: e.EDI_ON_TOKEN_LOST,
    shutdownTimeoutMs: e.EDI_SHUTDOWN_TIMEOUT_MS,
    groupFilter: e.EDI_GROUP_FILTER,
    contentKeys: new ContentKeyring(e.EDI_CONTENT_KEY, e.EDI_CONTENT_KEY_PREVIOUS ?? []),
    contentRetentionDays: e.EDI_CONTENT_RETENTION_DAYS,
    auditRetentionDays: e.EDI_AUDIT_RETENTION_DAYS,
    ackDir: e.EDI_ACK_DIR,
    ackPollMs: e.EDI_ACK_POLL_SECONDS * 1000,
    indexCheckMs: e.EDI_INDEX_CHECK_SECONDS * 1000,
    controlPollMs: e.EDI_CONTROL_POLL_SECONDS * 1000,
    ackWriteBack: e.EDI_ACK_WRITEBACK,
    ackExpectedWithinHours: e.EDI_ACK_EXPECTED_WITHIN_HOURS,
    ackMaxFileBytes: e.EDI_ACK_MAX_FILE_MB * 1024 * 1024,
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
  };
  if (cfg.batchSize > cfg.maxInFlight) {
    throw new ConfigError([
      { path: "EDI_BATCH_SIZE", message: `must not exceed EDI_MAX_IN_FLIGHT (${cfg.maxInFlight})` },
    ]);
  }
  return cfg;
}

/** `claimflow run` without EDI_MONGODB_URI: one line saying what to set (exit 2). */
export const MISSING_URI_MESSAGE =
  "EDI_MONGODB_URI is not set: set it to the replica set's URI " +
  "(mongodb://host1,host2/?replicaSet=rs0); `claimflow demo` runs the embedded demo instead";

/** URI options that carry a credential (names compared case-insensitively, as the driver does). */
const SECRET_OPTION = /password|secret|token|credential|authmechanismproperties/i;

/**
 * The URI for logs, errors and `status`, parsed with the driver's own parser
 * (mongodb-connection-string-url): the password and every credential-bearing option
 * (authMechanismProperties such as AWS_SESSION_TOKEN, tlsCertificateKeyFilePassword,
 * proxyPassword, …) become `***`. A URI the parser cannot read, or one whose host list or
 * database part holds `@` or `/` (an unescaped password split in the wrong place), shows no
 * more than its scheme: guessing where the secret ends is how it leaks.
 */
export function maskUri(uri: string | undefined): string {
  if (!uri) return "(not set)";
  const scheme = /^mongodb\+srv:/i.test(uri) ? "mongodb+srv://" : "mongodb://";
  const hidden = `${scheme}(unparseable URI hidden)`;
  let cs: ConnectionString;
  try {
    cs = new ConnectionString(uri);
  } catch {
    return hidden;
  }
  if (cs.hosts.some((h) => !/^[A-Za-z0-9.\-_[\]:%]+$/.test(h))) return hidden;
  const db = cs.pathname.replace(/^\//, "");
  if (db.includes("/") || db.includes("@")) return hidden;
  const user = cs.username ? `${cs.username}${cs.password ? ":***" : ""}@` : cs.password ? "***@" : "";
  const params = [...cs.searchParams.entries()].map(
    ([k, v]) => `${k}=${SECRET_OPTION.test(k) ? "***" : encodeURIComponent(v)}`,
  );
  return `${scheme}${user}${cs.hosts.join(",")}/${db}${params.length > 0 ? `?${params.join("&")}` : ""}`;
}

/** Said instead of a driver message about a URI that maskUri cannot show safely. */
export const UNREADABLE_URI_HINT =
  "EDI_MONGODB_URI cannot be read as written (its text is not shown: it may hold a password); " +
  "percent-encode @ as %40, / as %2F and : as %3A in the user name and password";

/**
 * A driver or network message about connecting with `uri`, safe to print. The driver quotes
 * parts of a URI it misread: with an unescaped `@` or `/` in the password, part of the password
 * becomes a host name and comes back in `getaddrinfo ENOTFOUND <part>`. So for a URI maskUri
 * hides, the message is replaced as a whole; for one it can read, every credential it holds
 * (password, secret options, raw and percent-decoded, any case: DNS lower-cases) becomes `***`.
 */
export function scrubUriMessage(message: string, uri: string | undefined): string {
  if (!uri) return message;
  if (maskUri(uri).endsWith("(unparseable URI hidden)")) return UNREADABLE_URI_HINT;
  const cs = new ConnectionString(uri);
  const secrets = new Set<string>();
  const add = (v: string | null | undefined) => {
    if (!v) return;
    secrets.add(v);
    try {
      secrets.add(decodeURIComponent(v));
    } catch {
      // not percent-encoded: the raw form is enough
    }
  };
  add(cs.password);
  for (const [k, v] of cs.searchParams.entries()) {
    if (!SECRET_OPTION.test(k)) continue;
    add(v);
    for (const pair of v.split(",")) add(pair.slice(pair.indexOf(":") + 1));
  }
  let out = message;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length === 0) continue;
    out = out.replace(new RegExp(secret.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "gi"), "***");
  }
  return out;
}
