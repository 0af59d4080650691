// Fault injection for the in-memory twins: every port call of one connection first passes
// `hit(point)`, which can throw a transient error (what a step-down or a dropped socket looks
// like to the pipeline), let the call happen and then lose its reply (the write is applied,
// the caller sees an error and retries), hold the call until a test lets it go, or kill the
// connection (every call from then on hangs forever: the process is gone and can change
// nothing any more).

/** `<port>.<method>`, e.g. "ledger.reserve", "cursor.tryNext", "sink.write". */
export type FaultPoint = `${string}.${string}`;

/** What an injected transient failure looks like: like a driver's network error, retryable. */
export class InjectedFaultError extends Error {
  readonly code = "INJECTED_FAULT";
  constructor(readonly point: FaultPoint) {
    super(`injected transient failure at ${point}`);
    this.name = "InjectedFaultError";
  }
}

export interface ArmOptions {
  /** How many calls fail (default 1; Infinity for "until disarmed"). */
  readonly times?: number;
  /** Calls let through before the first failure (default 0). */
  readonly skip?: number;
  /** What to throw; default an InjectedFaultError. */
  readonly error?: (point: FaultPoint) => unknown;
  /** Hold the calls (they resolve normally after `resume(point)`) instead of throwing. */
  readonly hold?: boolean;
  /** Run the call, then throw instead of returning its result (a reply lost on the wire). */
  readonly lostReply?: boolean;
  /** Kill the connection at this call: it and every later call never settle. */
  readonly kill?: boolean;
}

interface Armed {
  remaining: number;
  skip: number;
  readonly error: ((point: FaultPoint) => unknown) | undefined;
  readonly hold: boolean;
  readonly lostReply: boolean;
  readonly kill: boolean;
}

/** What a call that passed the gate does: run normally, or run and then fail. */
export type Outcome = "run" | "lostReply";

const NEVER = new Promise<never>(() => undefined);

export class Faults {
  private readonly armed = new Map<FaultPoint, Armed>();
  private readonly held = new Map<FaultPoint, Array<() => void>>();
  private readonly calls = new Map<FaultPoint, number>();
  private dead = false;

  arm(point: FaultPoint, opts: ArmOptions = {}): void {
    this.armed.set(point, {
      remaining: opts.times ?? 1,
      skip: opts.skip ?? 0,
      error: opts.error,
      hold: opts.hold ?? false,
      lostReply: opts.lostReply ?? false,
      kill: opts.kill ?? false,
    });
  }

  disarm(point?: FaultPoint): void {
    if (point) this.armed.delete(point);
    else this.armed.clear();
  }

  /** Lets every held call at `point` proceed (and stops holding new ones). */
  resume(point: FaultPoint): void {
    this.armed.delete(point);
    const waiters = this.held.get(point) ?? [];
    this.held.delete(point);
    for (const w of waiters) w();
  }

  /** Calls currently held at `point`. */
  heldAt(point: FaultPoint): number {
    return this.held.get(point)?.length ?? 0;
  }

  /** Simulates kill -9 of the process using this connection. */
  kill(): void {
    this.dead = true;
  }

  get killed(): boolean {
    return this.dead;
  }

  /** Calls seen at `point` (including failed and held ones). */
  count(point: FaultPoint): number {
    return this.calls.get(point) ?? 0;
  }

  /** Gate for one port call: resolves to let it run, rejects to fail it, or never settles. */
  hit(point: FaultPoint): Promise<Outcome> {
    this.calls.set(point, (this.calls.get(point) ?? 0) + 1);
    if (this.dead) return NEVER;
    const a = this.armed.get(point);
    if (!a) return Promise.resolve("run");
    if (a.skip > 0) {
      a.skip--;
      return Promise.resolve("run");
    }
    if (a.remaining <= 0) {
      this.armed.delete(point);
      return Promise.resolve("run");
    }
    a.remaining--;
    if (a.kill) {
      this.dead = true;
      return NEVER;
    }
    if (a.hold) {
      return new Promise((resolve) => {
        const list = this.held.get(point) ?? [];
        list.push(() => (this.dead ? undefined : resolve("run")));
        this.held.set(point, list);
      });
    }
    if (a.lostReply) return Promise.resolve("lostReply");
    return Promise.reject(this.errorFor(point));
  }

  /** The error a failed or reply-lost call at `point` throws. */
  errorFor(point: FaultPoint): unknown {
    const a = this.armed.get(point);
    return a?.error ? a.error(point) : new InjectedFaultError(point);
  }
}

/**
 * A view of `target` whose listed async methods pass `faults.hit("<name>.<method>")` first;
 * everything else goes straight to `target` (methods bound to it, so state is never split
 * between the view and the target). Each connection gets its own view over shared state.
 */
export function guarded<T extends object>(
  target: T,
  name: string,
  faults: Faults,
  methods: readonly (keyof T & string)[],
): T {
  const wrapped = new Map<PropertyKey, unknown>();
  for (const m of methods) {
    const fn = target[m];
    if (typeof fn !== "function") throw new TypeError(`${name}.${m} is not a method`);
    const point: FaultPoint = `${name}.${m}`;
    wrapped.set(m, async (...args: unknown[]) => {
      const outcome = await faults.hit(point);
      const result = await (fn as (...a: unknown[]) => unknown).apply(target, args);
      if (outcome === "lostReply") throw faults.errorFor(point);
      return result;
    });
  }
  return new Proxy(target, {
    get(t, prop) {
      if (wrapped.has(prop)) return wrapped.get(prop);
      const v: unknown = Reflect.get(t, prop, t);
      return typeof v === "function" ? v.bind(t) : v;
    },
  });
}
