/**
 * A value loaded once, on first use (a dynamic import, say), shared by every caller; a failed load
 * is forgotten, so the next call tries again.
 */
export interface Lazy<T> {
  /** Starts the load on the first call; later calls get the same promise. */
  get(): Promise<T>;
  /** The load in progress or done, if `get()` was called and has not failed. */
  started(): Promise<T> | undefined;
}

export function lazy<T>(load: () => Promise<T>): Lazy<T> {
  let current: Promise<T> | undefined;
  return {
    get() {
      if (!current) {
        const loading = load();
        loading.catch(() => {
          if (current === loading) current = undefined;
        });
        current = loading;
      }
      return current;
    },
    started: () => current,
  };
}
