#!/usr/bin/env node
// `npm start`: the demo (`claimflow demo`: embedded replica set, synthetic claims), whose mongod
// mongodb-memory-server downloads on first use. Some networks block that download;
// when a machine provides a mongod through ../shared/mongodb/install.sh (as CI here does), use it.
// Runs the CLI in this process, and package.json's start script `exec`s this file, so SIGTERM
// to `npm start` (npm forwards it to its child) is SIGTERM to claimflow, never to a shell.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const installer = join(root, "..", "shared", "mongodb", "install.sh");
if (!process.env.MONGOMS_SYSTEM_BINARY && existsSync(installer)) {
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
process.exitCode = await main([process.argv[0], "claimflow", "demo", ...process.argv.slice(2)]);
