// The effective configuration as operators may see it: every variable claimflow reads, its value
// after defaults, with secrets masked (the MongoDB URI's password and credential options, content
// keys shown by key id only, credentials in the OTLP URL). `config check` prints it and
// `run --help` lists the defaults. The Record type makes a new variable in config.ts fail to
// compile here until it is shown (or deliberately masked).
import { CONFIG_VARIABLES, type Config, maskUri } from "../config.js";

type Variable = (typeof CONFIG_VARIABLES)[number];

const SHOW: Record<Variable, (c: Config) => string> = {
  EDI_MONGODB_URI: (c) => maskUri(c.mongoUri),
  EDI_DATABASE_NAME: (c) => c.databaseName,
  EDI_OUTPUT_DIR: (c) => c.outputDir,
  EDI_LOG_LEVEL: (c) => c.logLevel,
  EDI_MAX_POOL_SIZE: (c) => String(c.maxPoolSize),
  EDI_BATCH_SIZE: (c) => String(c.batchSize),
  EDI_WINDOW_MS: (c) => String(c.windowMs),
  EDI_MAX_IN_FLIGHT: (c) => String(c.maxInFlight),
  EDI_TIMEOUT_MS: (c) => String(c.timeoutMs),
  EDI_CHECKPOINT_INTERVAL_MS: (c) => String(c.checkpointIntervalMs),
  EDI_METRICS_PORT: (c) => String(c.metricsPort),
  EDI_STREAM_NAME: (c) => c.streamName,
  EDI_MARK_BILLED: (c) => String(c.markBilled),
  EDI_ON_TOKEN_LOST: (c) => c.onTokenLost,
  EDI_SHUTDOWN_TIMEOUT_MS: (c) => String(c.shutdownTimeoutMs),
  EDI_GROUP_FILTER: (c) => c.groupFilter ?? "(not set: every group)",
  EDI_CONTENT_KEY: (c) =>
    c.contentKeys.current
      ? `*** (key id ${c.contentKeys.current.id})`
      : "(not set: content stored unencrypted)",
  EDI_CONTENT_KEY_PREVIOUS: (c) =>
    c.contentKeys.previous.length > 0
      ? `*** (key ids ${c.contentKeys.previous.map((k) => k.id).join(", ")})`
      : "(not set)",
  EDI_CONTENT_RETENTION_DAYS: (c) => String(c.contentRetentionDays),
  EDI_AUDIT_RETENTION_DAYS: (c) => String(c.auditRetentionDays),
  EDI_ACK_DIR: (c) => c.ackDir ?? "(not set: acknowledgements not watched)",
  EDI_ACK_POLL_SECONDS: (c) => String(c.ackPollMs / 1000),
  EDI_INDEX_CHECK_SECONDS: (c) => String(c.indexCheckMs / 1000),
  EDI_CONTROL_POLL_SECONDS: (c) => String(c.controlPollMs / 1000),
  EDI_ACK_WRITEBACK: (c) => String(c.ackWriteBack),
  EDI_ACK_EXPECTED_WITHIN_HOURS: (c) => String(c.ackExpectedWithinHours),
  EDI_ACK_MAX_FILE_MB: (c) => String(c.ackMaxFileBytes / (1024 * 1024)),
  OTEL_EXPORTER_OTLP_ENDPOINT: (c) => (c.otlpEndpoint ? maskUrl(c.otlpEndpoint) : "(not set: tracing off)"),
};

export type ValueSource = "environment" | ".env" | "default";

export interface ConfigEntry {
  readonly variable: Variable;
  readonly value: string;
  readonly source: ValueSource;
}

/** One entry per variable, in documentation order. `fromDotEnv`: names the .env file supplied. */
export function describeConfig(
  config: Config,
  env: NodeJS.ProcessEnv,
  fromDotEnv: ReadonlySet<string> = new Set(),
): ConfigEntry[] {
  return CONFIG_VARIABLES.map((variable) => {
    const raw = env[variable];
    const source: ValueSource =
      raw === undefined || raw === "" ? "default" : fromDotEnv.has(variable) ? ".env" : "environment";
    return { variable, value: SHOW[variable](config), source };
  });
}

/** A URL with any user:password removed. */
function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = "***";
      u.password = "";
    }
    return u.toString();
  } catch {
    return "(unparseable URL hidden)";
  }
}
