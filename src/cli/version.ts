// claimflow's version for `claimflow --version`: package.json's, read next to dist/ (it ships in
// the image and the npm package), so the number cannot drift from a copy in code.
import { readFileSync } from "node:fs";

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
      version?: unknown;
    };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}
