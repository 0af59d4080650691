// Runs the real `claimflow` binary (bin/claimflow.js → dist/) as a child process, the way an
// operator does. dist/ is rebuilt first when any source file is newer than the last build
// (`npm test` builds before vitest, so there this is a no-op); a lock directory keeps two test
// files running in parallel from compiling at the same time. The build is incremental
// (tsconfig.build.json): tsc writes only what changed, so a build with nothing to do (the demo
// test's `npm start`) rewrites no file under another test's running CLI.
import { execFile } from "node:child_process";
import { mkdir, readdir, rmdir, stat, utimes } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/claimflow.js");
const ENTRY = join(ROOT, "dist/src/cli/index.js");
/** tsc's incremental state: rewritten by every build that emitted something. */
const BUILD_INFO = join(ROOT, "dist/.tsbuildinfo");
const LOCK = join(ROOT, "dist/.cli-test-build.lock");

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function newestSource(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, await newestSource(path));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, (await stat(path)).mtimeMs);
  }
  return newest;
}

/** When dist/ was last built from the sources (0: never, or its entry point is missing). */
async function builtAt(): Promise<number> {
  const mtime = (path: string) =>
    stat(path).then(
      (s) => s.mtimeMs,
      () => 0,
    );
  return (await mtime(ENTRY)) === 0 ? 0 : mtime(BUILD_INFO);
}

async function acquireLock(): Promise<void> {
  await mkdir(join(ROOT, "dist"), { recursive: true });
  for (let i = 0; i < 600; i++) {
    try {
      await mkdir(LOCK);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`could not take ${LOCK} within 150 s (remove it if no build is running)`);
}

/** Compiles src/ to dist/ when dist/ is older than the sources. */
export async function ensureBuilt(): Promise<void> {
  const sources = await newestSource(join(ROOT, "src"));
  if ((await builtAt()) >= sources) return;
  await acquireLock();
  try {
    if ((await builtAt()) >= sources) return; // another test file built it meanwhile
    const built = await run(
      process.execPath,
      [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
      {
        cwd: ROOT,
        maxBuffer: 16 * 1024 * 1024,
      },
    ).then(
      () => true,
      () => false,
    );
    // A source touched but not changed emits nothing, and tsc leaves its state file alone: a
    // clean build marks dist/ as current. A failed one must not.
    if (built && (await builtAt()) < sources) {
      const now = new Date();
      await utimes(BUILD_INFO, now, now).catch(() => undefined);
    }
    if ((await builtAt()) < sources)
      throw new Error("tsc did not build dist/ from the sources; run npm run build");
  } finally {
    await rmdir(LOCK).catch(() => undefined);
  }
}

/** Every EDI_* variable is set explicitly per call, so the test runner's environment cannot leak in. */
function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("EDI_")) base[k] = v;
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete base[k];
    else base[k] = v;
  }
  return base;
}

export async function cli(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  opts: { readonly timeoutMs?: number; readonly cwd?: string } = {},
): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: childEnv(env),
      timeout: opts.timeoutMs ?? 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string; killed?: boolean };
    if (typeof e.code !== "number") throw err;
    return { code: e.code, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** The contract for user errors: exit 2, exactly one line on stderr, no stack trace. */
export function expectUsageError(r: CliResult, pattern: RegExp): void {
  const lines = r.stderr.split("\n").filter((l) => l.length > 0);
  const problems: string[] = [];
  if (r.code !== 2) problems.push(`exit code ${r.code}, expected 2`);
  if (lines.length !== 1) problems.push(`${lines.length} stderr lines, expected 1`);
  if (/\n\s+at /.test(r.stderr)) problems.push("stack trace on stderr");
  if (!pattern.test(r.stderr)) problems.push(`stderr does not match ${pattern}`);
  if (problems.length > 0)
    throw new Error(`${problems.join("; ")}\nstderr: ${r.stderr}\nstdout: ${r.stdout}`);
}

/** A shell command line (for `script`, which gives the binary a terminal), same env rules as cli(). */
export async function sh(command: string, env: Record<string, string | undefined> = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run("/bin/sh", ["-c", command], {
      cwd: ROOT,
      env: childEnv(env),
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== "number") throw err;
    return { code: e.code, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}
