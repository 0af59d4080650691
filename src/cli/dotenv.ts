// `.env` in the working directory, loaded when present (as .env.example promises), with Node's
// own parser (process.loadEnvFile, Node >= 20.12; engines asks >= 20.19). Variables already set
// in the environment win: a deployment's real settings are never overridden by a stray file.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError } from "../domain/errors.js";

/** The names the file supplied (absent before, present after); empty when there is no file. */
export function loadDotEnv(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): Set<string> {
  const path = resolve(cwd, ".env");
  if (!existsSync(path)) return new Set();
  const before = new Set(Object.keys(env));
  try {
    process.loadEnvFile(path);
  } catch (err) {
    const why = err instanceof Error && "code" in err ? String(err.code) : "unreadable";
    throw new UsageError(`.env in ${cwd} cannot be read (${why}); fix or remove it`);
  }
  return new Set(Object.keys(env).filter((k) => !before.has(k)));
}
