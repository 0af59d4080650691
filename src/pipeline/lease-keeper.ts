// One active processor per stream name: acquire the lease (a standby waits here until it
// lapses), renew it well before it expires, and report a loss so the engine stops rather
// than run beside another processor.
import { ClaimflowError } from "../domain/errors.js";
import type { Logger } from "../observability/logger.js";
import type { Clock } from "../ports/clock.js";
import type { LeaseStore } from "../ports/lease.js";
import { sleep } from "./sleep.js";

/** The lease went to another processor (or could not be renewed in time): this one must stop. */
export class LeaseLostError extends ClaimflowError {
  readonly code = "LEASE_LOST";
  constructor(readonly streamName: string) {
    super(
      `lease of stream "${streamName}" was lost to another processor (or could not be renewed in time); ` +
        "stopping so two processors never run the same stream",
    );
  }
}

export interface LeaseKeeperOptions {
  readonly leases: LeaseStore;
  readonly streamName: string;
  readonly holder: string;
  readonly ttlMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onLost: () => void;
}

export class LeaseKeeper {
  private renewTimer: NodeJS.Timeout | undefined;
  private held = false;
  private failures = 0;

  constructor(private readonly o: LeaseKeeperOptions) {}

  /** Resolves once the lease is ours (or the signal aborts). */
  async acquire(signal: AbortSignal): Promise<void> {
    let announced = false;
    while (!signal.aborted) {
      let ok = false;
      try {
        ok = await this.o.leases.tryAcquire(
          this.o.streamName,
          this.o.holder,
          this.o.ttlMs,
          this.o.clock.now(),
        );
      } catch (err) {
        this.o.logger.warn({ err: String(err) }, "lease acquisition failed; retrying");
      }
      if (ok) {
        this.held = true;
        this.o.logger.info({ stream: this.o.streamName, holder: this.o.holder }, "lease acquired");
        this.scheduleRenewal();
        return;
      }
      if (!announced) {
        const cur = await this.o.leases.current(this.o.streamName).catch(() => null);
        this.o.logger.info(
          { stream: this.o.streamName, holder: cur?.holder, expiresAt: cur?.expiresAt },
          "standby: another processor holds the lease",
        );
        announced = true;
      }
      await sleep(Math.max(200, this.o.ttlMs / 3), signal);
    }
  }

  private scheduleRenewal(): void {
    this.renewTimer = setInterval(() => void this.renew(), Math.max(100, this.o.ttlMs / 3));
    this.renewTimer.unref();
  }

  private renewing = false;

  private async renew(): Promise<void> {
    // Single flight: a renewal still waiting on a slow server must not be joined by another.
    if (!this.held || this.renewing) return;
    this.renewing = true;
    try {
      await this.renewOnce();
    } finally {
      this.renewing = false;
    }
  }

  private async renewOnce(): Promise<void> {
    try {
      const ok = await this.o.leases.tryAcquire(
        this.o.streamName,
        this.o.holder,
        this.o.ttlMs,
        this.o.clock.now(),
      );
      if (!ok) {
        this.held = false;
        this.stop();
        this.o.logger.error({ stream: this.o.streamName }, "lease lost to another processor");
        this.o.onLost();
        return;
      }
      this.failures = 0;
    } catch (err) {
      // A renewal that cannot reach MongoDB is not a loss yet; two missed renewals leave a third
      // of the TTL, after which a standby may take over, so stop before that can happen.
      this.failures++;
      this.o.logger.warn({ err: String(err), failures: this.failures }, "lease renewal failed");
      if (this.failures >= 2) {
        this.held = false;
        this.stop();
        this.o.onLost();
      }
    }
  }

  stop(): void {
    clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }

  async release(): Promise<void> {
    this.stop();
    if (!this.held) return;
    this.held = false;
    await this.o.leases.release(this.o.streamName, this.o.holder).catch(() => undefined);
  }
}
