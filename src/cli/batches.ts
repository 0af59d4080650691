// `claimflow batches replay <batch_id>`: write a file again from the content stored in the
// ledger, after checking its sha256. Exit 1 with the reason when the content is gone or corrupt.
import type { Command } from "commander";
import { replayBatch } from "../app/services/batch-replay.js";
import { batchIdArg, parseArg, reasonArg } from "./args.js";
import { registerBatchQueries } from "./batch-queries.js";
import { isa13Text } from "./claims.js";
import { withOperatorContext } from "./context.js";
import { keyValues, printJson, println } from "./format.js";

export function registerBatches(program: Command): void {
  const batches = program.command("batches").description("files recorded in the ledger (edi_batches)");
  registerBatchQueries(batches);
  batches
    .command("replay")
    .description(
      "rewrite a batch's file under EDI_OUTPUT_DIR from its stored content (sha256 verified first; audited)",
    )
    .argument("<batch_id>", "batch id, as in edi_batches and audit_log")
    .option("--json", "print JSON")
    .action(async (batchArg: string, opts: { json?: boolean }) => {
      const batchId = parseArg(batchIdArg, batchArg, "<batch_id>");
      await withOperatorContext(async (ctx) => {
        const result = await replayBatch(ctx, batchId);
        if (opts.json) return printJson({ ...result, outputDir: ctx.config.outputDir });
        println(
          keyValues([
            ["batch", result.batchId],
            ["file", `${ctx.config.outputDir}/${result.path}`],
            ["sha256", `${result.sha256} (verified)`],
            ["size", `${result.bytes} bytes, ${result.claims} claim(s)`],
            ["state", result.state],
          ]),
        );
        if (result.state === "reserved") {
          println("note: the batch is still reserved; the processor marks it written when it next starts");
        }
      });
    });
  batches
    .command("reissue")
    .description(
      "send a written batch's claims again in a new file under new control numbers (after a " +
        "clearinghouse rejected its envelope); the old batch becomes superseded; audited",
    )
    .argument("<batch_id>", "batch id, as in edi_batches and audit_log")
    .requiredOption("--reason <text>", "why, e.g. the TA1/999 rejection (audited)")
    .option("--json", "print JSON")
    .action(async (batchArg: string, opts: { reason?: string; json?: boolean }) => {
      const batchId = parseArg(batchIdArg, batchArg, "<batch_id>");
      const reason = parseArg(reasonArg, opts.reason, "--reason");
      await withOperatorContext(async (ctx) => {
        const { reissueBatch } = await import("../app/services/batch-reissue.js");
        const r = await reissueBatch(ctx, batchId, reason);
        if (opts.json) return printJson({ ...r, outputDir: ctx.config.outputDir });
        println(
          keyValues([
            ["reissued", `${r.oldBatchId} (ISA13 ${isa13Text(r.oldIsaControlNumber)}, now superseded)`],
            ["as batch", r.batchId],
            ["ISA13 / GS06", `${isa13Text(r.isaControlNumber)} / ${r.isaControlNumber}`],
            ["sender", r.senderId],
            ["file", `${ctx.config.outputDir}/${r.path}`],
            ["sha256", r.sha256],
            ["claims", String(r.claims)],
          ]),
        );
        if (r.resumed) println("note: finished a reissue an earlier run recorded but did not write");
      });
    });
}
