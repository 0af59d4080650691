// The repository root, whether this runs from bench/ (vitest, tsx) or from dist/bench/ (npm run bench).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findRoot(from: string): string {
  let dir = from;
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "claimflow")
      return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the claimflow package root");
    dir = parent;
  }
}

export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

export const repoPath = (...parts: string[]): string => join(ROOT, ...parts);
