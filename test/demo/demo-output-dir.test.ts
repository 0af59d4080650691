// The demo's output directory: new, empty or marked as the demo's; a marked one is cleared of
// the previous run's files (each run's ledger starts again at control number 1, so they would
// collide with the new run's paths); anything else is refused with exit 2.
import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { claimDemoOutputDir, DEMO_MARKER } from "../../src/demo/demo-output-dir.js";
import { UsageError } from "../../src/domain/errors.js";

const fresh = () => mkdtemp(join(tmpdir(), "demo-out-"));

describe("claimDemoOutputDir", () => {
  it("creates a new directory and marks it", async () => {
    const dir = join(await fresh(), "837_output");
    expect(await claimDemoOutputDir(dir)).toBe(0);
    expect(await readdir(dir)).toEqual([DEMO_MARKER]);
    expect(await readFile(join(dir, DEMO_MARKER), "utf8")).toContain("Never send them to a payer");
  });

  it("clears the previous demo run's files from its own marked directory", async () => {
    const dir = await fresh();
    await claimDemoOutputDir(dir);
    await mkdir(join(dir, "GRP_001", "20261129"), { recursive: true });
    await writeFile(join(dir, "GRP_001", "20261129", "CLIENT001-ZZ_SENDER1-000000001.837"), "ISA*...");
    await mkdir(join(dir, "GRP_002"));
    expect(await claimDemoOutputDir(dir)).toBe(2);
    expect(await readdir(dir)).toEqual([DEMO_MARKER]);
  });

  it("refuses a directory holding files it did not write, and leaves them alone", async () => {
    const dir = await fresh();
    await writeFile(join(dir, "REAL-000000001.837"), "ISA*real");
    const err = await claimDemoOutputDir(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain("already holds files the demo did not write");
    expect(await readdir(dir)).toEqual(["REAL-000000001.837"]);
  });
});
