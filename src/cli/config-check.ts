// `claimflow config check`: validates the environment (and .env) exactly as `run` does and
// prints the effective configuration with secrets masked. Exit 0 when valid; every problem at
// once and exit 2 when not (the ConfigError path of index.ts). Connects to nothing.
import type { Command } from "commander";
import { loadConfig } from "../config.js";
import { ConfigError } from "../domain/errors.js";
import { describeConfig } from "./config-view.js";
import { printJson, println, table } from "./format.js";

export function registerConfig(program: Command, dotEnvKeys: () => ReadonlySet<string>): void {
  const config = program.command("config").description("the configuration claimflow would run with");
  config
    .command("check")
    .description(
      "validate EDI_* (environment and .env) and print the effective values, secrets masked; exit 2 on problems",
    )
    .option("--json", "print JSON")
    .action((opts: { json?: boolean }) => {
      const cfg = loadConfig();
      // Valid for the schema, but neither the processor in production nor any operator
      // command can do anything without a database.
      if (!cfg.mongoUri) {
        throw new ConfigError([
          {
            path: "EDI_MONGODB_URI",
            message: "is not set; the processor and every operator command need it",
          },
        ]);
      }
      const entries = describeConfig(cfg, process.env, dotEnvKeys());
      if (opts.json) return printJson({ valid: true, variables: entries });
      println(
        table(
          ["variable", "value", "source"],
          entries.map((e) => [e.variable, e.value, e.source]),
        ),
      );
      println("\nconfiguration valid");
    });
}

/** `run --help`: every variable with its default (descriptions: .env.example, README). */
export function environmentHelp(): string {
  const defaults = describeConfig(loadConfig({}), {});
  return [
    "",
    "Environment (also read from ./.env when present; descriptions in .env.example):",
    ...defaults.map((e) => `  ${e.variable.padEnd(32)} default: ${e.value}`),
    "",
    "Check the effective values with `claimflow config check`.",
  ].join("\n");
}
