/**
 * The arrival schedule of the scale test: new conversations at a rate that ramps linearly from
 * `startRate` to `maxRate` per second over `durationS` (the owner's k6 `ramping-arrival-rate`
 * profile, scaled), as the instants at which the cumulative arrivals reach 0, 1, 2, …
 */
export interface RampOptions {
  durationS: number;
  startRate: number;
  maxRate: number;
}

/** Arrival instants in milliseconds from the start, increasing, all within the duration. */
export function arrivalTimes({ durationS, startRate, maxRate }: RampOptions): number[] {
  if (!(durationS > 0) || !(startRate > 0) || !(maxRate >= startRate)) {
    throw new Error(`a ramp needs duration > 0 and 0 < start rate <= max rate (got ${durationS} s, ${startRate}/s to ${maxRate}/s)`);
  }
  // Arrivals by time t (seconds): N(t) = startRate·t + a·t², with a = (maxRate − startRate) / (2·duration).
  const a = (maxRate - startRate) / (2 * durationS);
  const b = startRate;
  const total = b * durationS + a * durationS * durationS;
  const times: number[] = [];
  for (let k = 0; k < total; k += 1) {
    const t = a === 0 ? k / b : (-b + Math.sqrt(b * b + 4 * a * k)) / (2 * a);
    times.push(Math.round(t * 1000));
  }
  return times;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
