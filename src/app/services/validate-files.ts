// `claimflow validate <file...>`: the structural 837P validator (src/edi/validate.ts, the same
// one the tests run on every file claimflow produces) applied to files on disk. Every file is
// read before any is judged, so a mistyped path fails fast as a usage error instead of being
// reported as one more invalid file.
import { readFile } from "node:fs/promises";
import { UsageError } from "../../domain/errors.js";
import { type ValidationResult, validate837 } from "../../edi/validate.js";

export interface FileValidation {
  readonly path: string;
  readonly result: ValidationResult;
}

const READ_ERRORS: Record<string, string> = {
  ENOENT: "no such file",
  EISDIR: "is a directory",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ENAMETOOLONG: "name too long",
  ENOTDIR: "a parent is not a directory",
};

/** Throws UsageError (exit 2) naming the first file that cannot be read. */
export async function readAll(paths: readonly string[]): Promise<{ path: string; text: string }[]> {
  const out: { path: string; text: string }[] = [];
  for (const path of paths) {
    try {
      out.push({ path, text: await readFile(path, "utf8") });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "";
      throw new UsageError(`cannot read ${path}: ${READ_ERRORS[code] ?? (code || "read failed")}`);
    }
  }
  return out;
}

export async function validateFiles(paths: readonly string[]): Promise<FileValidation[]> {
  const files = await readAll(paths);
  return files.map(({ path, text }) => ({ path, result: validate837(text) }));
}
