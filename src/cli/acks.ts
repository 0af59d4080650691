// `claimflow acks import | list`: the clearinghouse's answers (TA1, 999, 277CA) to our files.
// Rows hold identifiers and codes only, so everything here is safe to print.
import type { Command } from "commander";
import { importAckPaths } from "../app/services/ack-import.js";
import type { ClaimAcknowledgement } from "../app/services/ack-service.js";
import { ackDeps, listAcks } from "../app/services/ack-service.js";
import type { AckRow } from "../ports/acknowledgements.js";
import { intArg, isoInstantArg, parseArg, parseOptionalArg } from "./args.js";
import { withOperatorContext } from "./context.js";
import { orDash, printJson, println, table } from "./format.js";

interface ImportOptions {
  json?: boolean;
}

interface ListOptions {
  rejected?: boolean;
  since?: string;
  limit?: string;
  json?: boolean;
}

const MAX_LIST = 10_000;

export function registerAcks(program: Command, setExit: (code: number) => void): void {
  const acks = program
    .command("acks")
    .description("acknowledgements (TA1, 999, 277CA) matched to our files and claims: import, list");

  acks
    .command("import")
    .description(
      "import acknowledgement files (or every file of a directory); each is moved to processed/ or " +
        "failed/ beside it; a file imported before (same sha256) changes nothing",
    )
    .argument("<paths...>", "files or directories")
    .option("--json", "print JSON")
    .action(async (paths: string[], opts: ImportOptions) => {
      await withOperatorContext(async (ctx) => {
        const outcomes = await importAckPaths(ackDeps(ctx), paths);
        const failed = outcomes.filter((o) => !o.ok);
        setExit(failed.length > 0 ? 1 : 0);
        if (opts.json)
          return printJson(outcomes.map((o) => (o.ok ? { ...o, file: { ...o.file, rows: undefined } } : o)));
        for (const o of outcomes) {
          if (o.ok) {
            const f = o.file;
            println(
              f.status === "duplicate"
                ? `${o.path}: already imported (same sha256), nothing changed`
                : `${o.path}: ${f.kinds.join("+")} ${f.recorded} recorded, ${f.unmatched} unmatched, ${f.rejected} rejected`,
            );
          } else {
            process.stderr.write(`claimflow: ${o.path}: ${o.error}\n`);
          }
        }
        if (outcomes.length === 0) println("no files to import");
      });
    });

  acks
    .command("list")
    .description("recorded acknowledgement outcomes, newest first")
    .option("--rejected", "only rejections (TA1 / 999 / 277CA)")
    .option("--since <time>", "recorded at or after this ISO-8601 time or date")
    .option("--limit <n>", `at most n rows, 1-${MAX_LIST}`, "100")
    .option("--json", "print JSON")
    .action(async (opts: ListOptions) => {
      const since = parseOptionalArg(isoInstantArg, opts.since, "--since");
      const limit = parseArg(intArg(1, MAX_LIST), opts.limit, "--limit");
      await withOperatorContext(async (ctx) => {
        const rows = await listAcks(ctx, { rejectedOnly: opts.rejected === true, since, limit });
        if (opts.json) return printJson(rows);
        if (rows.length === 0) return println("no acknowledgements");
        println(
          table(
            ["recorded", "kind", "result", "batch / claim", "codes", "payer ccn"],
            rows.map((r) => [
              r.recordedAt.toISOString(),
              r.kind,
              r.result,
              subject(r),
              codes(r),
              payerCcn(r),
            ]),
          ),
        );
      });
    });
}

function subject(r: AckRow): string {
  if (r.row === "batch") return r.batchId;
  if (r.row === "claim") return `${r.claimNumber} v${r.version}`;
  const what = r.claimNumber ?? (r.controlNumber ? `control ${r.controlNumber}` : "-");
  return `unmatched ${what} (${r.reason})`;
}

function codes(r: AckRow): string {
  if (r.row === "batch") {
    const parts = [
      r.noteCode && `TA105 ${r.noteCode}`,
      r.setCode && `IK5 ${r.setCode}`,
      r.groupCode && `AK9 ${r.groupCode}`,
    ];
    const errors = (r.segmentErrors ?? []).map((e) => `${e.segmentId}@${e.position}:${e.code}`);
    return orDash([...parts.filter(Boolean), ...errors].join(" ") || undefined);
  }
  return orDash(
    (r.statusCodes ?? []).map((c) => [c.category, c.status, c.entity].filter(Boolean).join(":")).join(" ") ||
      undefined,
  );
}

function payerCcn(r: AckRow): string {
  return r.row === "claim" ? orDash(r.payerClaimControlNumber) : "-";
}

/** The acknowledgement part of `claims show`: 277CA per version, TA1 / 999 of each version's file. */
export function acknowledgementText(
  view: {
    readonly versions: readonly {
      readonly version: number;
      readonly batchId?: string | undefined;
      readonly reissuedFrom?: readonly string[] | undefined;
    }[];
  },
  acks: ClaimAcknowledgement,
): string {
  if (acks.claims.length === 0 && acks.batches.length === 0) return "acknowledgements: none recorded";
  const versionOfBatch = new Map(
    view.versions.flatMap((v) =>
      [...(v.batchId ? [v.batchId] : []), ...(v.reissuedFrom ?? [])].map((b) => [b, v.version] as const),
    ),
  );
  const rows: AckRow[] = [...acks.claims, ...acks.batches];
  rows.sort((a, b) => b.recordedAt.getTime() - a.recordedAt.getTime());
  return table(
    ["version", "kind", "result", "codes", "payer ccn", "batch", "recorded"],
    rows.map((r) => [
      r.row === "claim" ? String(r.version) : r.row === "batch" ? orDash(versionOfBatch.get(r.batchId)) : "-",
      r.kind,
      r.result,
      codes(r),
      payerCcn(r),
      r.row === "unmatched" ? "-" : r.batchId,
      r.recordedAt.toISOString(),
    ]),
  );
}
