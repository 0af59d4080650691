// One replica set per test file: MONGODB_TEST_URI when set (each file gets its own database),
// else mongodb-memory-server (which runs MONGOMS_SYSTEM_BINARY when set, else downloads a mongod).
// When no mongod can be had at all, `startTestMongo` returns undefined after printing one loud
// line; files then `describe.skipIf(!mongo)`, so the tests count as skipped, never as passed.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { MongoMemoryReplSet } from "mongodb-memory-server";

/**
 * On machines where mongod is the Windows build under wine (../shared/mongodb/install.sh), every
 * mongod of one Wine prefix shares one wineserver, and concurrent test files then stall each
 * other's servers. Each test process gets its own prefix: a hard-linked copy (a second, cheap),
 * inherited by the children it starts. Elsewhere this does nothing.
 */
export function isolateWinePrefix(): (() => void) | undefined {
  const binary = process.env.MONGOMS_SYSTEM_BINARY;
  if (!binary || process.env.WINEPREFIX) return undefined;
  const shared = join(dirname(binary), "wineprefix");
  if (!existsSync(join(shared, "system.reg"))) return undefined;
  const own = join(tmpdir(), `claimflow-wine-${process.pid}-${randomBytes(3).toString("hex")}`);
  mkdirSync(own, { recursive: true });
  try {
    execFileSync("cp", ["-al", join(shared, "drive_c"), own]);
  } catch {
    execFileSync("cp", ["-a", join(shared, "drive_c"), own]);
  }
  execFileSync("sh", ["-c", `cp -a "${shared}"/*.reg "${shared}/dosdevices" "${own}/"`]);
  process.env.WINEPREFIX = own;
  return () => rmSync(own, { recursive: true, force: true });
}

/** Starts under Wine fail now and then on a loaded machine (a timeout, a port taken). */
const START_ATTEMPTS = 3;

/**
 * A replica set, started up to START_ATTEMPTS times: a start that fails once on a busy machine
 * must not turn a file's integration tests into skips (a skip in CI is a failure of the work).
 */
async function withStartRetries(create: () => Promise<MongoMemoryReplSet>): Promise<MongoMemoryReplSet> {
  for (let attempt = 1; ; attempt++) {
    let rs: MongoMemoryReplSet | undefined;
    try {
      rs = await create();
      await rs.waitUntilRunning();
      return rs;
    } catch (err) {
      await rs?.stop({ doCleanup: true, force: true }).catch(() => undefined);
      if (attempt >= START_ATTEMPTS) throw err;
      const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
      process.stderr.write(
        `test mongod start failed (attempt ${attempt} of ${START_ATTEMPTS}: ${why}); retrying\n`,
      );
    }
  }
}

export interface TestMongo {
  readonly uri: string;
  /** A fresh database name for this file (or test). */
  dbName(prefix?: string): string;
  stop(): Promise<void>;
}

export async function startTestMongo(opts: { members?: number } = {}): Promise<TestMongo | undefined> {
  const dbName = (prefix = "t") => `${prefix}_${randomBytes(4).toString("hex")}`;
  const external = process.env.MONGODB_TEST_URI;
  if (external) return { uri: external, dbName, stop: async () => undefined };
  const cleanupPrefix = isolateWinePrefix();
  try {
    const rs = await withStartRetries(() =>
      MongoMemoryReplSet.create({
        replSet: { count: opts.members ?? 1, storageEngine: "wiredTiger" },
        // One entry per member: members without one get the library's 10 s, which a loaded
        // machine exceeds (the 3-member set of `npm run chaos` failed to start that way).
        instanceOpts: Array.from({ length: opts.members ?? 1 }, () => ({ launchTimeout: 120_000 })),
      }),
    );
    return {
      uri: rs.getUri(),
      dbName,
      stop: () => rs.stop({ doCleanup: true, force: true }).then(() => undefined),
    };
  } catch (err) {
    cleanupPrefix?.();
    const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
    process.stderr.write(
      `\n!!! MONGODB INTEGRATION TESTS SKIPPED: no mongod could be started (${why}).\n` +
        "!!! Set MONGODB_TEST_URI to a replica set, or MONGOMS_SYSTEM_BINARY to a mongod binary " +
        "(here: bash ../shared/mongodb/install.sh), to run them.\n\n",
    );
    return undefined;
  }
}

/** A MongoDB user of the auth-enabled test replica set. */
export interface MongoUser {
  readonly user: string;
  readonly pwd: string;
}

export interface AuthTestMongo {
  /** The replica set's URI logged in as `who` (users live in admin). */
  uriFor(who: MongoUser): string;
  stop(): Promise<void>;
}

/**
 * One auth-enabled single-member replica set whose root user is `root` (the least-privilege and
 * fault tests create their limited users through it). Undefined, after one loud line naming
 * `what` as skipped, when no mongod can be started: files then `describe.skipIf(!mongo)`.
 */
export async function startAuthTestMongo(root: MongoUser, what: string): Promise<AuthTestMongo | undefined> {
  const cleanupPrefix = isolateWinePrefix();
  try {
    const rs = await withStartRetries(() =>
      MongoMemoryReplSet.create({
        replSet: {
          count: 1,
          storageEngine: "wiredTiger",
          auth: { enable: true, customRootName: root.user, customRootPwd: root.pwd },
        },
        instanceOpts: [{ launchTimeout: 120_000 }],
      }),
    );
    return {
      uriFor: (who) =>
        rs
          .getUri()
          .replace("mongodb://", `mongodb://${who.user}:${encodeURIComponent(who.pwd)}@`)
          .concat("&authSource=admin"),
      stop: () => rs.stop({ doCleanup: true, force: true }).then(() => undefined),
    };
  } catch (err) {
    cleanupPrefix?.();
    const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
    process.stderr.write(
      `\n!!! ${what} SKIPPED: no auth-enabled mongod could be started (${why}).\n` +
        "!!! Set MONGOMS_SYSTEM_BINARY to a mongod binary (here: bash ../shared/mongodb/install.sh).\n\n",
    );
    return undefined;
  }
}
