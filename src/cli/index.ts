// The `claimflow` command: one subcommand per file under cli/, each thin (parse, call, print,
// exit code). User errors print one line and exit 2; no stack trace for bad input.
import { Command, CommanderError } from "commander";
import { ClaimflowError, ConfigError, UsageError } from "../domain/errors.js";
import { registerRun } from "./run.js";

export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command()
    .name("claimflow")
    .description("MongoDB change stream → X12 837P files, exactly once per claim version")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const setExit = (code: number) => {
    exitCode = code;
  };
  registerRun(program, setExit);

  try {
    await program.parseAsync(argv as string[]);
    return exitCode;
  } catch (err) {
    return handleError(err);
  }
}

function handleError(err: unknown): number {
  if (err instanceof CommanderError) {
    // --help and --version exit 0; commander already printed its message for usage errors.
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof ConfigError) {
    process.stderr.write(`claimflow: ${err.message}\n`);
    return 2;
  }
  if (err instanceof UsageError) {
    process.stderr.write(`claimflow: ${err.message}\n`);
    return 2;
  }
  if (err instanceof ClaimflowError) {
    process.stderr.write(`claimflow: ${err.message}\n`);
    return 1;
  }
  process.stderr.write(`claimflow: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}
