// `claimflow indexes ensure`: the same ensureIndexes the processor runs at start, here with the
// input collections too (SPEC section 2: created by this command, never implicitly in
// production). Idempotent: a second run reports every index as existing.
import type { Command } from "commander";
import { withOperatorContext } from "./context.js";
import { printJson, println, table } from "./format.js";

interface EnsureOptions {
  skipInputCollections?: boolean;
  json?: boolean;
}

export function registerIndexes(program: Command): void {
  const indexes = program.command("indexes").description("MongoDB indexes claimflow relies on");
  indexes
    .command("ensure")
    .description(
      "create missing indexes on claimflow's collections and on the input collections " +
        "(claim_detail, patient, client, npi); never drops or changes an existing index",
    )
    .option("--skip-input-collections", "only claimflow's own collections (when upstream owns the rest)")
    .option("--json", "print JSON")
    .action(async (opts: EnsureOptions) => {
      await withOperatorContext(async (ctx) => {
        const { ensureIndexes } = await import("../mongo/indexes.js");
        const report = await ensureIndexes(ctx.db, {
          includeInputCollections: opts.skipInputCollections !== true,
        });
        if (opts.json) return printJson(report);
        const rows = [
          ...report.created.map((name) => [name, "created"]),
          ...report.existing.map((name) => [name, "existing"]),
        ].sort((a, b) => (a[0] as string).localeCompare(b[0] as string));
        println(table(["index", "result"], rows));
        println(`${report.created.length} created, ${report.existing.length} already existed`);
      });
    });
}
