// The file-sink twin: a Map from relative path to content. A write is all-or-nothing like the
// real temp-file + link, and never replaces different content (FileConflictError), as the real
// sink; every write is counted so tests can see a file rewritten with the same content.
import { FileConflictError, type FileSink, type FileToWrite } from "../../src/ports/file-sink.js";

export class MemoryFileSink implements FileSink {
  private readonly files = new Map<string, string>();
  /** Writes per path, including identical rewrites. */
  readonly writes = new Map<string, number>();

  async write(relativePath: string, content: string): Promise<void> {
    if (relativePath.startsWith("/") || relativePath.split("/").includes(".."))
      throw new RangeError("path must stay inside the output directory");
    const prev = this.files.get(relativePath);
    if (prev !== undefined && prev !== content) throw new FileConflictError(relativePath);
    this.files.set(relativePath, content);
    this.writes.set(relativePath, (this.writes.get(relativePath) ?? 0) + 1);
  }

  async writeMany(files: readonly FileToWrite[]): Promise<unknown[]> {
    return Promise.all(
      files.map((f) =>
        this.write(f.path, f.content).then(
          () => undefined,
          (err: unknown) => err,
        ),
      ),
    );
  }

  async read(relativePath: string): Promise<string | null> {
    return this.files.get(relativePath) ?? null;
  }

  /** The twin has no temp files: a write lands whole or not at all. */
  async removeStaleTemps(): Promise<number> {
    return 0;
  }

  /** Every file (path → content), sorted by path. */
  all(): Map<string, string> {
    return new Map([...this.files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  get size(): number {
    return this.files.size;
  }
}
