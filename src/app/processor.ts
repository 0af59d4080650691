// `claimflow run`: config → MongoDB (or the embedded demo) → ports → engine + health server →
// signals. SIGTERM/SIGINT stop reading, flush every window, checkpoint, and exit 0 within
// EDI_SHUTDOWN_TIMEOUT_MS; a fatal pipeline error exits 1.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { type Config, MISSING_URI_MESSAGE, maskUri } from "../config.js";
import { ContentKey, ContentKeyring } from "../crypto/content-key.js";
import { createContentCodec } from "../crypto/envelope-codec.js";
import { DemoFeeder } from "../demo/demo-feeder.js";
import type { EmbeddedMongo } from "../demo/embedded-mongo.js";
import type { ProcessFaultError } from "../domain/errors.js";
import { UsageError } from "../domain/errors.js";
import { connectMongo } from "../mongo/connect.js";
import { checkInputIndexes } from "../mongo/index-check.js";
import { ensureAuditTtl, ensureIndexes } from "../mongo/indexes.js";
import { createMongoPorts } from "../mongo/mongo-ports.js";
import { MongoStreamControl } from "../mongo/mongo-stream-control.js";
import { HealthServer } from "../observability/http-server.js";
import { createLogger, type Logger } from "../observability/logger.js";
import { Metrics } from "../observability/metrics.js";
import { Engine } from "../pipeline/engine.js";
import { toProcessFault } from "../pipeline/fault-class.js";
import { type Clock, systemClock } from "../ports/clock.js";
import { Lifecycle } from "./lifecycle.js";
import { AckWatcher } from "./services/ack-watcher.js";
import { BackfillRunner } from "./services/backfill-runner.js";
import { InputIndexWatch } from "./services/input-index-watch.js";
import { PeriodicTask } from "./services/periodic-task.js";
import { RetentionScheduler } from "./services/retention.js";

/** How often the processor removes content past EDI_CONTENT_RETENTION_DAYS. */
const RETENTION_INTERVAL_MS = 3_600_000;

export interface ProcessorHandle {
  readonly engine: Engine;
  readonly metricsPort: number;
  /** Graceful stop (what SIGTERM does). */
  stop(): Promise<void>;
  /** Settles when the processor has ended: 0 after a graceful stop, 1 after a fatal error. */
  readonly exited: Promise<number>;
  /** Why the processor stopped, once `exited` settled with 1: one line for stderr. */
  readonly fault: ProcessFaultError | undefined;
}

export interface ProcessorOptions {
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Install SIGTERM/SIGINT handlers (the CLI does; tests drive stop() themselves). */
  readonly handleSignals?: boolean;
  /** Time source of the engine and the retention timer (tests control it). */
  readonly clock?: Clock;
  /**
   * `claimflow demo` only: the embedded replica set to run on (stopped last, by us). Never
   * derived from a missing EDI_MONGODB_URI: a typo in a secret's name must not put synthetic
   * 837s into a real output directory.
   */
  readonly embedded?: EmbeddedMongo;
}

