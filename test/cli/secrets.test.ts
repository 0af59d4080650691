// The real binary never prints a secret: not the MongoDB password or credential options of
// EDI_MONGODB_URI (connection errors), not EDI_CONTENT_KEY / EDI_CONTENT_KEY_PREVIOUS values
// (help, configuration errors, operator errors).
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { type CliResult, cli, ensureBuilt } from "./cli-harness.js";

beforeAll(async () => {
  await ensureBuilt();
}, 180_000);

const MARK = "S3cr3tMarker";

function expectNoSecret(r: CliResult, secrets: readonly string[]): void {
  for (const s of secrets) {
    expect(r.stdout).not.toContain(s);
    expect(r.stderr).not.toContain(s);
  }
}

describe("EDI_MONGODB_URI credentials", () => {
  const uris = [
    `mongodb://app:p@ss/${MARK}@127.0.0.1:9/claims?serverSelectionTimeoutMS=1000`,
    `mongodb://app:a%2F${MARK}%40b@127.0.0.1:9/claims?serverSelectionTimeoutMS=1000`,
    `mongodb://app:pw@127.0.0.1:9/?serverSelectionTimeoutMS=1000&authMechanism=SCRAM-SHA-256&proxyHost=127.0.0.1&proxyPassword=${MARK}&proxyUsername=u`,
    `mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=1000&authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:${MARK}`,
    `mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=1000&tls=true&tlsCertificateKeyFilePassword=${MARK}`,
    // An unescaped `@` then `/` in the password: the driver reads part of it as a host name and
    // used to print it back in `getaddrinfo ENOTFOUND s3cr3tmarker` (lower-cased by DNS).
    `mongodb://app:pw@${MARK}/x@127.0.0.1:9/claims?serverSelectionTimeoutMS=1000`,
    `mongodb://app:pw@${MARK}:27017/x@127.0.0.1:9/?serverSelectionTimeoutMS=1000`,
  ];
  it.each(uris)("a failed connection does not print the secret of %s", async (uri) => {
    const r = await cli(["status"], { EDI_MONGODB_URI: uri, EDI_TIMEOUT_MS: "1000" });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/claimflow: /);
    expectNoSecret(r, [MARK, MARK.toLowerCase()]);
  });

  // `run` fails while connecting too, before any logger scrubbing: its stderr line is the CLI's.
  it.each(uris.slice(-2))("claimflow run does not print the secret of %s either", async (uri) => {
    const r = await cli(["run"], {
      EDI_MONGODB_URI: uri,
      EDI_TIMEOUT_MS: "1000",
      EDI_METRICS_PORT: "0",
      EDI_OUTPUT_DIR: `/tmp/claimflow-secrets-${process.pid}`,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/claimflow: MongoDB error: EDI_MONGODB_URI cannot be read as written/);
    expectNoSecret(r, [MARK, MARK.toLowerCase()]);
  });
});

describe("EDI_CONTENT_KEY", () => {
  const key = randomBytes(32).toString("base64");
  const previous = randomBytes(32).toString("base64");
  const badKey = `${MARK}${randomBytes(8).toString("hex")}`;

  it("is not shown by --help", async () => {
    const env = { EDI_CONTENT_KEY: key, EDI_CONTENT_KEY_PREVIOUS: previous };
    for (const args of [["--help"], ["run", "--help"], ["keys", "--help"], ["status", "--help"]]) {
      const r = await cli(args, env);
      expect(r.code, args.join(" ")).toBe(0);
      expectNoSecret(r, [key, previous]);
    }
  });

  it("is not echoed by a configuration error", async () => {
    const r = await cli(["status"], {
      EDI_MONGODB_URI: "mongodb://127.0.0.1:9/",
      EDI_CONTENT_KEY: badKey,
      EDI_CONTENT_KEY_PREVIOUS: `${previous},${badKey}`,
      EDI_BATCH_SIZE: "nope",
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/EDI_CONTENT_KEY/);
    expectNoSecret(r, [badKey, previous, MARK]);
  });

  it("is not echoed by an operator error", async () => {
    const r = await cli(["keys", "rotate"], {
      EDI_MONGODB_URI: "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=1000",
      EDI_TIMEOUT_MS: "1000",
      EDI_CONTENT_KEY: key,
      EDI_CONTENT_KEY_PREVIOUS: previous,
    });
    expect(r.code).not.toBe(0);
    expectNoSecret(r, [key, previous]);
  });
});
