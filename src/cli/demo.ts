// `claimflow demo`: the processor on an embedded replica set with synthetic data, for trying
// claimflow with nothing installed (`npm start` runs it). Exit 0 after a stop (also during
// start-up), 1 after a fatal error, 2 for bad configuration or an output directory holding
// files the demo did not write.
import type { Command } from "commander";
import { loadConfig } from "../config.js";

export function registerDemo(program: Command, setExit: (code: number) => void): void {
  program
    .command("demo")
    .description(
      "run the processor on an embedded demo replica set with synthetic claims (never for production)",
    )
    .action(async () => {
      const config = loadConfig();
      const [{ runDemo }, { createLogger }] = await Promise.all([
        import("../demo/run-demo.js"),
        import("../observability/logger.js"),
      ]);
      const logger = createLogger(config.logLevel);
      const code = await runDemo(config, logger);
      logger.flush();
      setExit(code);
    });
}
