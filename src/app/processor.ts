// `claimflow run`: config → MongoDB (or the embedded demo) → ports → engine + health server →
// signals. SIGTERM/SIGINT stop reading, flush every window, checkpoint, and exit 0 within
// EDI_SHUTDOWN_TIMEOUT_MS; a fatal pipeline error exits 1.
import { hostname } from "node:os";
import { type Config, maskUri } from "../config.js";
import { DemoFeeder } from "../demo/demo-feeder.js";
import { startEmbeddedMongo } from "../demo/embedded-mongo.js";
import { connectMongo } from "../mongo/connect.js";
import { ensureIndexes } from "../mongo/indexes.js";
import { createMongoPorts } from "../mongo/mongo-ports.js";
import { HealthServer } from "../observability/http-server.js";
import { createLogger, type Logger } from "../observability/logger.js";
import { Metrics } from "../observability/metrics.js";
import { Engine } from "../pipeline/engine.js";
import { systemClock } from "../ports/clock.js";
import { Lifecycle } from "./lifecycle.js";

export interface ProcessorHandle {
  readonly engine: Engine;
  readonly metricsPort: number;
  /** Graceful stop (what SIGTERM does). */
  stop(): Promise<void>;
  /** Settles when the processor has ended: 0 after a graceful stop, 1 after a fatal error. */
  readonly exited: Promise<number>;
}

export interface ProcessorOptions {
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Install SIGTERM/SIGINT handlers (the CLI does; tests drive stop() themselves). */
  readonly handleSignals?: boolean;
}

export async function startProcessor(config: Config, opts: ProcessorOptions = {}): Promise<ProcessorHandle> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const metrics = opts.metrics ?? new Metrics();
  const life = new Lifecycle(logger);
  try {
    let uri = config.mongoUri;
    let demo = false;
    if (!uri) {
      logger.warn("EDI_MONGODB_URI is not set: starting an embedded demo replica set (not for production)");
      const embedded = await startEmbeddedMongo();
      life.add("embedded mongod", () => embedded.stop());
      uri = embedded.uri;
      demo = true;
    }
    logger.info(
      { uri: maskUri(uri), database: config.databaseName, stream: config.streamName },
      "connecting",
    );
    const mongo = await connectMongo(uri, {
      maxPoolSize: config.maxPoolSize,
      timeoutMs: config.timeoutMs,
      appName: `claimflow:${config.streamName}`,
    });
    life.add("mongo client", () => mongo.client.close());
    const db = mongo.client.db(config.databaseName);

    // Our own indexes are part of correctness (unique claim version); input indexes are an
    // operator's decision (`claimflow indexes ensure`), except in the throwaway demo.
    const indexes = await ensureIndexes(db, { includeInputCollections: demo });
    if (indexes.created.length > 0) logger.info({ created: indexes.created }, "indexes created");

    let feeder: DemoFeeder | undefined;
    if (demo) {
      feeder = new DemoFeeder(db, logger, {
        initialClaims: 240,
        groups: 4,
        clients: 3,
        trickleEveryMs: 3000,
        trickleClaims: 5,
      });
      await feeder.seed();
      life.add("demo feeder", () => feeder?.stop());
    }

    const ports = createMongoPorts(mongo.client, db, {
      outputDir: config.outputDir,
      streamName: config.streamName,
    });
    const engine = new Engine(
      {
        streamName: config.streamName,
        groupFilter: config.groupFilter,
        batchSize: config.batchSize,
        windowMs: config.windowMs,
        maxInFlight: config.maxInFlight,
        checkpointIntervalMs: config.checkpointIntervalMs,
        markBilled: config.markBilled,
        onTokenLost: config.onTokenLost,
        shutdownTimeoutMs: config.shutdownTimeoutMs,
        holder: `${hostname()}:${process.pid}`,
      },
      { ports, metrics, logger, clock: systemClock },
    );

    const server = new HealthServer({ metrics, readiness: () => engine.readiness(), logger });
    const metricsPort = await server.listen(config.metricsPort);
    life.add("health server", () => server.close());
    logger.info({ port: metricsPort }, "serving /metrics, /healthz, /readyz");

    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        logger.info("stopping: flushing windows and saving the checkpoint");
        feeder?.stop();
        await engine.stop();
        await life.closeAll();
        logger.info("stopped");
      })();
      return stopping;
    };

    const exited = (async () => {
      try {
        await engine.start();
        feeder?.start();
        await engine.done;
        await stop();
        return 0;
      } catch (err) {
        logger.fatal({ err: err instanceof Error ? err.message : String(err) }, "processor failed");
        await engine.stop().catch(() => undefined);
        await life.closeAll();
        return 1;
      }
    })();

    if (opts.handleSignals) {
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        signals++;
        if (signals > 1) {
          logger.error({ signal: sig }, "second signal: exiting now");
          process.exit(1);
        }
        logger.info({ signal: sig }, "signal received");
        void stop();
      };
      process.on("SIGTERM", onSignal);
      process.on("SIGINT", onSignal);
    }

    return { engine, metricsPort, stop, exited };
  } catch (err) {
    await life.closeAll();
    throw err;
  }
}
