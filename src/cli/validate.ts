// `claimflow validate <file...>`: the structural 837P validator on files. Exit 0 when every file
// is valid, 1 when any has violations (each printed with its segment position), 2 when a path
// cannot be read.
import type { Command } from "commander";
import { validateFiles } from "../app/services/validate-files.js";
import { printJson, println } from "./format.js";

export function registerValidate(program: Command, setExit: (code: number) => void): void {
  program
    .command("validate")
    .description("check 837P files against the structural rules (envelopes, counts, loops, control numbers)")
    .argument("<file...>", "837 files")
    .option("--json", "print JSON")
    .action(async (paths: string[], opts: { json?: boolean }) => {
      const results = await validateFiles(paths);
      const invalid = results.filter((r) => !r.result.ok).length;
      if (opts.json) {
        printJson(results.map(({ path, result }) => ({ path, ...result })));
      } else {
        for (const { path, result } of results) {
          if (result.ok) {
            println(
              `${path}: valid (${result.interchanges} interchange(s), ${result.claimCount} claim(s)` +
                `${result.isaControlNumber ? `, ISA13 ${result.isaControlNumber}` : ""})`,
            );
            continue;
          }
          println(`${path}: ${result.violations.length} violation(s)`);
          for (const v of result.violations) println(`  segment ${v.segment} (${v.id}): ${v.message}`);
        }
        if (results.length > 1) println(`${results.length - invalid} valid, ${invalid} invalid`);
      }
      setExit(invalid > 0 ? 1 : 0);
    });
}
