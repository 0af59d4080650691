// Operator comforts through the real binary, no database needed: `--version`, `.env` loaded
// from the working directory (the environment wins), `config check` (effective values with
// secrets masked, every problem and exit 2), `run --help` listing every variable.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_VARIABLES } from "../../src/config.js";
import { cli, ensureBuilt, ROOT } from "./cli-harness.js";

let dir: string;

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), "claimflow-config-"));
}, 180_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Checked {
  valid: boolean;
  variables: { variable: string; value: string; source: string }[];
}
const entry = (c: Checked, name: string) => c.variables.find((v) => v.variable === name);

describe("claimflow --version", () => {
  it("prints package.json's version", async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string };
    for (const flag of ["--version", "-V"]) {
      const r = await cli([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${pkg.version}\n`);
    }
  });
});

describe("config check", () => {
  it("prints every variable with its effective value and source, secrets masked", async () => {
    const password = `pw${randomBytes(6).toString("hex")}`;
    const key = randomBytes(32).toString("base64");
    const r = await cli(["config", "check", "--json"], {
      EDI_MONGODB_URI: `mongodb://app:${password}@db1:27017/?replicaSet=rs0`,
      EDI_CONTENT_KEY: key,
      EDI_BATCH_SIZE: "200",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://user:${password}@otel:4318`,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain(password);
    expect(r.stdout).not.toContain(key);
    const c = JSON.parse(r.stdout) as Checked;
    expect(c.valid).toBe(true);
    expect(c.variables.map((v) => v.variable)).toEqual(CONFIG_VARIABLES);
    expect(entry(c, "EDI_MONGODB_URI")).toEqual({
      variable: "EDI_MONGODB_URI",
      value: "mongodb://app:***@db1:27017/?replicaSet=rs0",
      source: "environment",
    });
    expect(entry(c, "EDI_BATCH_SIZE")).toMatchObject({ value: "200", source: "environment" });
    expect(entry(c, "EDI_WINDOW_MS")).toMatchObject({ value: "5000", source: "default" });
    expect(entry(c, "EDI_CONTENT_KEY")?.value).toMatch(/^\*\*\* \(key id \S+\)$/);
    expect(entry(c, "OTEL_EXPORTER_OTLP_ENDPOINT")?.value).toBe("http://***@otel:4318/");
    const text = await cli(["config", "check"], { EDI_MONGODB_URI: "mongodb://db1/?replicaSet=rs0" });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^EDI_BATCH_SIZE\s+500\s+default$/m);
    expect(text.stdout).toMatch(/configuration valid\n$/);
  });

  it("lists every problem at once and exits 2", async () => {
    const r = await cli(["config", "check"], {
      EDI_MONGODB_URI: "mongodb://db1/?replicaSet=rs0",
      EDI_BATCH_SIZE: "0",
      EDI_LOG_LEVEL: "loud",
    });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/invalid configuration \(2 problems\)/);
    expect(r.stderr).toMatch(/EDI_BATCH_SIZE/);
    expect(r.stderr).toMatch(/EDI_LOG_LEVEL: must be one of/);
    const noUri = await cli(["config", "check"], {});
    expect(noUri.code).toBe(2);
    expect(noUri.stderr).toMatch(/EDI_MONGODB_URI: is not set/);
  });

  it("reads ./.env when present; the environment wins over it", async () => {
    await writeFile(
      join(dir, ".env"),
      "# a comment\nEDI_MONGODB_URI=mongodb://fromfile/?replicaSet=rs0\nEDI_WINDOW_MS=750\nEDI_BATCH_SIZE=10\n",
    );
    const r = await cli(["config", "check", "--json"], { EDI_BATCH_SIZE: "20" }, { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const c = JSON.parse(r.stdout) as Checked;
    expect(entry(c, "EDI_WINDOW_MS")).toMatchObject({ value: "750", source: ".env" });
    expect(entry(c, "EDI_BATCH_SIZE")).toMatchObject({ value: "20", source: "environment" });
    expect(entry(c, "EDI_MONGODB_URI")).toMatchObject({ source: ".env" });
    // A bad value from .env is reported like any other.
    await writeFile(join(dir, ".env"), "EDI_MONGODB_URI=mongodb://x/?replicaSet=rs0\nEDI_WINDOW_MS=soon\n");
    const bad = await cli(["config", "check"], {}, { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/EDI_WINDOW_MS/);
  });
});

describe("run --help", () => {
  it("lists every environment variable with its default", async () => {
    const r = await cli(["run", "--help"]);
    expect(r.code).toBe(0);
    for (const name of CONFIG_VARIABLES) expect(r.stdout).toMatch(new RegExp(`^  ${name}\\s+default: `, "m"));
    expect(r.stdout).toMatch(/^ {2}EDI_BATCH_SIZE\s+default: 500$/m);
  });
});
