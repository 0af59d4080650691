// One timer loop for the processor's background chores (retention, acknowledgement polling,
// index checks): runs never overlap (the next one is scheduled only when the previous ended),
// the timer never keeps the process alive, and stop() waits for a run in flight so shutdown
// does not cut a chore in half. The task itself must not throw; a throw is swallowed here so a
// bug in a chore can never stop billing.
export interface PeriodicTaskOptions {
  readonly intervalMs: number;
  /** Delay of the first run after start (default 0). */
  readonly firstRunAfterMs?: number;
}

export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly run: () => Promise<unknown>,
    private readonly opts: PeriodicTaskOptions,
  ) {}

  start(): void {
    this.schedule(this.opts.firstRunAfterMs ?? 0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.run()
        .catch(() => undefined)
        .finally(() => {
          this.running = undefined;
          this.schedule(this.opts.intervalMs);
        });
    }, ms);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
