// What an operator command needs from the environment: the validated configuration and, for
// commands that touch the database, a MongoDB connection with the same ports the processor
// uses (src/mongo/mongo-ports.ts), opened for the command and closed after it. The driver and
// the adapters load on first use, so `--help`, `validate` and argument errors stay fast.
import type { Db, MongoClient } from "mongodb";
import { DatabaseUnavailableError } from "../app/services/operator-errors.js";
import { type Config, loadConfig, maskUri, scrubUriMessage } from "../config.js";
import { UsageError } from "../domain/errors.js";
import type { PipelinePorts } from "../ports/bundle.js";
import { type Clock, systemClock } from "../ports/clock.js";

export interface OperatorContext {
  readonly config: Config;
  readonly client: MongoClient;
  readonly db: Db;
  readonly ports: PipelinePorts;
  readonly clock: Clock;
}

/** An operator command holds few connections: it runs a handful of queries one after another. */
const CLI_POOL_SIZE = 4;

/** Loads the configuration; a ConfigError lists every problem at once (exit 2). */
export function operatorConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return loadConfig(env);
}

/** Connects, runs `fn` with the processor's ports, and always closes the connection. */
export async function withOperatorContext<T>(fn: (ctx: OperatorContext) => Promise<T>): Promise<T> {
  const config = operatorConfig();
  const uri = config.mongoUri;
  if (uri === undefined) {
    // An operator command against a throwaway database would report or change nothing real.
    throw new UsageError(
      "EDI_MONGODB_URI is not set: operator commands need the processor's database " +
        "(set it to the processor's replica set URI)",
    );
  }
  const [{ connectMongo }, { createMongoPorts }, { createContentCodec }] = await Promise.all([
    import("../mongo/connect.js"),
    import("../mongo/mongo-ports.js"),
    import("../crypto/envelope-codec.js"),
  ]);
  let connection: Awaited<ReturnType<typeof connectMongo>>;
  try {
    connection = await connectMongo(uri, {
      maxPoolSize: Math.min(config.maxPoolSize, CLI_POOL_SIZE),
      timeoutMs: config.timeoutMs,
      appName: "claimflow-cli",
      databaseName: config.databaseName,
    });
  } catch (err) {
    throw new DatabaseUnavailableError(
      maskUri(uri),
      scrubUriMessage(err instanceof Error ? err.message : String(err), uri),
      err,
    );
  }
  const { client, db } = connection;
  try {
    // The processor's keys: replay decrypts with them, and what operators store stays sealed.
    const ports = createMongoPorts(client, db, {
      outputDir: config.outputDir,
      codec: createContentCodec(config.contentKeys),
    });
    return await fn({ config, client, db, ports, clock: systemClock });
  } finally {
    await client.close().catch(() => undefined);
  }
}
