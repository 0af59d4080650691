// Where 837 files land. Writes are atomic (temp file, fsync, rename): a reader never sees a
// partial file, and rewriting the same path with the same content is harmless.

export interface FileSink {
  /** Writes `content` at `relativePath` atomically and durably. */
  write(relativePath: string, content: string): Promise<void>;
  read(relativePath: string): Promise<string | null>;
}
