// The file-system sink: never replaces a different file, never writes through a symlink below
// the output directory, leaves no temp file (PHI) behind a failure, and removes those a killed
// process left at start.
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileConflictError } from "../../src/ports/file-sink.js";
import { FsFileSink, UnsafeOutputPathError } from "../../src/sink/fs-file-sink.js";

let root: string;
let outside: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "cf-sink-"));
  outside = await mkdtemp(join(tmpdir(), "cf-outside-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) out.push(join(e.parentPath, e.name));
  return out;
}

describe("FsFileSink", () => {
  it("never replaces a file with different content; the same content again is fine", async () => {
    const sink = new FsFileSink(root);
    const path = "G/20250101/C-ZZ_S-000000001.837";
    await sink.write(path, "ISA*first~");
    await sink.write(path, "ISA*first~");
    await expect(sink.write(path, "ISA*second~")).rejects.toBeInstanceOf(FileConflictError);
    expect(await readFile(join(root, path), "utf8")).toBe("ISA*first~");
    // No temp file (it holds PHI) survives the refused write.
    expect((await allFiles(root)).map((f) => f.slice(root.length))).toEqual([`/${path}`]);
  });

  it("recreates a directory deleted while running (its creation is cached) and writes", async () => {
    const sink = new FsFileSink(root);
    await sink.write("G/20250101/C-ZZ_S-000000001.837", "ISA*1~");
    // An operator removes the date directory, then the whole output directory.
    await rm(join(root, "G", "20250101"), { recursive: true });
    await sink.write("G/20250101/C-ZZ_S-000000002.837", "ISA*2~");
    expect(await readFile(join(root, "G/20250101/C-ZZ_S-000000002.837"), "utf8")).toBe("ISA*2~");
    await rm(root, { recursive: true });
    expect(
      await sink.writeMany([
        { path: "G/20250101/C-ZZ_S-000000003.837", content: "ISA*3~" },
        { path: "G/20250101/C-ZZ_S-000000004.837", content: "ISA*4~" },
      ]),
    ).toEqual([undefined, undefined]);
    expect(await readFile(join(root, "G/20250101/C-ZZ_S-000000004.837"), "utf8")).toBe("ISA*4~");
  });

  it("refuses to write through a symlinked directory inside the output directory", async () => {
    const sink = new FsFileSink(root);
    await mkdir(join(root, "G"), { recursive: true });
    await symlink(outside, join(root, "G", "20250101"));
    await expect(sink.write("G/20250101/C-1.837", "ISA~")).rejects.toBeInstanceOf(UnsafeOutputPathError);
    expect(await readdir(outside)).toEqual([]);
  });

  it("does not replace a symlink at the final name", async () => {
    const sink = new FsFileSink(root);
    await mkdir(join(root, "G/20250101"), { recursive: true });
    await writeFile(join(outside, "target"), "keep");
    await symlink(join(outside, "target"), join(root, "G/20250101/C-1.837"));
    await expect(sink.write("G/20250101/C-1.837", "ISA~")).rejects.toBeInstanceOf(FileConflictError);
    expect(await readFile(join(outside, "target"), "utf8")).toBe("keep");
  });

  it("removes temp files left by a killed process, and nothing else", async () => {
    const sink = new FsFileSink(root);
    await sink.write("G/20250101/C-1.837", "ISA~");
    const dir = join(root, "G/20250101");
    // pid 2^22+1 is above Linux's pid_max: no such process.
    const dead = join(dir, "C-2.837.4194305.0a1b2c3d.tmp");
    const old = join(dir, `C-3.837.${process.ppid}.0a1b2c3e.tmp`);
    const fresh = join(dir, `C-4.837.${process.ppid}.0a1b2c3f.tmp`);
    const other = join(dir, "notes.tmp");
    for (const f of [dead, old, fresh, other]) await writeFile(f, "x");
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(old, hourAgo, hourAgo);
    expect(await sink.removeStaleTemps()).toBe(2);
    const left = (await readdir(dir)).sort();
    expect(left).toEqual(["C-1.837", `C-4.837.${process.ppid}.0a1b2c3f.tmp`, "notes.tmp"].sort());
  });
});