export async function startProcessor(config: Config, opts: ProcessorOptions = {}): Promise<ProcessorHandle> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const metrics = opts.metrics ?? new Metrics();
  // Every series names its processor (SPEC section 6), whoever built the registry.
  metrics.registry.setDefaultLabels({ stream: config.streamName });
  const life = new Lifecycle(logger);
  const clock = opts.clock ?? systemClock;
  try {
    // Spans are exported only when a collector is configured; the SDK is not even loaded otherwise.
    if (config.otlpEndpoint) {
      const { startTracing } = await import("../observability/tracing.js");
      const tracing = await startTracing({ endpoint: config.otlpEndpoint });
      life.add("tracing", () => tracing.shutdown());
      logger.info({ endpoint: config.otlpEndpoint }, "exporting batch traces over OTLP/HTTP");
    }
    const demo = opts.embedded !== undefined;
    const uri = opts.embedded?.uri ?? config.mongoUri;
    if (!uri) throw new UsageError(MISSING_URI_MESSAGE);
    if (opts.embedded) {
      const embedded = opts.embedded;
      life.add("embedded mongod", () => embedded.stop());
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
    const auditTtl = await ensureAuditTtl(db, config.auditRetentionDays);
    if (auditTtl !== "unchanged") {
      logger.info({ days: config.auditRetentionDays, change: auditTtl }, "audit_log TTL set");
    }

    // PHI at rest: the demo seals with a key of its own (its data dies with it); production
    // without EDI_CONTENT_KEY runs, but says so once, loudly, and on /metrics.
    let keyring = config.contentKeys;
    if (!keyring.encrypts && demo) {
      keyring = new ContentKeyring(ContentKey.generate(), keyring.previous);
      logger.info({ keyId: keyring.current?.id }, "demo: 837 content sealed with a random key for this run");
    } else if (!keyring.encrypts) {
      logger.warn(
        "EDI_CONTENT_KEY is not set: 837 content (PHI) is stored UNENCRYPTED in edi_batches; " +
          "set EDI_CONTENT_KEY (32 bytes, base64) in production",
      );
    }
    metrics.phiEncryptionEnabled.set(keyring.encrypts ? 1 : 0);

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
      codec: createContentCodec(keyring),
    });
    // hostname:pid alone is not unique (pid 1 in containers sharing a hostname, two
    // processors in one process): equal holders would both "hold" the lease.
    const holder = `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
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
        holder,
      },
      { ports, metrics, logger, clock },
    );

    const retention = new RetentionScheduler(
      { db, clock, audit: ports.audit },
      {
        contentRetentionDays: config.contentRetentionDays,
        auditRetentionDays: config.auditRetentionDays,
        intervalMs: RETENTION_INTERVAL_MS,
        // Off the start-up path; reserved batches (recovery's input) are never purged anyway.
        firstRunAfterMs: 60_000,
        logger,
      },
    );
    retention.start();
    life.add("retention timer", () => retention.stop());

    // Acknowledgements: the lease holder imports EDI_ACK_DIR; every processor samples the gauges.
    if (ports.acks) {
      const acks = new AckWatcher(
        {
          store: ports.acks,
          ledger: ports.ledger,
          clock,
          writeBack: config.ackWriteBack,
          maxBytes: config.ackMaxFileBytes,
        },
        {
          dir: config.ackDir,
          intervalMs: config.ackPollMs,
          expectedWithinHours: config.ackExpectedWithinHours,
          // Only the lease holder while it streams; a hot standby is "ready" too, with role standby.
          isActive: () => {
            const r = engine.readiness();
            return r.ready && r.role === "active";
          },
          logger,
          metrics,
        },
      );
      acks.start();
      life.add("acknowledgement watcher", () => acks.stop());
    }

    // Input indexes: created by the operator, never by `run`; missing ones are slow, not wrong,
    // so they are loud (log, gauge, /readyz note) but leave the processor ready.
    const indexWatch = new InputIndexWatch(() => checkInputIndexes(db), {
      intervalMs: config.indexCheckMs,
      logger,
      metrics,
    });
    indexWatch.start();
    life.add("input index check", () => indexWatch.stop());

    // Operator controls (`claimflow pause` / `resume` / `backfill`): read at start (a paused
    // stream stays paused across restarts and takeovers) and every EDI_CONTROL_POLL_SECONDS.
    const controls = new MongoStreamControl(db);
    const backfills = new BackfillRunner({
      streamName: config.streamName,
      holder,
      backfills: controls,
      engine,
      audit: ports.audit,
      clock,
      metrics,
      logger,
    });
    // Before the engine starts: a paused stream must not read even one event after a restart.
    engine.setPaused(await controls.pauseState(config.streamName));
    const controlWatch = new PeriodicTask(
      async () => {
        try {
          engine.setPaused(await controls.pauseState(config.streamName));
        } catch (err) {
          metrics.mongoErrors.inc({ operation: "stats" });
          logger.warn({ err }, "stream_controls not read; will retry");
        }
        // Only the lease holder while running; a request waits in the database until then.
        await backfills.poll();
      },
      { intervalMs: config.controlPollMs, firstRunAfterMs: config.controlPollMs },
    );
    controlWatch.start();
    life.add("stream control watch", () => controlWatch.stop());
    life.add("backfill runner", () => backfills.stop());

    const readiness = () => {
      const r = engine.readiness();
      const note = r.ready && r.reason === undefined ? indexWatch.readinessNote() : undefined;
      return note === undefined ? r : { ...r, reason: note };
    };
    const server = new HealthServer({ metrics, readiness, logger });
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

    let fault: ProcessFaultError | undefined;
    const exited = (async () => {
      try {
        await engine.start();
        feeder?.start();
        await engine.done;
        await stop();
        return 0;
      } catch (err) {
        // One line saying what failed and what to do; the error itself goes along, so the
        // logger's err serializer can scrub a MongoDB message.
        fault = toProcessFault(err);
        logger.fatal({ err, code: fault.code, reason: fault.reason }, fault.message);
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

    return {
      engine,
      metricsPort,
      stop,
      exited,
      get fault() {
        return fault;
      },
    };
  } catch (err) {
    await life.closeAll();
    throw err;
  }
}
