// The real binary, without a database: help on every command, argument validation (exit 2, one
// line, no stack trace) before any connection is tried, configuration errors, and `validate`.
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBuilt, expectUsageError, ROOT } from "./cli-harness.js";

const GOLDEN = join(ROOT, "test/fixtures/golden");
/** A URI nobody listens on: argument errors must be reported before any connection attempt. */
const DEAD_URI = {
  EDI_MONGODB_URI: "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=2000",
  EDI_TIMEOUT_MS: "2000",
};

beforeAll(async () => {
  await ensureBuilt();
}, 180_000);

describe("claimflow --help", () => {
  const commands = [
    [],
    ["run"],
    ["token"],
    ["token", "show"],
    ["token", "reset"],
    ["status"],
    ["indexes"],
    ["indexes", "ensure"],
    ["dead-letters"],
    ["dead-letters", "list"],
    ["dead-letters", "show"],
    ["dead-letters", "retry"],
    ["dead-letters", "purge"],
    ["batches"],
    ["batches", "replay"],
    ["validate"],
    ["seed"],
    ["audit"],
    ["audit", "list"],
  ];

  it("prints usage and exits 0 for every command", async () => {
    const results = await Promise.all(commands.map((c) => cli([...c, "--help"])));
    results.forEach((r, i) => {
      const name = ["claimflow", ...(commands[i] ?? [])].join(" ");
      expect(r.code, name).toBe(0);
      expect(r.stdout, name).toContain(`Usage: ${name}`);
      expect(r.stderr, name).toBe("");
    });
  });
});

describe("argument validation", () => {
  const cases: [string, string[], RegExp][] = [
    ["an unknown command", ["frobnicate"], /unknown command 'frobnicate'/],
    ["an unknown subcommand", ["dead-letters", "lst"], /unknown command 'lst'/],
    ["an unknown option", ["status", "--bogus"], /unknown option '--bogus'/],
    ["an invalid stream name", ["token", "show", "--stream", "no spaces!"], /--stream must be 1-100/],
    [
      "token reset without a target",
      ["token", "reset", "--yes"],
      /exactly one of --now, --at <ISO time>, --clear/,
    ],
    ["token reset with two targets", ["token", "reset", "--now", "--clear"], /exactly one of/],
    [
      "a local time without an offset",
      ["token", "reset", "--at", "2025-03-01T12:00:00"],
      /--at must be an ISO-8601/,
    ],
    ["an impossible date", ["token", "reset", "--at", "2025-02-30"], /--at must be an ISO-8601/],
    ["a lower-case claim number", ["dead-letters", "show", "clm-1"], /<claim> must be 1-50 characters/],
    ["a claim number with an operator", ["dead-letters", "retry", '{"$gt":""}'], /<claim> must be/],
    [
      "a zero limit",
      ["dead-letters", "list", "--limit", "0"],
      /--limit must be a whole number from 1 to 10000/,
    ],
    ["a fractional limit", ["dead-letters", "list", "--limit", "2.5"], /--limit must be a whole number/],
    [
      "an unknown reason",
      ["dead-letters", "list", "--reason", "oops"],
      /--reason must be one of invalid_claim/,
    ],
    ["purge without --before", ["dead-letters", "purge"], /required option '--before <time>'/],
    [
      "a purge date that is not a date",
      ["dead-letters", "purge", "--before", "last week"],
      /--before must be/,
    ],
    ["a batch id with a path", ["batches", "replay", "../../etc/passwd"], /<batch_id> must be 1-64/],
    ["seed without --claims", ["seed"], /required option '--claims <n>'/],
    [
      "a negative claim count",
      ["seed", "--claims", "-5"],
      /--claims must be a whole number from 1 to 1000000/,
    ],
    ["too many groups", ["seed", "--claims", "5", "--groups", "5000"], /--groups must be a whole number/],
    ["a lower-case seed prefix", ["seed", "--claims", "5", "--prefix", "demo"], /--prefix must be 1-24/],
    ["audit list without --since", ["audit", "list"], /required option '--since <time>'/],
    [
      "an audit action that is not snake_case",
      ["audit", "list", "--since", "2025-01-01", "--action", "Drop"],
      /--action/,
    ],
    [
      "a non-http metrics URL",
      ["status", "--metrics-url", "file:///etc/passwd"],
      /--metrics-url must be an http/,
    ],
    ["validate without files", ["validate"], /missing required argument 'file'/],
  ];

  // Concurrent: each case is one short-lived process, and nothing here shares state.
  it.concurrent.each(cases)("rejects %s with exit 2 and one line", async (_name, args, pattern) => {
    const r = await cli(args, DEAD_URI);
    expectUsageError(r, pattern);
    if (r.stdout !== "") throw new Error(`unexpected stdout: ${r.stdout}`);
  });

  it("never echoes a rejected value back", async () => {
    const r = await cli(["dead-letters", "show", "SECRET value 123-45-6789"], DEAD_URI);
    expectUsageError(r, /<claim>/);
    expect(r.stderr).not.toContain("6789");
  });
});

