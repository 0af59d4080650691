#!/usr/bin/env node
// `npm start`: the processor (`claimflow run`). With no EDI_MONGODB_URI it runs the embedded demo,
// whose mongod mongodb-memory-server downloads on first use. Some networks block that download;
// when a machine provides a mongod through ../shared/mongodb/install.sh (as CI here does), use it.
// Runs the CLI in this process, so SIGTERM to it is SIGTERM to claimflow.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const installer = join(root, "..", "shared", "mongodb", "install.sh");
if (!process.env.EDI_MONGODB_URI && !process.env.MONGOMS_SYSTEM_BINARY && existsSync(installer)) {
  try {
    process.env.MONGOMS_SYSTEM_BINARY = execFileSync("bash", [installer], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    }).trim();
  } catch {
    process.stderr.write(
      `claimflow: ${installer} failed; falling back to mongodb-memory-server's download\n`,
    );
  }
}

const { main } = await import(join(root, "dist", "src", "cli", "index.js"));
process.exitCode = await main([process.argv[0], "claimflow", "run", ...process.argv.slice(2)]);
