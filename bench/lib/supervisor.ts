// What systemd or Kubernetes does for the processor: keep one `claimflow run` child alive,
// restarting it at once whenever it exits, whether we killed it (kill -9) or it stopped on its
// own (e.g. it lost its lease while the primary stepped down). Exits we did not cause are kept,
// with the child's last fatal log line, so a run can report them.
import { type ExitInfo, ProcessorChild } from "./processor-child.js";

export interface SelfExit {
  readonly exit: ExitInfo;
  readonly fatal: string | undefined;
}

export interface SupervisorOptions {
  readonly env: Record<string, string>;
  /** After a kill -9 has been reaped and before the replacement starts. */
  readonly afterKill?: () => Promise<void>;
  /** Delay before restarting a child that exited on its own. */
  readonly restartDelayMs?: number;
}

export class Supervisor {
  private child: ProcessorChild | undefined;
  private readonly intentional = new WeakSet<ProcessorChild>();
  private stopping = false;
  /** Every child started, in order. */
  readonly children: ProcessorChild[] = [];
  kills = 0;
  /** Pids of the children killed with SIGKILL. */
  readonly killedPids = new Set<number>();
  readonly selfExits: SelfExit[] = [];

  constructor(private readonly opts: SupervisorOptions) {}

  get starts(): number {
    return this.children.length;
  }

  get current(): ProcessorChild {
    if (!this.child) throw new Error("the supervisor has not started a processor");
    return this.child;
  }

  start(): ProcessorChild {
    const child = new ProcessorChild({ env: this.opts.env });
    this.child = child;
    this.children.push(child);
    void child.exited.then((exit) => {
      if (this.stopping || this.intentional.has(child)) return;
      this.selfExits.push({ exit, fatal: child.fatal });
      setTimeout(() => {
        if (!this.stopping && this.child === child) this.start();
      }, this.opts.restartDelayMs ?? 500);
    });
    return child;
  }

  /** kill -9 the current child, wait until it is reaped, then start its replacement. */
  async kill9(): Promise<ProcessorChild> {
    const victim = this.current;
    this.intentional.add(victim);
    await victim.kill9();
    this.kills++;
    this.killedPids.add(victim.pid);
    await this.opts.afterKill?.();
    if (this.stopping) return victim;
    return this.start();
  }

  /** On a failed run: kill -9 whatever still runs, restart nothing. */
  async abandon(): Promise<void> {
    this.stopping = true;
    if (this.child && !this.child.exitInfo) await this.child.kill9();
  }

  /** SIGTERM to the current child (the graceful stop); nothing is restarted after it. */
  async stop(timeoutMs: number): Promise<ExitInfo> {
    this.stopping = true;
    const child = this.current;
    this.intentional.add(child);
    return child.terminate(timeoutMs);
  }
}
