/** Runs work items with bounded concurrency; stops taking new ones once `signal` aborts. */

export interface PoolResult<R> {
  /** One slot per item; undefined for items that did not finish. */
  results: Array<R | undefined>;
  finished: number;
  interrupted: boolean;
}

export async function runPool<T, R>(
  items: readonly T[],
  concurrency: number,
  worker: (item: T, index: number, signal: AbortSignal) => Promise<R>,
  options: { signal: AbortSignal; onResult?: (result: R, index: number) => void },
): Promise<PoolResult<R>> {
  const results: Array<R | undefined> = new Array(items.length).fill(undefined);
  let next = 0;
  let finished = 0;
  const lane = async () => {
    while (!options.signal.aborted) {
      const index = next++;
      if (index >= items.length) return;
      const item = items[index] as T;
      try {
        const result = await worker(item, index, options.signal);
        if (options.signal.aborted) return;
        results[index] = result;
        finished += 1;
        options.onResult?.(result, index);
      } catch (error) {
        if (options.signal.aborted) return;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane));
  return { results, finished, interrupted: options.signal.aborted };
}
