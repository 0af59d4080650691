// FileSink on the local file system: temp file (mode 0640, whatever the umask), fsync, then a
// hard link to the final name, which never replaces an existing file (rename would), and an
// fsync of the directory. A reader (or an SFTP pickup job) never sees a partial file, a crash
// leaves either the old state or the whole new file, and a path that already holds different
// content is a FileConflictError, the existing file untouched. Directories inside the output
// directory must be real directories: a symlink there is refused, never followed.
import { randomBytes } from "node:crypto";
import type { Dirent } from "node:fs";
import {
  chmod,
  type FileHandle,
  link,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
} from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { ClaimflowError } from "../domain/errors.js";
import { FileConflictError, type FileSink, type FileToWrite } from "../ports/file-sink.js";

export const FILE_MODE = 0o640;
export const DIR_MODE = 0o750;

/** `<final name>.<pid>.<8 hex>.tmp`: the temp files this sink creates, and the only ones it removes. */
const TEMP_NAME = /\.837\.(\d+)\.[0-9a-f]{8}\.tmp$/;
/** A temp file this old is stale even if its pid is alive (pids are reused; other hosts). */
const STALE_AFTER_MS = 10 * 60_000;

export class UnsafeOutputPathError extends ClaimflowError {
  readonly code = "UNSAFE_OUTPUT_PATH";
  constructor(readonly relativePath: string) {
    super(`refusing to write outside the output directory or through a symlink: ${relativePath}`);
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
    await syncDir(await this.writeFile(relativePath, content));
  }

  async writeMany(files: readonly FileToWrite[]): Promise<unknown[]> {
    const out: unknown[] = await Promise.all(
      files.map((f) =>
        this.writeFile(f.path, f.content).then(
          (dir) => dir,
          (err: unknown) => ({ failed: err }),
        ),
      ),
    );
    // One fsync per directory for all the files linked into it (the links' entries are durable
    // together); a file is reported written only after its directory's fsync.
    const dirs = new Map<string, unknown>();
    for (const r of out) if (typeof r === "string") dirs.set(r, undefined);
    await Promise.all(
      [...dirs.keys()].map((dir) =>
        syncDir(dir).catch((err: unknown) => {
          dirs.set(dir, err);
        }),
      ),
    );
    return out.map((r) => (typeof r === "string" ? dirs.get(r) : (r as { failed: unknown }).failed));
  }

  /** The file, durable, under its final name; returns its directory (still to be fsynced). */
  private async writeFile(relativePath: string, content: string): Promise<string> {
    const full = this.resolveSafe(relativePath);
    const dir = dirname(full);
    await this.ensureDir(dir, relativePath);
    const tmp = `${full}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    // "wx" is O_CREAT|O_EXCL: it fails on an existing name, a symlink included, never follows one.
    let fh: FileHandle;
    try {
      fh = await open(tmp, "wx", FILE_MODE);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      // The directory went away while we ran (an operator cleaned up, a volume was remounted):
      // the cached "known" entry is stale. Create it again and try once more.
      this.knownDirs.delete(dir);
      await this.ensureDir(dir, relativePath);
      fh = await open(tmp, "wx", FILE_MODE);
    }
    try {
      try {
        // The umask may have removed bits from FILE_MODE at open; set exactly 0640.
        await fh.chmod(FILE_MODE);
        await fh.writeFile(content, "utf8");
        await fh.sync();
      } finally {
        await fh.close();
      }
      await this.publish(tmp, full, relativePath, content);
    } finally {
      // The temp file holds PHI: it goes whatever happened (after a link it is a second name).
      // unlink, not rm: rm first lstat()s to refuse a directory, a second system call per file
      // for a name this function created as a file (O_EXCL) a moment ago.
      await unlink(tmp).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "ENOENT") throw err;
      });
    }
    return dir;
  }

  /** Gives the temp file its final name without ever replacing a different file. */
  private async publish(tmp: string, full: string, relativePath: string, content: string): Promise<void> {
    try {
      await link(tmp, full);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EEXIST") return this.checkSame(full, relativePath, content);
      // File systems without hard links: check, then rename (a narrow race, not a silent loss
      // of an older file in the common case).
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw err;
    }
    const exists = await lstat(full).then(
      () => true,
      (e: NodeJS.ErrnoException) => (e.code === "ENOENT" ? false : Promise.reject(e)),
    );
    if (exists) return this.checkSame(full, relativePath, content);
    await rename(tmp, full);
  }

  /** The same content again (a retry or a recovery) is fine; anything else is a conflict. */
  private async checkSame(full: string, relativePath: string, content: string): Promise<void> {
    const st = await lstat(full);
    if (!st.isFile()) throw new FileConflictError(relativePath);
    const existing = await readFile(full, "utf8");
    if (existing !== content) throw new FileConflictError(relativePath);
  }

  async read(relativePath: string): Promise<string | null> {
    try {
      return await readFile(this.resolveSafe(relativePath), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
  }

  async removeStaleTemps(): Promise<number> {
    let removed = 0;
    const now = Date.now();
    const walk = async (dir: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
        throw err;
      }
      for (const e of entries) {
        const p = join(dir, e.name);
        // Symlinks are never followed (isDirectory/isFile of a Dirent describe the link itself).
        if (e.isDirectory()) await walk(p);
        else if (e.isFile()) {
          const m = TEMP_NAME.exec(e.name);
          if (!m) continue;
          const pid = Number(m[1]);
          if (pid === process.pid) continue;
          const age = now - (await stat(p).catch(() => ({ mtimeMs: now }))).mtimeMs;
          if (pidAlive(pid) && age < STALE_AFTER_MS) continue;
          await rm(p, { force: true });
          removed++;
        }
      }
    };
    await walk(this.root);
    return removed;
  }

  private readonly knownDirs = new Set<string>();

  private async ensureDir(dir: string, relativePath: string): Promise<void> {
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
    // Every directory below the root must be a real one: a symlink (planted, or left by a
    // migration) would send PHI somewhere nobody looks.
    let d = this.root;
    for (const part of relative(this.root, dir).split(sep)) {
      if (part === "") continue;
      d = join(d, part);
      if (!(await lstat(d)).isDirectory()) throw new UnsafeOutputPathError(relativePath);
    }
    this.knownDirs.add(dir);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
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
