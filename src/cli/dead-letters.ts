// `claimflow dead-letters list | show | retry | purge`: triage of claims that could not be billed.
// Rows hold reasons and issue paths, never claim values, so everything here is safe to print.
import type { Command } from "commander";
import {
  countRetryable,
  listDeadLetters,
  MAX_BULK_RETRY,
  purgeDeadLetters,
  retryDeadLetter,
  retryDeadLetters,
  showDeadLetter,
} from "../app/services/dead-letter-service.js";
import { type DeadLetterReason, UsageError } from "../domain/errors.js";
import type { DeadLetter } from "../ports/dead-letters.js";
import {
  claimNumberArg,
  deadLetterReasonArg,
  intArg,
  isoInstantArg,
  parseArg,
  parseOptionalArg,
} from "./args.js";
import { confirmAction, requireConfirmable } from "./confirm.js";
import { withOperatorContext } from "./context.js";
import { keyValues, orDash, printJson, println, table } from "./format.js";

interface ListOptions {
  reason?: string;
  limit?: string;
  json?: boolean;
}

interface JsonOption {
  json?: boolean;
}

interface RetryOptions extends JsonOption {
  reason?: string;
  all?: boolean;
  dryRun?: boolean;
  yes?: boolean;
}

interface PurgeOptions extends JsonOption {
  before?: string;
  yes?: boolean;
}

const MAX_LIST = 10_000;

export function registerDeadLetters(program: Command): void {
  const dl = program
    .command("dead-letters")
    .description("claims that could not be billed (dead_letters): list, show, retry, purge");

  dl.command("list")
    .description("most recently seen dead letters first")
    .option("--reason <reason>", "only this reason (invalid_claim, patient_missing, …)")
    .option("--limit <n>", `at most n rows, 1-${MAX_LIST}`, "50")
    .option("--json", "print JSON")
    .action(async (opts: ListOptions) => {
      const reason = parseOptionalArg(deadLetterReasonArg, opts.reason, "--reason");
      const limit = parseArg(intArg(1, MAX_LIST), opts.limit, "--limit");
      await withOperatorContext(async (ctx) => {
        const rows = await listDeadLetters(ctx, { limit, reason });
        if (opts.json) return printJson(rows);
        if (rows.length === 0) return println("no dead letters");
        println(
          table(
            ["claim", "version", "reason", "group", "client", "attempts", "last seen", "issues"],
            rows.map((r) => [
              r.claimNumber,
              String(r.version),
              r.reason,
              orDash(r.groupId),
              orDash(r.clientId),
              String(r.attempts),
              r.lastSeen.toISOString(),
              String(r.issues.length),
            ]),
          ),
        );
      });
    });

  dl.command("show")
    .description("every dead-lettered version of one claim, with its issues (paths and rules)")
    .argument("<claim>", "claim_number")
    .option("--json", "print JSON")
    .action(async (claimArg: string, opts: JsonOption) => {
      const claimNumber = parseArg(claimNumberArg, claimArg, "<claim>");
      await withOperatorContext(async (ctx) => {
        const rows = await showDeadLetter(ctx, claimNumber);
        if (opts.json) return printJson(rows);
        println(rows.map(showText).join("\n\n"));
      });
    });

  dl.command("retry")
    .description(
      "re-validate the claim's current document; if it passes and is ready, remove its dead letters " +
        "and hand it back to the processor (via the change stream). In bulk with --reason R or --all: " +
        "the count first, then a confirmation (--yes), or --dry-run to see what would happen",
    )
    .argument("[claim]", "claim_number (or use --reason / --all)")
    .option("--reason <reason>", "every claim dead-lettered for this reason")
    .option("--all", "every dead-lettered claim")
    .option("--dry-run", "bulk only: report what would be retried, change nothing")
    .option("-y, --yes", "bulk only: do not ask for confirmation")
    .option("--json", "print JSON")
    .action(async (claimArg: string | undefined, opts: RetryOptions) => {
      const bulk = opts.reason !== undefined || opts.all === true;
      if (claimArg !== undefined && bulk) {
        throw new UsageError("give either <claim> or --reason/--all, not both");
      }
      if (!bulk) {
        if (claimArg === undefined)
          throw new UsageError("dead-letters retry needs <claim>, --reason <reason> or --all");
        if (opts.dryRun || opts.yes) throw new UsageError("--dry-run and --yes apply to --reason/--all only");
        return retryOne(parseArg(claimNumberArg, claimArg, "<claim>"), opts);
      }
      if (opts.reason !== undefined && opts.all)
        throw new UsageError("--reason and --all cannot be combined");
      const reason = parseOptionalArg(deadLetterReasonArg, opts.reason, "--reason");
      return retryBulk(reason, opts);
    });

  dl.command("purge")
    .description("delete dead letters last seen before a time (audited)")
    .requiredOption("--before <time>", "ISO-8601 time or date, e.g. 2025-01-01")
    .option("-y, --yes", "do not ask for confirmation")
    .option("--json", "print JSON")
    .action(async (opts: PurgeOptions) => {
      const before = parseArg(isoInstantArg, opts.before, "--before");
      requireConfirmable("dead-letter purge", { yes: opts.yes === true });
      await withOperatorContext(async (ctx) => {
        await confirmAction(
          "dead-letter purge",
          `Delete every dead letter last seen before ${before.toISOString()}?`,
          { yes: opts.yes === true },
        );
        const purged = await purgeDeadLetters(ctx, before);
        if (opts.json) return printJson({ before: before.toISOString(), purged });
        println(`${purged} dead letter(s) last seen before ${before.toISOString()} purged`);
      });
    });
}

