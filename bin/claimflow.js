#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (also run by `npm ci` via `prepare`).
import { main } from "../dist/src/cli/index.js";

main(process.argv).then(
  (code) => {
    if (typeof code === "number") process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`claimflow: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
