import {
  BrokenCircuitError,
  BulkheadRejectedError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TaskCancelledError,
  bulkhead,
  circuitBreaker,
  handleWhen,
  type BulkheadPolicy,
  type IBackoff,
  type CircuitBreakerPolicy,
} from "cockatiel";
import type { BrunoConfig } from "../config/config.js";
import type { CircuitStateName, ResilienceEvent } from "../domain/events.js";
import { CancelledError, CircuitOpenError, ServerError, isBrunoError } from "../domain/errors.js";
import { countsAgainstCircuit, failsOver, isRetryable } from "./failurePolicy.js";
import { sleep } from "./sleep.js";

function stateName(state: CircuitState): CircuitStateName {
  switch (state) {
    case CircuitState.Closed:
      return "closed";
    case CircuitState.Open:
      return "open";
    case CircuitState.HalfOpen:
      return "half-open";
    case CircuitState.Isolated:
      return "isolated";
  }
}

export interface CircuitSnapshot {
  host: string;
  model: string;
  state: CircuitStateName;
}

export interface CallOptions {
  host: string;
  model: string;
  /** The caller's signal: cancels waiting in the queue, backoff sleeps and the call. */
  signal?: AbortSignal | undefined;
  onEvent?: (event: ResilienceEvent) => void;
  /** No retry starts (backoff included) later than this many ms after the call began; unbounded when unset. */
  retryWithinMs?: number | undefined;
  /**
   * Another host that has the model is left: a failure that moves to another host (the failure
   * policy's `failover`) is thrown at once instead of retried here.
   */
  failover?: boolean | undefined;
}

/**
 * The resilience policies of the process, built on cockatiel: per server a bulkhead (in-flight
 * limit with a bounded queue and a queue timeout), per (server, model) a circuit breaker, and
 * around each call a retry with exponential backoff and jitter on transient errors only.
 * Order: retry → bulkhead → breaker → call, so a backoff sleep holds no slot and an open
 * circuit fails before queueing.
 */
export class Resilience {
  private readonly settings: Pick<BrunoConfig, "retry" | "breaker" | "concurrency">;
  private readonly bulkheads = new Map<string, BulkheadPolicy>();
  private readonly breakers = new Map<string, { host: string; model: string; policy: CircuitBreakerPolicy; openedAt: number }>();
  private listeners = new Set<(event: ResilienceEvent) => void>();

  constructor(settings: Pick<BrunoConfig, "retry" | "breaker" | "concurrency">) {
    this.settings = settings;
  }

