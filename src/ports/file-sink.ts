// Where 837 files land. Writes are atomic (temp file, fsync, then a link that never replaces):
// a reader never sees a partial file, rewriting the same path with the same content is
// harmless, and a path that already holds different content is an error, never a replacement.
import { ClaimflowError } from "../domain/errors.js";

/** The path already holds a file with different content (two batches claimed one file name). */
export class FileConflictError extends ClaimflowError {
  readonly code = "FILE_CONFLICT";
  constructor(readonly path: string) {
    super(`${path} already holds a different file; refusing to replace it`);
  }
}

export interface FileToWrite {
  readonly path: string;
  readonly content: string;
}

export interface FileSink {
  /**
   * Writes `content` at `relativePath` atomically and durably. Idempotent for the same content;
   * FileConflictError when the path holds different content (the existing file is kept).
   */
  write(relativePath: string, content: string): Promise<void>;
  /**
   * Group commit of `write`: every file in parallel, each directory made durable once. Returns,
   * per file in order, undefined (written) or the error `write` would have thrown for it alone.
   */
  writeMany(files: readonly FileToWrite[]): Promise<unknown[]>;
  read(relativePath: string): Promise<string | null>;
  /** Removes temp files a killed process left behind (at start); returns how many. */
  removeStaleTemps(): Promise<number>;
}
