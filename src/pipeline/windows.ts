// Windows by (group_id, client_id): a group's buffer flushes EDI_WINDOW_MS after its first
// claim, as soon as it holds EDI_BATCH_SIZE claims, or when the source completes (shutdown).
// A flushed group is released at once, so memory holds only groups with buffered claims.
import {
  asyncScheduler,
  Observable,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
} from "rxjs";

export interface WindowOptions<T> {
  readonly windowMs: number;
  readonly batchSize: number;
  readonly key: (item: T) => string;
  readonly scheduler?: SchedulerLike;
  /** Called whenever the number of open windows changes (for the open-windows gauge). */
  readonly onOpenWindows?: (open: number) => void;
}

export interface Window<T> {
  readonly key: string;
  readonly items: T[];
  readonly reason: "time" | "size" | "shutdown";
}

interface OpenWindow<T> {
  items: T[];
  timer: Subscription;
}

export function windowByGroup<T>(opts: WindowOptions<T>): OperatorFunction<T, Window<T>> {
  const scheduler = opts.scheduler ?? asyncScheduler;
  return (source) =>
    new Observable<Window<T>>((subscriber) => {
      const open = new Map<string, OpenWindow<T>>();
      const report = () => opts.onOpenWindows?.(open.size);

      const flush = (key: string, reason: Window<T>["reason"]) => {
        const w = open.get(key);
        if (!w) return;
        open.delete(key);
        w.timer.unsubscribe();
        report();
        subscriber.next({ key, items: w.items, reason });
      };

      const sub = source.subscribe({
        next: (item) => {
          const key = opts.key(item);
          let w = open.get(key);
          if (!w) {
            w = { items: [], timer: scheduler.schedule(() => flush(key, "time"), opts.windowMs) };
            open.set(key, w);
            report();
          }
          w.items.push(item);
          if (w.items.length >= opts.batchSize) flush(key, "size");
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          for (const key of [...open.keys()]) flush(key, "shutdown");
          subscriber.complete();
        },
      });

      return () => {
        sub.unsubscribe();
        if (open.size === 0) return;
        for (const w of open.values()) w.timer.unsubscribe();
        open.clear();
        report();
      };
    });
}
