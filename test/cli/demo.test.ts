// The demo only when asked (issue 15 item 1), on the real binary: `run` never falls back to an
// embedded database and never loads mongodb-memory-server (a devDependency); `claimflow demo`
// runs the embedded replica set, refuses an output directory it did not write, and stops with
// exit 0 on SIGTERM, during start-up too; SIGTERM to `npm start` reaches the processor.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolateWinePrefix } from "../support/mongo.js";
import { waitFor } from "../support/wait-for.js";
import { cli, ensureBuilt, expectUsageError, ROOT } from "./cli-harness.js";

const FORBID = join(ROOT, "test/support/forbid-memory-server.mjs");
const HAVE_MONGOD = Boolean(process.env.MONGOMS_SYSTEM_BINARY);
let cleanupWine: (() => void) | undefined;
const dirs: string[] = [];

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "claimflow-demo-"));
  dirs.push(d);
  return d;
}

beforeAll(async () => {
  await ensureBuilt();
  cleanupWine = isolateWinePrefix();
}, 180_000);

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  cleanupWine?.();
});

describe("claimflow run", () => {
  it("without EDI_MONGODB_URI exits 2 with one line saying what to set, and starts nothing", async () => {
    const out = await tempDir();
    const r = await cli(["run"], { EDI_MONGODB_URI: undefined, EDI_OUTPUT_DIR: out });
    expectUsageError(r, /EDI_MONGODB_URI is not set: set it to .*claimflow demo/);
    expect(r.stdout).toBe("");
    expect(await readdir(out)).toEqual([]);
  });

  it("the default command (no arguments) is run, with the same refusal", async () => {
    const r = await cli([], { EDI_MONGODB_URI: undefined });
    expectUsageError(r, /EDI_MONGODB_URI is not set/);
  });

  it("never imports mongodb-memory-server (demo does, which proves the guard works)", async () => {
    const env = {
      NODE_OPTIONS: `--import=${FORBID}`,
      EDI_MONGODB_URI: "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=1000",
      EDI_TIMEOUT_MS: "1000",
      EDI_METRICS_PORT: "0",
      EDI_OUTPUT_DIR: await tempDir(),
    };
    const run = await cli(["run"], env);
    expect(run.code).toBe(1);
    expect(`${run.stdout}${run.stderr}`).not.toContain("FORBIDDEN");
    expect(`${run.stdout}${run.stderr}`).toMatch(/ECONNREFUSED|Server selection|connect/i);

    const demo = await cli(["demo"], { ...env, EDI_OUTPUT_DIR: await tempDir() });
    expect(demo.code).toBe(1);
    expect(demo.stderr).toContain("FORBIDDEN: mongodb-memory-server imported");
  });
});

describe("claimflow demo: output directory", () => {
  it("refuses a directory holding files it did not write (exit 2, one line), and writes nothing", async () => {
    const out = await tempDir();
    await writeFile(join(out, "REAL-PAYER-FILE.837"), "ISA*...");
    const r = await cli(["demo"], { EDI_OUTPUT_DIR: out, EDI_METRICS_PORT: "0" });
    expectUsageError(r, /EDI_OUTPUT_DIR .* already holds files the demo did not write/);
    expect(await readdir(out)).toEqual(["REAL-PAYER-FILE.837"]);
  });
});

interface Running {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly exit: Promise<number | null>;
}

function start(command: string, args: string[], env: Record<string, string | undefined>): Running {
  const childEnv: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("EDI_")) childEnv[k] = v;
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
  const child = spawn(command, args, { cwd: ROOT, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let buf = "";
  const onData = (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split("\n");
    buf = parts.pop() ?? "";
    lines.push(...parts);
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, lines, exit };
}

const hasLine = (r: Running, msg: string) => r.lines.some((l) => l.includes(`"msg":"${msg}`));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!HAVE_MONGOD)("claimflow demo: embedded replica set", () => {
  it("seeds, writes 837 files and the marker, and stops with exit 0 on SIGTERM", async () => {
    const out = await tempDir();
    const r = start(process.execPath, [join(ROOT, "bin/claimflow.js"), "demo"], {
      EDI_OUTPUT_DIR: out,
      EDI_METRICS_PORT: "0",
      EDI_WINDOW_MS: "200",
    });
    await waitFor(
      "demo 837 files",
      async () => (await readdir(out, { recursive: true })).some((f) => f.endsWith(".837")),
      150_000,
    );
    expect(await readdir(out)).toContain(".claimflow-demo");
    expect(hasLine(r, "demo data seeded")).toBe(true);
    r.child.kill("SIGTERM");
    expect(await r.exit).toBe(0);
    expect(hasLine(r, "stopped")).toBe(true);

    // Its own directory (marked) is accepted again.
    const again = await cli(["demo"], { EDI_OUTPUT_DIR: out, EDI_LOG_LEVEL: "bogus" });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/EDI_LOG_LEVEL/);
  }, 240_000);

  it("SIGTERM during start-up exits 0 and leaves no processor behind", async () => {
    const r = start(process.execPath, [join(ROOT, "bin/claimflow.js"), "demo"], {
      EDI_OUTPUT_DIR: await tempDir(),
      EDI_METRICS_PORT: "0",
    });
    await waitFor(
      "demo start-up line",
      async () => r.lines.some((l) => l.includes("starting an embedded replica set")),
      60_000,
    );
    r.child.kill("SIGTERM");
    expect(await r.exit).toBe(0);
    expect(hasLine(r, "serving /metrics, /healthz, /readyz")).toBe(false);
  }, 240_000);

  it("SIGTERM to `npm start` reaches the processor: both exit, nothing is orphaned", async () => {
    const out = await tempDir();
    const r = start("npm", ["start", "--silent"], { EDI_OUTPUT_DIR: out, EDI_METRICS_PORT: "0" });
    await waitFor(
      "npm start serving",
      async () => hasLine(r, "serving /metrics, /healthz, /readyz"),
      200_000,
    );
    const line = r.lines.find((l) => l.includes('"msg":"serving'));
    const pid = (JSON.parse(line ?? "{}") as { pid?: number }).pid;
    expect(typeof pid).toBe("number");
    expect(pid).not.toBe(r.child.pid);
    try {
      r.child.kill("SIGTERM");
      await r.exit;
      await waitFor("processor exit", async () => !alive(pid as number), 60_000);
    } finally {
      // Never leave an orphaned processor (and its mongod) behind when the assertion fails.
      if (typeof pid === "number" && alive(pid)) process.kill(pid, "SIGTERM");
    }
    expect(hasLine(r, "stopped")).toBe(true);
  }, 300_000);
});