describe("configuration", () => {
  it("refuses an operator command without EDI_MONGODB_URI in one line, exit 2", async () => {
    const r = await cli(["token", "show"], { EDI_MONGODB_URI: undefined });
    expectUsageError(r, /EDI_MONGODB_URI is not set: operator commands need the processor's database/);
  });

  it("lists every configuration problem at once and exits 2", async () => {
    const r = await cli(["status"], {
      EDI_MONGODB_URI: "http://example.com",
      EDI_BATCH_SIZE: "lots",
      EDI_ON_TOKEN_LOST: "panic",
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("invalid configuration (3 problems)");
    expect(r.stderr).toContain("EDI_MONGODB_URI");
    expect(r.stderr).toContain("EDI_BATCH_SIZE");
    expect(r.stderr).toContain("EDI_ON_TOKEN_LOST");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("reports an unreachable database in one line with the password masked, exit 1", async () => {
    const r = await cli(["status"], {
      EDI_MONGODB_URI: "mongodb://ops:hunter2@127.0.0.1:9/?serverSelectionTimeoutMS=1500",
      EDI_TIMEOUT_MS: "1500",
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("cannot connect to MongoDB at mongodb://ops:***@127.0.0.1:9");
    expect(r.stderr).not.toContain("hunter2");
  });
});

describe("claimflow validate", () => {
  it("accepts valid files and exits 0", async () => {
    const files = ["simple.837", "pharmacy-ndc.837", "batch-100.837"].map((f) => join(GOLDEN, f));
    const r = await cli(["validate", ...files]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/simple\.837: valid \(1 interchange\(s\), \d+ claim\(s\), ISA13 \d{9}\)/);
    expect(r.stdout).toContain("batch-100.837: valid (1 interchange(s), 100 claim(s)");
    expect(r.stdout).toContain("3 valid, 0 invalid");
  });

  it("prints every violation with its segment position and exits 1", async () => {
    const dir = await mkdtemp(join(tmpdir(), "claimflow-validate-"));
    const good = await readFile(join(GOLDEN, "simple.837"), "utf8");
    // Break two rules: the SE segment count and the GE control number.
    const broken = good
      .replace(/SE\*(\d+)\*/, (_m, n: string) => `SE*${Number(n) + 3}*`)
      .replace(/GE\*1\*1~/, "GE*1*7~");
    expect(broken).not.toBe(good);
    const path = join(dir, "broken.837");
    await writeFile(path, broken);
    const r = await cli(["validate", path, join(GOLDEN, "simple.837")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/broken\.837: \d+ violation\(s\)/);
    expect(r.stdout).toMatch(/ {2}segment \d+ \(SE\): SE01 must be \d+/);
    expect(r.stdout).toMatch(/ {2}segment \d+ \(GE\): GE02 must equal GS06/);
    expect(r.stdout).toContain("1 valid, 1 invalid");

    const json = await cli(["validate", "--json", path]);
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout) as {
      path: string;
      ok: boolean;
      violations: { segment: number }[];
    }[];
    expect(parsed[0]?.ok).toBe(false);
    expect(parsed[0]?.violations.every((v) => Number.isInteger(v.segment) && v.segment > 0)).toBe(true);
  });

  it("exits 2 naming an unreadable path, before judging any file", async () => {
    const r = await cli(["validate", join(GOLDEN, "simple.837"), "/no/such/file.837"]);
    expectUsageError(r, /cannot read \/no\/such\/file\.837: no such file/);
    expect(r.stdout).toBe("");
    const dir = await cli(["validate", GOLDEN]);
    expectUsageError(dir, /is a directory/);
  });
});
