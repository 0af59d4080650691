// A replica set for the benches: MONGODB_TEST_URI when set, else mongodb-memory-server (which
// runs MONGOMS_SYSTEM_BINARY when set). On machines that cannot download a mongod but provide
// one through ../shared/mongodb/install.sh (as `npm start` and CI do), that one is used.
// Unlike the tests, a bench without a mongod is an error: it has nothing to measure.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { startTestMongo, type TestMongo } from "../../test/support/mongo.js";
import { repoPath } from "./paths.js";

export type { TestMongo };

export function ensureMongodBinary(): void {
  if (process.env.MONGODB_TEST_URI || process.env.MONGOMS_SYSTEM_BINARY) return;
  const installer = repoPath("..", "shared", "mongodb", "install.sh");
  if (!existsSync(installer)) return;
  try {
    process.env.MONGOMS_SYSTEM_BINARY = execFileSync("bash", [installer], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    }).trim();
  } catch {
    process.stderr.write(`bench: ${installer} failed; falling back to mongodb-memory-server's download\n`);
  }
}

export async function startBenchMongo(members = 1): Promise<TestMongo> {
  ensureMongodBinary();
  const mongo = await startTestMongo({ members });
  if (!mongo) throw new Error("no mongod could be started: set MONGODB_TEST_URI or MONGOMS_SYSTEM_BINARY");
  return mongo;
}
