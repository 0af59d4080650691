// Runs the real ops tools (promtool, docker-compose) that judge our assets. A missing tool is a
// failure with install instructions, never a skip: a green run must mean the assets were checked.
import { spawnSync } from "node:child_process";

export interface ToolResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const INSTALL_HINT =
  "install the Debian packages `prometheus` (for promtool) and `docker-compose` " +
  "(apt-get install prometheus docker-compose; CI's .ci/run does this)";

export function runTool(
  tool: "promtool" | "docker-compose",
  args: readonly string[],
  opts: { cwd?: string; input?: string } = {},
): ToolResult {
  const r = spawnSync(tool, args, {
    cwd: opts.cwd,
    input: opts.input,
    encoding: "utf8",
    timeout: 30_000,
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new Error(`${tool} is not installed: ${INSTALL_HINT}`);
    throw new Error(`${tool} ${args.join(" ")} could not run: ${r.error.message}`);
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One line a failing assertion can show: the tool's own words. */
export function toolOutput(r: ToolResult): string {
  return `exit ${r.status}\n${r.stdout}${r.stderr}`;
}
