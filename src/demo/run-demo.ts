// `claimflow demo`: an embedded single-node replica set (mongodb-memory-server, a
// devDependency imported only here), demo data seeded and trickling, and the processor on it.
// SIGTERM/SIGINT at any point end it cleanly with exit 0: during start-up the embedded mongod
// is stopped as soon as it is up; afterwards the processor stops gracefully, then the mongod.
import type { Config } from "../config.js";
import { UsageError } from "../domain/errors.js";
import type { Logger } from "../observability/logger.js";
import { claimDemoOutputDir } from "./demo-output-dir.js";

export async function runDemo(config: Config, logger: Logger): Promise<number> {
  const cleared = await claimDemoOutputDir(config.outputDir);
  if (cleared > 0)
    logger.info({ dir: config.outputDir, entries: cleared }, "demo: removed the previous demo run's files");
  if (config.mongoUri) {
    logger.warn("claimflow demo ignores EDI_MONGODB_URI: it always runs on its own embedded replica set");
  }

  let signalled: NodeJS.Signals | undefined;
  let stopProcessor: (() => Promise<void>) | undefined;
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.error({ signal: sig }, "second signal: exiting now");
      process.exit(1);
    }
    logger.info({ signal: sig }, "signal received");
    signalled = sig;
    void stopProcessor?.();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    logger.warn("claimflow demo: starting an embedded replica set with synthetic data (not for production)");
    const { startEmbeddedMongo } = await import("./embedded-mongo.js").catch((err: unknown) => {
      if ((err as { code?: unknown }).code !== "ERR_MODULE_NOT_FOUND") throw err;
      throw new UsageError(
        "claimflow demo needs the devDependencies (mongodb-memory-server); " +
          "install with `npm ci` (not --omit=dev), or run `claimflow run` with EDI_MONGODB_URI",
      );
    });
    const embedded = await startEmbeddedMongo();
    if (signalled) {
      await embedded.stop();
      logger.info("stopped during start-up");
      return 0;
    }
    const { startProcessor } = await import("../app/processor.js");
    let handle: Awaited<ReturnType<typeof startProcessor>>;
    try {
      handle = await startProcessor({ ...config, mongoUri: embedded.uri }, { logger, embedded });
    } catch (err) {
      await embedded.stop().catch(() => undefined);
      throw err;
    }
    stopProcessor = () => handle.stop();
    if (signalled) await handle.stop();
    return await handle.exited;
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
}
