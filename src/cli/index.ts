// The `claimflow` command: one subcommand per file under cli/, each thin (parse with zod, call a
// service, print, exit code). Exit codes: 0 done, 1 the action failed or found problems, 2 bad
// input (arguments or configuration). User errors print one line; never a stack trace.
import { Command, CommanderError } from "commander";
import { scrubUriMessage } from "../config.js";
import { ClaimflowError, ConfigError, UsageError } from "../domain/errors.js";
import { registerAcks } from "./acks.js";
import { registerAudit } from "./audit.js";
import { registerBackfill } from "./backfill.js";
import { registerBatches } from "./batches.js";
import { registerClaims } from "./claims.js";
import { environmentHelp, registerConfig } from "./config-check.js";
import { registerDeadLetters } from "./dead-letters.js";
import { registerDemo } from "./demo.js";
import { loadDotEnv } from "./dotenv.js";
import { registerIndexes } from "./indexes.js";
import { registerKeys } from "./keys.js";
import { registerPause } from "./pause.js";
import { registerReport } from "./report.js";
import { registerRetention } from "./retention.js";
import { registerRun } from "./run.js";
import { registerSeed } from "./seed.js";
import { registerStatus } from "./status.js";
import { registerToken } from "./token.js";
import { registerValidate } from "./validate.js";
import { packageVersion } from "./version.js";

export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command()
    .name("claimflow")
    .description("MongoDB change stream → X12 837P files, exactly once per claim version")
    .version(packageVersion(), "-V, --version", "print claimflow's version")
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      // Commander may add a second line ("(Did you mean …?)"); keep a usage error on one line,
      // prefixed like every other claimflow error.
      outputError: (s, write) => write(`claimflow: ${oneLine(s.replace(/^error:\s*/, ""))}\n`),
    });

  const setExit = (code: number) => {
    exitCode = code;
  };
  registerRun(program, setExit);
  registerDemo(program, setExit);
  registerToken(program);
  registerStatus(program);
  registerPause(program);
  registerBackfill(program);
  registerIndexes(program);
  registerDeadLetters(program);
  registerBatches(program);
  registerClaims(program);
  registerValidate(program, setExit);
  registerSeed(program);
  registerAudit(program);
  registerKeys(program);
  registerRetention(program);
  registerAcks(program, setExit);
  registerReport(program);
  let dotEnvKeys: ReadonlySet<string> = new Set();
  registerConfig(program, () => dotEnvKeys);
  program.commands.find((c) => c.name() === "run")?.addHelpText("after", environmentHelp);

  // `run` is the default command, so commander would hand an unknown command to it as an
  // argument ("too many arguments for 'run'"); name the real mistake instead.
  const first = argv[2];
  if (first !== undefined && !first.startsWith("-")) {
    const known = new Set(program.commands.flatMap((c) => [c.name(), ...c.aliases()]));
    known.add("help");
    if (!known.has(first)) {
      process.stderr.write(
        `claimflow: unknown command '${oneLine(first).slice(0, 40)}' (see claimflow --help)\n`,
      );
      return 2;
    }
  }

  try {
    dotEnvKeys = loadDotEnv();
    await program.parseAsync(argv as string[]);
    return exitCode;
  } catch (err) {
    return handleError(err);
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

function handleError(err: unknown): number {
  if (err instanceof CommanderError) {
    // --help and --version exit 0; commander already printed its message for usage errors.
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof ConfigError) {
    // Every configuration problem, one per line (SPEC section 7: all problems at once).
    process.stderr.write(`claimflow: ${err.message}\n`);
    return 2;
  }
  if (err instanceof UsageError) {
    process.stderr.write(`claimflow: ${oneLine(err.message)}\n`);
    return 2;
  }
  if (err instanceof ClaimflowError) {
    process.stderr.write(`claimflow: ${oneLine(err.message)}\n`);
    return 1;
  }
  // Matched by name, not instanceof, so this module does not load the driver for every command.
  if (err instanceof Error && /^Mongo[A-Za-z]*Error$/.test(err.name)) {
    // The connection URI's secrets out first: the driver quotes parts of a URI it misread.
    const text = scrubUriMessage(oneLine(err.message), process.env.EDI_MONGODB_URI);
    process.stderr.write(`claimflow: MongoDB error: ${text}\n`);
    return 1;
  }
  process.stderr.write(
    `claimflow: unexpected error: ${scrubUriMessage(oneLine(err instanceof Error ? err.message : String(err)), process.env.EDI_MONGODB_URI)}\n`,
  );
  return 1;
}
