// Components start in order and close in reverse, each exactly once (fastify's onClose idea),
// so a failure half-way through start-up still releases what was already open.
import type { Logger } from "../observability/logger.js";

export class Lifecycle {
  private readonly closers: { name: string; close: () => Promise<void> | void }[] = [];
  private closing: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  /** Registers a component that is now open; `close` runs at shutdown, after everything opened later. */
  add(name: string, close: () => Promise<void> | void): void {
    this.closers.push({ name, close });
  }

  closeAll(): Promise<void> {
    this.closing ??= (async () => {
      for (const c of this.closers.reverse()) {
        try {
          await c.close();
        } catch (err) {
          this.logger.warn(
            { component: c.name, err: err instanceof Error ? err.message : String(err) },
            "close failed",
          );
        }
      }
    })();
    return this.closing;
  }
}
