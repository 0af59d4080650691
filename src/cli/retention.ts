// `claimflow retention run [--dry-run]`: remove the stored 837 content of batches written more
// than EDI_CONTENT_RETENTION_DAYS ago and bring the audit_log TTL in line with
// EDI_AUDIT_RETENTION_DAYS — what the processor's timer does, on demand (audited).
import type { Command } from "commander";
import { withOperatorContext } from "./context.js";
import { keyValues, printJson, println } from "./format.js";

interface RunOptions {
  dryRun?: boolean;
  json?: boolean;
}

export function registerRetention(program: Command): void {
  const retention = program.command("retention").description("retention of stored content and audit rows");
  retention
    .command("run")
    .description(
      "remove the stored content of batches written more than EDI_CONTENT_RETENTION_DAYS ago " +
        "(rows, sha256 and control numbers stay) and set the audit_log TTL (audited)",
    )
    .option("--dry-run", "only count what would be removed")
    .option("--json", "print JSON")
    .action(async (opts: RunOptions) => {
      await withOperatorContext(async (ctx) => {
        const { runRetention } = await import("../app/services/retention.js");
        const report = await runRetention(
          { db: ctx.db, clock: ctx.clock, audit: ctx.ports.audit },
          {
            contentRetentionDays: ctx.config.contentRetentionDays,
            auditRetentionDays: ctx.config.auditRetentionDays,
            dryRun: opts.dryRun === true,
            trigger: "operator",
            ensureAuditTtl: true,
          },
        );
        if (opts.json) return printJson(report);
        const dry = report.dryRun;
        println(
          keyValues([
            ["mode", dry ? "dry run (nothing changed)" : "run"],
            [
              "content",
              `${report.batchesPurged} batch(es) written before ${report.contentCutoff} ` +
                `(${days(report.contentRetentionDays)}) ${dry ? "would lose" : "lost"} their stored content`,
            ],
            [
              "audit_log",
              `kept ${days(report.auditRetentionDays)} by a TTL index${report.auditTtl ? ` (${report.auditTtl})` : ""}; ` +
                `${report.auditRowsExpired} row(s) older than ${report.auditCutoff} awaiting the TTL monitor`,
            ],
            ["processing_history", "never purged (idempotency record)"],
            ...(dry ? [] : [["audit", "retention_run recorded in audit_log"] as [string, string]]),
          ]),
        );
      });
    });
}

function days(n: number): string {
  return n === 1 ? "1 day" : `${n} days`;
}
