// `claimflow run`: the processor. Exit 0 after a graceful stop, 1 after a fatal error,
// 2 for bad configuration. The processor's modules (engine, metrics, the embedded mongod
// launcher) load only here, so operator commands start fast.
import type { Command } from "commander";
import { loadConfig } from "../config.js";

export function registerRun(program: Command, setExit: (code: number) => void): void {
  program
    .command("run", { isDefault: true })
    .description("run the processor (an embedded demo replica set when EDI_MONGODB_URI is unset)")
    .action(async () => {
      const config = loadConfig();
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
