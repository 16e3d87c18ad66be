import { CancelledError } from "../domain/errors.js";

/**
 * Waits `ms`, or rejects with `CancelledError(cancelledMessage)` as soon as `signal` aborts; the
 * timer is cleared either way, so an abandoned wait keeps nothing alive. An already aborted
 * signal rejects at once.
 */
export function sleep(ms: number, signal: AbortSignal | undefined, cancelledMessage: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError(cancelledMessage, { cause: signal.reason }));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CancelledError(cancelledMessage, { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
