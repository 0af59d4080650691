// A timer that an AbortSignal cuts short (resolves early, never rejects), for backoff waits
// that must not hold up shutdown.

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    // The listener goes when the timer fires: a standby polls the lease with one long-lived
    // signal, and a listener left per sleep would pile up on it without end.
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
