// One active processor per stream name: acquire the lease (a standby waits here until it
// lapses), renew it well before it expires, and report a loss so the engine stops rather
// than run beside another processor.
//
// Whether a lease has lapsed is decided by the store on its own clock (MongoDB's `$$NOW`), so
// this process's wall clock plays no part. What this side times is only "how long since my last
// renewal went through", on the monotonic clock: each attempt is cut off after a quarter of the
// TTL, and without a successful renewal for three quarters of it the keeper gives up — a quarter
// TTL before any standby may take over (the server counts the TTL from when the renewal reached
// it, which is after it was sent). A deadline that fires late because this process was frozen
// asks the store once before giving up (onDeadline).
import { performance } from "node:perf_hooks";
import { ClaimflowError } from "../domain/errors.js";
import type { Logger } from "../observability/logger.js";
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

/** A lease call that did not finish within its bound. */
export class LeaseTimeoutError extends ClaimflowError {
  readonly code = "LEASE_TIMEOUT";
}

export interface LeaseKeeperOptions {
  readonly leases: LeaseStore;
  readonly streamName: string;
  readonly holder: string;
  readonly ttlMs: number;
  readonly logger: Logger;
  readonly onLost: () => void;
  /** Told when this process starts or stops holding the lease (the active gauge). */
  readonly onActiveChange?: (active: boolean) => void;
}

export class LeaseKeeper {
  private renewTimer: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private held = false;
  private renewing = false;
  /** The last lease call reached the store (a standby that cannot is not ready). */
  private storeReachable = false;

  constructor(private readonly o: LeaseKeeperOptions) {}

  /** Longest one take/renew may take: a quarter of the TTL. */
  get callTimeoutMs(): number {
    return Math.max(50, Math.floor(this.o.ttlMs / 4));
  }

  /** The last attempt to take or renew the lease got an answer from the store. */
  get reachable(): boolean {
    return this.storeReachable;
  }

  get active(): boolean {
    return this.held;
  }

  /** Resolves once the lease is ours (or the signal aborts). */
  async acquire(signal: AbortSignal): Promise<void> {
    let announced = false;
    while (!signal.aborted) {
      let ok = false;
      const sentAt = performance.now();
      try {
        ok = await this.attempt();
        this.storeReachable = true;
      } catch (err) {
        this.storeReachable = false;
        this.o.logger.warn({ err: String(err) }, "lease acquisition failed; retrying");
      }
      if (ok) {
        this.setHeld(true);
        this.o.logger.info({ stream: this.o.streamName, holder: this.o.holder }, "lease acquired");
        this.armDeadline(sentAt);
        this.scheduleRenewal();
        return;
      }
      if (!announced && this.storeReachable) {
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

  /** One take/renew, cut off (client side, and server side via the store) after callTimeoutMs. */
  private attempt(): Promise<boolean> {
    const timeoutMs = this.callTimeoutMs;
    const call = this.o.leases.tryAcquire(this.o.streamName, this.o.holder, this.o.ttlMs, { timeoutMs });
    // The call is abandoned on timeout, not cancelled: its late outcome must not go unhandled.
    call.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new LeaseTimeoutError(`lease call took longer than ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
  }

  private scheduleRenewal(): void {
    this.renewTimer = setInterval(() => void this.renew(), Math.max(100, this.o.ttlMs / 3));
    this.renewTimer.unref();
  }

  /** Gives the lease up as lost unless a renewal sent after `sentAt` succeeds within 3/4 TTL. */
  private armDeadline(sentAt: number): void {
    clearTimeout(this.deadline);
    const dueAt = sentAt + (this.o.ttlMs * 3) / 4;
    this.deadline = setTimeout(() => void this.onDeadline(dueAt), Math.max(0, dueAt - performance.now()));
    this.deadline.unref();
  }

  /**
   * On time, the deadline means renewals hang or fail: the lease is given up while still live on
   * the store. Late by more than an attempt's bound, it means this process itself was frozen (a
   * long GC pause, a starved CPU): no renewal could even be sent, and no work was done either. Then
   * the store decides, with one bounded renewal: it succeeds only while no other processor holds
   * the lease (the same atomic take as always), so a pause alone no longer ends a processor that
   * nobody replaced (seen on a loaded machine: a 400 ms stall stopped a lone processor for good).
   */
  private async onDeadline(dueAt: number): Promise<void> {
    if (!this.held) return;
    const lateMs = performance.now() - dueAt;
    if (lateMs < this.callTimeoutMs) {
      this.lose("lease not renewed in time");
      return;
    }
    const sentAt = performance.now();
    let ok = false;
    try {
      ok = await this.attempt();
      this.storeReachable = true;
    } catch {
      this.storeReachable = false;
    }
    if (!this.held) return;
    if (!ok) {
      this.lose("lease not renewed in time (process paused)");
      return;
    }
    this.o.logger.warn(
      { stream: this.o.streamName, pausedMs: Math.round(lateMs) },
      "process was paused past the lease renewal deadline; the store still gave this processor the lease",
    );
    this.armDeadline(sentAt);
  }

  private async renew(): Promise<void> {
    // Single flight: a renewal still waiting on a slow server must not be joined by another.
    if (!this.held || this.renewing) return;
    this.renewing = true;
    const sentAt = performance.now();
    try {
      const ok = await this.attempt();
      this.storeReachable = true;
      if (!this.held) return;
      if (!ok) {
        this.lose("lease lost to another processor");
        return;
      }
      this.armDeadline(sentAt);
    } catch (err) {
      // Not a loss yet: the deadline decides, well before the lease could lapse on the server.
      this.storeReachable = false;
      this.o.logger.warn({ err: String(err) }, "lease renewal failed");
    } finally {
      this.renewing = false;
    }
  }

  private lose(why: string): void {
    if (!this.held) return;
    this.setHeld(false);
    this.stop();
    this.o.logger.error({ stream: this.o.streamName }, why);
    this.o.onLost();
  }

  private setHeld(held: boolean): void {
    if (this.held === held) return;
    this.held = held;
    this.o.onActiveChange?.(held);
  }

  stop(): void {
    clearInterval(this.renewTimer);
    clearTimeout(this.deadline);
    this.renewTimer = undefined;
    this.deadline = undefined;
  }

  async release(): Promise<void> {
    this.stop();
    if (!this.held) return;
    this.setHeld(false);
    await this.o.leases.release(this.o.streamName, this.o.holder).catch(() => undefined);
  }
}
