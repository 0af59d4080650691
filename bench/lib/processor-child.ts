// The processor as an operator runs it: `node bin/claimflow.js run` in a child process, so the
// bench can read its peak RSS from /proc, kill -9 it, send it SIGTERM and scrape its /metrics.
// Its pino JSON log (stdout) is read line by line: the bound metrics port, when streaming starts,
// and how many claims each "837 file written" line emitted (progress without polling MongoDB).
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { repoPath } from "./paths.js";
import { cpuSeconds, statusBytes } from "./proc.js";

export interface ProcessorChildOptions {
  /** EDI_* variables; everything else comes from this process's environment (minus its EDI_*). */
  readonly env: Record<string, string>;
  /** Extra node flags, e.g. ["--cpu-prof", "--cpu-prof-dir=…"]. */
  readonly nodeArgs?: readonly string[];
  /** Keep the last N log lines for a failure report. */
  readonly keepLines?: number;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

interface LogLine {
  readonly msg?: string;
  readonly time?: string;
  readonly port?: number;
  readonly emitted?: number;
  readonly claims?: number;
  readonly ms?: number;
  readonly level?: string;
}

export class ProcessorChild {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<ExitInfo>;
  readonly startedAt = Date.now();
  /** Claims in files this process wrote (including reserved batches it recovered). */
  emitted = 0;
  /** Each written batch's processing time (ms from the start of its processing to its log line). */
  readonly batchMs: number[] = [];
  /** Reserved batches left by a killed predecessor that this process wrote at start. */
  recoveredBatches = 0;
  /** Log time of the first line at which the engine began to read (resume or catch-up). */
  readingSinceMs: number | undefined;
  /** Log time of the last "837 file written" line. */
  lastFileAtMs: number | undefined;
  /** Log time at which it took the stream's lease (after a standby wait, if any). */
  leaseAcquiredAtMs: number | undefined;
  /** The last fatal log line, if any (why it exited on its own). */
  fatal: string | undefined;
  metricsPort: number | undefined;
  exitInfo: ExitInfo | undefined;
  readonly tail: string[] = [];
  private readonly waiters: Array<() => void> = [];

  constructor(opts: ProcessorChildOptions) {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("EDI_")) env[k] = v;
    Object.assign(env, opts.env);
    this.child = spawn(process.execPath, [...(opts.nodeArgs ?? []), repoPath("bin/claimflow.js"), "run"], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    if (this.child.pid === undefined) throw new Error("could not start the processor child");
    this.pid = this.child.pid;
    const keep = opts.keepLines ?? 200;
    const remember = (line: string) => {
      this.tail.push(line);
      if (this.tail.length > keep) this.tail.shift();
    };
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      remember(line);
      this.onLog(line);
    });
    createInterface({ input: this.child.stderr as NodeJS.ReadableStream }).on("line", remember);
    this.exited = new Promise((resolve) => {
      this.child.on("exit", (code, signal) => {
        this.exitInfo = { code, signal };
        this.wake();
        resolve(this.exitInfo);
      });
    });
  }

  private onLog(line: string): void {
    // Only the few lines the bench needs are parsed; the rest are kept as text.
    if (
      !line.includes("837 file written") &&
      !line.includes("recovered reserved batch") &&
      !line.includes("serving /metrics") &&
      !line.includes("resuming after the stored token") &&
      !line.includes("catch-up scan, then streaming") &&
      !line.includes('"lease acquired"') &&
      !line.includes('"level":"fatal"')
    )
      return;
    let l: LogLine;
    try {
      l = JSON.parse(line) as LogLine;
    } catch {
      return;
    }
    const at = l.time ? Date.parse(l.time) : Date.now();
    if (l.msg === "837 file written" && typeof l.emitted === "number") {
      this.emitted += l.emitted;
      this.lastFileAtMs = at;
      if (typeof l.ms === "number") this.batchMs.push(l.ms);
    } else if (l.msg === "recovered reserved batch" && typeof l.claims === "number") {
      this.emitted += l.claims;
      this.recoveredBatches++;
      this.lastFileAtMs = at;
    } else if (l.msg === "serving /metrics, /healthz, /readyz" && typeof l.port === "number") {
      this.metricsPort = l.port;
    } else if (l.msg?.startsWith("resuming after") || l.msg?.startsWith("catch-up scan")) {
      this.readingSinceMs ??= at;
    } else if (l.msg === "lease acquired") {
      this.leaseAcquiredAtMs ??= at;
    } else if (l.level === "fatal") {
      this.fatal = line;
    }
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when `pred` holds (checked on every parsed log line and at exit), or rejects. */
  async until(what: string, pred: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (this.exitInfo) throw new Error(`processor exited (${this.describeExit()}) before ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  describeExit(): string {
    const e = this.exitInfo;
    if (!e) return "running";
    return e.signal ? `signal ${e.signal}` : `code ${e.code}`;
  }

  /** Peak resident set size so far (VmHWM), in bytes; undefined once the process is gone. */
  peakRssBytes(): number | undefined {
    return statusBytes(this.pid, "VmHWM");
  }

  /** CPU seconds (user + system) used so far; undefined once the process is gone. */
  cpuSeconds(): number | undefined {
    return cpuSeconds(this.pid);
  }

  async metricsText(): Promise<string> {
    if (this.metricsPort === undefined) throw new Error("the processor has not reported its metrics port");
    const res = await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`);
    return res.text();
  }

  async ready(): Promise<boolean> {
    if (this.metricsPort === undefined) return false;
    try {
      const res = await fetch(`http://127.0.0.1:${this.metricsPort}/readyz`);
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /** kill -9: no handler runs, nothing is flushed. */
  async kill9(): Promise<ExitInfo> {
    if (!this.exitInfo) this.child.kill("SIGKILL");
    return this.exited;
  }

  /** SIGTERM and wait for the exit (the processor flushes windows and exits 0). */
  async terminate(timeoutMs: number): Promise<ExitInfo> {
    if (!this.exitInfo) this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  logTail(lines = 40): string {
    return this.tail.slice(-lines).join("\n");
  }
}
