// `claimflow audit list`: operator actions and emitted files recorded in audit_log, newest first.
import type { Command } from "commander";
import { auditActionArg, intArg, isoInstantArg, parseArg, parseOptionalArg } from "./args.js";
import { withOperatorContext } from "./context.js";
import { printJson, println, table } from "./format.js";

interface ListOptions {
  since?: string;
  action?: string;
  limit?: string;
  json?: boolean;
}

const MAX_LIST = 10_000;

export function registerAudit(program: Command): void {
  const audit = program.command("audit").description("the audit trail (audit_log)");
  audit
    .command("list")
    .description("entries at or after a time, newest first")
    .requiredOption("--since <time>", "ISO-8601 time or date, e.g. 2025-03-01")
    .option(
      "--action <action>",
      "only this action (token_reset, dead_letter_retry, batch_replay, file_emitted, …)",
    )
    .option("--limit <n>", `at most n rows, 1-${MAX_LIST}`, "100")
    .option("--json", "print JSON")
    .action(async (opts: ListOptions) => {
      const since = parseArg(isoInstantArg, opts.since, "--since");
      const action = parseOptionalArg(auditActionArg, opts.action, "--action");
      const limit = parseArg(intArg(1, MAX_LIST), opts.limit, "--limit");
      await withOperatorContext(async (ctx) => {
        const rows = await ctx.ports.audit.list({ since, action, limit });
        if (opts.json) return printJson(rows);
        if (rows.length === 0) return println(`no audit entries since ${since.toISOString()}`);
        println(
          table(
            ["at", "action", "actor", "stream", "batch", "claims", "details"],
            rows.map((r) => [
              r.at.toISOString(),
              r.action,
              `${r.actor.user}@${r.actor.host}`,
              r.streamName ?? "-",
              r.batchId ?? "-",
              r.claimNumbers ? claimsText(r.claimNumbers) : "-",
              r.details
                ? Object.entries(r.details)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(" ")
                : "-",
            ]),
          ),
        );
      });
    });
}

function claimsText(claims: readonly string[]): string {
  if (claims.length <= 2) return claims.join(",");
  return `${claims.slice(0, 2).join(",")} +${claims.length - 2}`;
}
