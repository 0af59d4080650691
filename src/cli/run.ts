// `claimflow run`: the processor. Exit 0 after a graceful stop, 1 after a fatal error,
// 2 for bad configuration, EDI_MONGODB_URI unset included (the demo is `claimflow demo`, never
// a fallback: a typo in a secret's name must not send synthetic 837s to a real output
// directory). The processor's modules (engine, metrics) load only here, so operator commands
// start fast; the embedded mongod's launcher is never loaded by `run`.
import type { Command } from "commander";
import { loadConfig, MISSING_URI_MESSAGE } from "../config.js";
import { UsageError } from "../domain/errors.js";

export function registerRun(program: Command, setExit: (code: number) => void): void {
  program
    .command("run", { isDefault: true })
    .description("run the processor against EDI_MONGODB_URI (required; `claimflow demo` for a demo)")
    .action(async () => {
      const config = loadConfig();
      if (!config.mongoUri) throw new UsageError(MISSING_URI_MESSAGE);
      const [{ startProcessor }, { createLogger }] = await Promise.all([
        import("../app/processor.js"),
        import("../observability/logger.js"),
      ]);
      const logger = createLogger(config.logLevel);
      const handle = await startProcessor(config, { logger, handleSignals: true });
      const code = await handle.exited;
      logger.flush();
      // A process-level fault (auth, unauthorized, a bug, an unsafe path, a document over
      // 16 MiB): no retry fixes it, so one line on stderr says what and the exit code is 1.
      if (handle.fault) process.stderr.write(`claimflow: ${handle.fault.message}\n`);
      setExit(code);
    });
}
