// The file-sink twin: a Map from relative path to content. A write is all-or-nothing like the
// real temp-file + rename; every write is counted so tests can see a file rewritten (harmless
// with the same content, a bug with different content).
import type { FileSink } from "../../src/ports/file-sink.js";

/** Rewriting a path with different content: two batches claimed the same file name. */
export class FileOverwriteError extends Error {
  readonly code = "FILE_OVERWRITE";
  constructor(readonly path: string) {
    super(`${path} already holds different content`);
    this.name = "FileOverwriteError";
  }
}

export class MemoryFileSink implements FileSink {
  private readonly files = new Map<string, string>();
  /** Writes per path, including identical rewrites. */
  readonly writes = new Map<string, number>();

  constructor(private readonly opts: { readonly forbidOverwrite?: boolean } = {}) {}

  async write(relativePath: string, content: string): Promise<void> {
    if (relativePath.startsWith("/") || relativePath.split("/").includes(".."))
      throw new RangeError("path must stay inside the output directory");
    const prev = this.files.get(relativePath);
    // The real sink would silently replace; tests run with this check on to catch the bug.
    if (this.opts.forbidOverwrite !== false && prev !== undefined && prev !== content)
      throw new FileOverwriteError(relativePath);
    this.files.set(relativePath, content);
    this.writes.set(relativePath, (this.writes.get(relativePath) ?? 0) + 1);
  }

  async read(relativePath: string): Promise<string | null> {
    return this.files.get(relativePath) ?? null;
  }

  /** Every file (path → content), sorted by path. */
  all(): Map<string, string> {
    return new Map([...this.files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  get size(): number {
    return this.files.size;
  }
}
