// `claimflow batches replay <batch_id>`: write a file again from the content stored in the
// ledger, after checking its sha256. Exit 1 with the reason when the content is gone or corrupt.
import type { Command } from "commander";
import { replayBatch } from "../app/services/batch-replay.js";
import { batchIdArg, parseArg } from "./args.js";
import { registerBatchQueries } from "./batch-queries.js";
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
}
