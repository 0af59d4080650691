// FileSink on the local file system: temp file (mode 0640, whatever the umask), fsync, rename,
// fsync of the directory. A reader (or an SFTP pickup job) never sees a partial file, and a
// crash leaves either the old state or the whole new file.
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname, resolve, sep } from "node:path";
import { ClaimflowError } from "../domain/errors.js";
import type { FileSink } from "../ports/file-sink.js";

export const FILE_MODE = 0o640;
export const DIR_MODE = 0o750;

export class UnsafeOutputPathError extends ClaimflowError {
  readonly code = "UNSAFE_OUTPUT_PATH";
  constructor(readonly relativePath: string) {
    super(`refusing to write outside the output directory: ${relativePath}`);
  }
}

export class FsFileSink implements FileSink {
  private readonly root: string;

  constructor(outputDir: string) {
    this.root = resolve(outputDir);
  }

  private resolveSafe(relativePath: string): string {
    const full = resolve(this.root, relativePath);
    if (!full.startsWith(this.root + sep)) throw new UnsafeOutputPathError(relativePath);
    return full;
  }

  async write(relativePath: string, content: string): Promise<void> {
    const full = this.resolveSafe(relativePath);
    const dir = dirname(full);
    await this.ensureDir(dir);
    const tmp = `${full}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    const fh = await open(tmp, "wx", FILE_MODE);
    try {
      // The umask may have removed bits from FILE_MODE at open; set exactly 0640.
      await fh.chmod(FILE_MODE);
      await fh.writeFile(content, "utf8");
      await fh.sync();
    } catch (err) {
      await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw err;
    }
    await fh.close();
    await rename(tmp, full);
    await syncDir(dir);
  }

  async read(relativePath: string): Promise<string | null> {
    try {
      return await readFile(this.resolveSafe(relativePath), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
  }

  private readonly knownDirs = new Set<string>();

  private async ensureDir(dir: string): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    const created = await mkdir(dir, { recursive: true, mode: DIR_MODE });
    if (created !== undefined) {
      // mkdir -p applies the umask; directories we create are exactly 0750 (the root included).
      let d = dir;
      while (d.length >= created.length) {
        await chmod(d, DIR_MODE);
        const parent = dirname(d);
        if (parent === d) break;
        d = parent;
      }
      // The new directory's entry must be durable in its parent too.
      await syncDir(dirname(created));
    }
    this.knownDirs.add(dir);
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