  /** Subscribes to events of every call (metrics, logs); returns an unsubscribe function. */
  subscribe(listener: (event: ResilienceEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: ResilienceEvent, local?: (event: ResilienceEvent) => void): void {
    local?.(event);
    for (const l of this.listeners) l(event);
  }

  private bulkheadFor(host: string): BulkheadPolicy {
    let policy = this.bulkheads.get(host);
    if (!policy) {
      policy = bulkhead(this.settings.concurrency.limit, this.settings.concurrency.queueSize);
      this.bulkheads.set(host, policy);
    }
    return policy;
  }

  private breakerFor(host: string, model: string): CircuitBreakerPolicy {
    const key = `${host}\u0000${model}`;
    let entry = this.breakers.get(key);
    if (!entry) {
      const policy = circuitBreaker(handleWhen(countsAgainstCircuit), {
        halfOpenAfter: this.settings.breaker.cooldownMs,
        breaker: new ConsecutiveBreaker(this.settings.breaker.failureThreshold),
      });
      entry = { host, model, policy, openedAt: 0 };
      const created = entry;
      policy.onStateChange((state) => {
        if (state === CircuitState.Open) created.openedAt = Date.now();
        this.emit({ type: "circuit", host, model, state: stateName(state) });
      });
      this.breakers.set(key, entry);
    }
    return entry.policy;
  }

  /** The circuit state of one model (closed when it was never called). */
  circuitState(host: string, model: string): CircuitStateName {
    const entry = this.breakers.get(`${host}\u0000${model}`);
    return entry ? stateName(entry.policy.state) : "closed";
  }

  /**
   * True when a call to the model would be refused without reaching the server: its circuit is
   * open and the cool-down has not passed (after it, the next call is the half-open trial).
   */
  isOpen(host: string, model: string): boolean {
    const entry = this.breakers.get(`${host}\u0000${model}`);
    if (!entry) return false;
    if (entry.policy.state === CircuitState.Isolated) return true;
    return entry.policy.state === CircuitState.Open && Date.now() - entry.openedAt < this.settings.breaker.cooldownMs;
  }

  /** Every circuit seen so far. */
  circuits(): CircuitSnapshot[] {
    return [...this.breakers.values()].map((e) => ({ host: e.host, model: e.model, state: stateName(e.policy.state) }));
  }

  /** Calls in flight and waiting, per server. */
  load(host: string): { inFlight: number; queued: number } {
    const policy = this.bulkheads.get(host);
    if (!policy) return { inFlight: 0, queued: 0 };
    return {
      inFlight: this.settings.concurrency.limit - policy.executionSlots,
      queued: this.settings.concurrency.queueSize - policy.queueSlots,
    };
  }

  /**
   * The hosts a call to `model` may go to, best first: those whose (host, model) circuit is not
   * open, by fewest calls in flight and waiting (ties keep the given order).
   */
  rank(hosts: readonly string[], model: string): string[] {
    const busy = (host: string) => {
      const { inFlight, queued } = this.load(host);
      return inFlight + queued;
    };
    return hosts
      .filter((host) => !this.isOpen(host, model))
      .map((host, i) => ({ host, i, busy: busy(host) }))
      .sort((a, b) => a.busy - b.busy || a.i - b.i)
      .map((e) => e.host);
  }

  /**
   * Runs `fn` under the bulkhead and breaker, retrying what the failure policy retries, with
   * exponential backoff and jitter between attempts. The caller's signal ends a backoff sleep at
   * once (cockatiel's own retry sleeps through it), and an abandoned call leaves no timer behind.
   */
  async execute<T>(options: CallOptions, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const { host, model } = options;
    const signal = options.signal ?? new AbortController().signal;
    const maxAttempts = Math.max(1, this.settings.retry.maxAttempts);
    const started = performance.now();
    let backoff: IBackoff<unknown> | undefined;
    // The model's circuit changes under this call: the caller hears of it too (its stream, its CLI line).
    const circuitListener = (event: ResilienceEvent) => {
      if (event.type === "circuit" && event.host === host && event.model === model) options.onEvent?.(event);
    };
    if (options.onEvent) this.listeners.add(circuitListener);
    try {
      for (let attempt = 1; ; attempt++) {
        if (signal.aborted) throw new CancelledError("the run was cancelled", { cause: signal.reason });
        try {
          return await this.once(options, signal, fn);
        } catch (error) {
          if (error instanceof TaskCancelledError || (signal.aborted && !isBrunoError(error))) {
            throw new CancelledError("the run was cancelled", { cause: error });
          }
          if (attempt >= maxAttempts || signal.aborted || !isRetryable(error) || (options.failover && failsOver(error))) throw error;
          backoff = (backoff ?? new ExponentialBackoff({ initialDelay: this.settings.retry.initialDelayMs, maxDelay: this.settings.retry.maxDelayMs })).next({ attempt, signal });
          const delayMs = backoff.duration;
          // The caller's time for this model is spent: no retry it could not wait for.
          if (options.retryWithinMs !== undefined && performance.now() + delayMs - started >= options.retryWithinMs) throw error;
          this.emit({ type: "retry", host, model, attempt, delayMs, code: isBrunoError(error) ? error.code : "UNKNOWN" }, options.onEvent);
          await sleep(delayMs, signal, "the run was cancelled during a retry's backoff");
        }
      }
    } finally {
      this.listeners.delete(circuitListener);
    }
  }

  private async once<T>(options: CallOptions, signal: AbortSignal, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const { host, model } = options;
    const breaker = this.breakerFor(host, model);
    if (this.isOpen(host, model)) throw new CircuitOpenError(host, model, this.settings.breaker.cooldownMs);
    const queueTimeoutMs = this.settings.concurrency.queueTimeoutMs;
    const queued = new AbortController();
    const timer = setTimeout(() => queued.abort(), queueTimeoutMs);
    const enqueuedAt = Date.now();
    let started = false;
    const run = this.bulkheadFor(host).execute(
      async () => {
        started = true;
        clearTimeout(timer);
        const waitMs = Date.now() - enqueuedAt;
        if (waitMs > 0) this.emit({ type: "queued", host, waitMs }, options.onEvent);
        return breaker.execute(() => fn(signal), signal);
      },
      AbortSignal.any([signal, queued.signal]),
    );
    const expired = new Promise<never>((_, reject) => {
      const fail = () => {
        if (started) return;
        reject(
          signal.aborted
            ? new CancelledError("the run was cancelled while waiting for a free slot")
            : new ServerError("SERVER_BUSY", `no free slot for ${host} within ${queueTimeoutMs} ms (BRUNO_QUEUE_TIMEOUT_MS); the server is saturated`, { origin: "queue", details: { host } }),
        );
      };
      queued.signal.addEventListener("abort", fail, { once: true });
      signal.addEventListener("abort", fail, { once: true });
    });
    try {
      return await Promise.race([run, expired]);
    } catch (error) {
      if (error instanceof BulkheadRejectedError) {
        throw new ServerError(
          "SERVER_BUSY",
          `too many requests waiting for ${host} (limit ${this.settings.concurrency.limit} in flight, ${this.settings.concurrency.queueSize} queued); retry later or raise BRUNO_CONCURRENCY / BRUNO_QUEUE_SIZE`,
          { cause: error, origin: "queue", details: { host } },
        );
      }
      if (error instanceof BrokenCircuitError) throw new CircuitOpenError(host, model, this.settings.breaker.cooldownMs);
      throw error;
    } finally {
      clearTimeout(timer);
      run.catch(() => undefined);
    }
  }
}
