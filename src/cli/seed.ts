// `claimflow seed`: synthetic, realistic claims (with their patients, clients and NPIs) for
// demos and benchmarks; `--invalid K` adds claims built to end in dead_letters. Refuses a
// database holding input documents it did not create unless --force; inserts only, never
// replaces; prints what it inserted and what it left alone.
import type { Command } from "commander";
import { seedClaims } from "../app/services/seed-service.js";
import { intArg, parseArg, parseOptionalArg, seedPrefixArg } from "./args.js";
import { withOperatorContext } from "./context.js";
import { keyValues, printJson, println } from "./format.js";

interface SeedOptions {
  claims?: string;
  groups?: string;
  clients?: string;
  seed?: string;
  invalid?: string;
  prefix?: string;
  force?: boolean;
  json?: boolean;
}

export function registerSeed(program: Command): void {
  program
    .command("seed")
    .description("insert synthetic ready claims (and their patients, clients, NPIs) for demos and benchmarks")
    .requiredOption("--claims <n>", "number of valid claims, 1-1000000")
    .option("--groups <g>", "number of group_ids, 1-1000", "4")
    .option("--clients <c>", "number of clients (billing providers), 1-1000", "3")
    .option("--seed <s>", "random seed: the same seed and prefix give the same data", "42")
    .option("--invalid <k>", "extra claims that fail one rule each (dead letters), 0-10000", "0")
    .option("--prefix <p>", "claim number prefix, A-Z 0-9 (default: SEED plus the current time)")
    .option(
      "--force",
      "seed even though claim_detail/patient/client/npi hold documents seed did not create (still insert-only)",
    )
    .option("--json", "print JSON")
    .action(async (opts: SeedOptions) => {
      const now = new Date();
      const args = {
        claims: parseArg(intArg(1, 1_000_000), opts.claims, "--claims"),
        groups: parseArg(intArg(1, 1000), opts.groups, "--groups"),
        clients: parseArg(intArg(1, 1000), opts.clients, "--clients"),
        seed: parseArg(intArg(0, 2 ** 32 - 1), opts.seed, "--seed"),
        invalid: parseArg(intArg(0, 10_000), opts.invalid, "--invalid"),
        prefix:
          parseOptionalArg(seedPrefixArg, opts.prefix, "--prefix") ??
          `SEED${now.getTime().toString(36).toUpperCase()}`,
      };
      await withOperatorContext(async (ctx) => {
        const report = await seedClaims(ctx.db, { ...args, now, force: opts.force === true });
        if (opts.json) return printJson(report);
        println(
          keyValues([
            ["claims", `${report.claims} ready (${report.prefix}-00000000 …)`],
            ["invalid claims", String(report.invalid)],
            ["patients", `${report.patients} inserted, ${report.kept.patients} already there (untouched)`],
            ["clients", `${report.clients} inserted, ${report.kept.clients} already there (untouched)`],
            ["npis", `${report.npis} inserted, ${report.kept.npis} already there (untouched)`],
          ]),
        );
      });
    });
}