async function retryOne(claimNumber: string, opts: JsonOption): Promise<void> {
  await withOperatorContext(async (ctx) => {
    const result = await retryDeadLetter(ctx, claimNumber);
    if (opts.json) return printJson(result);
    println(
      result.requeued
        ? `claim ${claimNumber} v${result.version}: ${result.removed} dead letter(s) removed; ` +
            "queued for the processor again"
        : `claim ${claimNumber}: ${result.removed} dead letter(s) removed; the claim changed meanwhile, ` +
            "so the processor already sees its new version",
    );
  });
}

async function retryBulk(reason: DeadLetterReason | undefined, opts: RetryOptions): Promise<void> {
  const yes = opts.yes === true;
  const what = reason === undefined ? "every reason" : `reason ${reason}`;
  if (!opts.dryRun) requireConfirmable("bulk dead-letter retry", { yes });
  await withOperatorContext(async (ctx) => {
    const count = await countRetryable(ctx, reason);
    // The count first, on stderr so --json output stays one document.
    process.stderr.write(
      `${count.claims} dead-lettered claim(s) match (${what})${count.truncated ? `; only the first ${MAX_BULK_RETRY} this run` : ""}\n`,
    );
    if (count.claims > 0 && !opts.dryRun) {
      await confirmAction(
        "bulk dead-letter retry",
        `Retry ${count.claims} dead-lettered claim(s) (${what})?`,
        { yes },
      );
    }
    const result = await retryDeadLetters(ctx, { reason, dryRun: opts.dryRun === true });
    if (opts.json) return printJson(result);
    const o = result.outcomes;
    println(
      keyValues([
        [
          "matched",
          `${result.matched} claim(s) (${what})${result.dryRun ? ", dry run: nothing changed" : ""}`,
        ],
        [result.dryRun ? "would requeue" : "requeued", String(o.requeued)],
        ["changed meanwhile", String(o.changed)],
        ["still invalid", String(o.invalid)],
        ["not ready", String(o.not_ready)],
        ["gone", String(o.gone)],
        ["dead letters removed", String(result.removed)],
      ]),
    );
    if (result.truncated)
      println(`more dead letters match: run it again (at most ${MAX_BULK_RETRY} claims a run)`);
  });
}

function showText(r: DeadLetter): string {
  return keyValues([
    ["claim", `${r.claimNumber} v${r.version}`],
    ["reason", r.reason],
    ["group / client", `${orDash(r.groupId)} / ${orDash(r.clientId)}`],
    ["attempts", String(r.attempts)],
    ["first seen", r.firstSeen.toISOString()],
    ["last seen", r.lastSeen.toISOString()],
    ["issues", r.issues.length === 0 ? "-" : r.issues[0] ? issueText(r.issues[0]) : ""],
    ...r.issues.slice(1).map((i): [string, string] => ["", issueText(i)]),
  ]);
}

function issueText(i: { path: string; message: string }): string {
  return `${i.path || "(root)"}: ${i.message}`;
}
