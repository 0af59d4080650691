// Imports acknowledgement files: parse (TA1 / 999 / 277CA), match to what we sent, record.
// A file is keyed by the sha256 of its bytes: importing it again changes nothing. Files on disk
// are then moved beside themselves, to processed/ or failed/; one bad file never stops the rest.
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { UsageError } from "../../domain/errors.js";
import { AckParseError } from "../../edi/ack-errors.js";
import { parseAcknowledgements } from "../../edi/parse-acknowledgement.js";
import type { AckKind, AckRow, AckStore } from "../../ports/acknowledgements.js";
import type { Clock } from "../../ports/clock.js";
import type { Ledger } from "../../ports/ledger.js";
import { matchAcknowledgements } from "./ack-matcher.js";

export interface AckImportDeps {
  readonly store: AckStore;
  readonly ledger: Pick<Ledger, "findBatch">;
  readonly clock: Clock;
  /** EDI_ACK_WRITEBACK: put the 277CA outcome on the claim in claim_detail. */
  readonly writeBack: boolean;
  /** Files larger than this are refused unread (EDI_ACK_MAX_FILE_MB). */
  readonly maxBytes: number;
}

export interface ImportedFile {
  readonly status: "imported" | "duplicate";
  readonly sha256: string;
  readonly kinds: readonly AckKind[];
  readonly recorded: number;
  readonly unmatched: number;
  readonly rejected: number;
  readonly rows: readonly AckRow[];
}

/** The file is too big to be an acknowledgement we would read. */
export class AckFileTooLargeError extends AckParseError {
  constructor(bytes: number, max: number) {
    super("not_x12", 0, `the file has ${bytes} bytes, more than EDI_ACK_MAX_FILE_MB allows (${max})`);
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Parses, matches and records one file's bytes. Throws AckParseError when it is not an acknowledgement. */
export async function importAckBytes(
  deps: AckImportDeps,
  bytes: Uint8Array,
  fileName: string,
): Promise<ImportedFile> {
  if (bytes.byteLength > deps.maxBytes) throw new AckFileTooLargeError(bytes.byteLength, deps.maxBytes);
  const sha256 = sha256Hex(bytes);
  const existing = await deps.store.findFile(sha256);
  if (existing) {
    return {
      status: "duplicate",
      sha256,
      kinds: existing.kinds,
      recorded: existing.recorded,
      unmatched: existing.unmatched,
      rejected: 0,
      rows: [],
    };
  }
  // latin1: every byte maps to one character, so a stray non-UTF-8 byte cannot shift positions.
  const parsed = parseAcknowledgements(Buffer.from(bytes).toString("latin1"));
  const recordedAt = deps.clock.now();
  const rows = await matchAcknowledgements(deps, parsed.acks, { sha256, recordedAt });
  const kinds = [...new Set(parsed.acks.map((a) => a.kind))];
  const unmatched = rows.filter((r) => r.row === "unmatched").length;
  await deps.store.record(rows, {
    sha256,
    fileName: basename(fileName),
    kinds,
    recorded: rows.length - unmatched,
    unmatched,
    importedAt: recordedAt,
  });
  if (deps.writeBack) {
    await deps.store.writeBack(
      rows.flatMap((r) =>
        r.row === "claim"
          ? [
              {
                claimNumber: r.claimNumber,
                edi: {
                  status: r.result,
                  version: r.version,
                  statusCodes: r.statusCodes,
                  payerClaimControlNumber: r.payerClaimControlNumber,
                  at: recordedAt,
                },
              },
            ]
          : [],
      ),
    );
  }
  return {
    status: "imported",
    sha256,
    kinds,
    recorded: rows.length - unmatched,
    unmatched,
    rejected: rows.filter((r) => r.result === "rejected").length,
    rows,
  };
}

export type PathOutcome =
  | { readonly path: string; readonly ok: true; readonly file: ImportedFile; readonly movedTo: string }
  | {
      readonly path: string;
      readonly ok: false;
      readonly error: string;
      readonly movedTo?: string | undefined;
    };

const DONE_DIRS = new Set(["processed", "failed"]);

/** The files to import under the given paths: files as given, directories one level deep. */
export async function listAckFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of paths) {
    const s = await stat(p).catch(() => {
      throw new UsageError(`${p}: no such file or directory`);
    });
    if (s.isFile()) files.push(p);
    else if (s.isDirectory()) {
      const entries = await readdir(p, { withFileTypes: true });
      for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        // Dot files are partial uploads (an SFTP client's temp name) or ours; never read them.
        if (e.isFile() && !e.name.startsWith(".")) files.push(join(p, e.name));
      }
    }
  }
  return files;
}

/**
 * Moves `file` into `<its dir>/<sub>/`; a different file of that name there is kept (suffix).
 * A file imported again from processed/ or failed/ moves between those two, never deeper.
 */
async function moveBeside(file: string, sub: "processed" | "failed", sha256?: string): Promise<string> {
  const parent = dirname(file);
  const base = DONE_DIRS.has(basename(parent)) ? dirname(parent) : parent;
  const dir = join(base, sub);
  let target = join(dir, basename(file));
  if (target === file) return file;
  await mkdir(dir, { recursive: true });
  const taken = await stat(target).then(
    () => true,
    () => false,
  );
  if (taken) {
    const same = sha256 !== undefined && sha256Hex(await readFile(target)) === sha256;
    if (same) {
      await unlink(file);
      return target;
    }
    target = join(dir, `${basename(file)}.${Date.now().toString(36)}`);
  }
  await rename(file, target);
  return target;
}

/**
 * Imports each file and moves it to processed/ or failed/ beside it. A file that fails to parse
 * goes to failed/ with its reason; a database error leaves the file where it is (it is retried
 * next time) and is reported the same way. Never throws for one file.
 */
export async function importAckPaths(deps: AckImportDeps, paths: readonly string[]): Promise<PathOutcome[]> {
  const out: PathOutcome[] = [];
  for (const path of await listAckFiles(paths)) {
    if (DONE_DIRS.has(basename(dirname(path))) && paths.every((p) => p !== path)) continue;
    try {
      const s = await stat(path);
      if (s.size > deps.maxBytes) throw new AckFileTooLargeError(s.size, deps.maxBytes);
      const file = await importAckBytes(deps, await readFile(path), path);
      out.push({ path, ok: true, file, movedTo: await moveBeside(path, "processed", file.sha256) });
    } catch (err) {
      if (err instanceof AckParseError) {
        out.push({ path, ok: false, error: err.message, movedTo: await moveBeside(path, "failed") });
      } else {
        out.push({ path, ok: false, error: errorLine(err) });
      }
    }
  }
  return out;
}

function errorLine(err: unknown): string {
  if (err instanceof Error && /^Mongo[A-Za-z]*Error$/.test(err.name))
    return `MongoDB error (${err.name}); left in place, retried next time`;
  if (err instanceof Error && "code" in err && typeof err.code === "string")
    return `${err.code}; left in place`;
  return "unexpected error; left in place";
}
