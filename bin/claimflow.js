#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (also run by `npm ci` via `prepare`).
// A missing build and a closed output pipe (`claimflow audit list … | head`) each end with one
// line or silently, never with a stack trace.
const ENTRY = "../dist/src/cli/index.js";

process.stdout.on("error", (err) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});

let main;
try {
  ({ main } = await import(ENTRY));
} catch (err) {
  if (err?.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist/src/cli/index.js")) {
    process.stderr.write("claimflow: not built yet; run `npm run build` (or `npm ci`) first\n");
    process.exit(1);
  }
  throw err;
}

main(process.argv).then(
  (code) => {
    if (typeof code === "number") process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`claimflow: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
