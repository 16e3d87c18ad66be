/**
 * Admission of turns into one `bruno serve` process: at most `maxTurns` running or waiting for
 * their thread at once, beyond that a refusal at once (503 + `Retry-After`) so the load balancer
 * sends the request elsewhere instead of letting it queue here without bound. On shutdown, no new
 * turn is admitted; the admitted ones may finish within a grace period, then they are cancelled.
 */
import { CancelledError } from "../../domain/errors.js";

/** A turn let in: its cancellation signal (shutdown), and `leave()` once its response has ended. */
export interface Admission {
  readonly signal: AbortSignal;
  /** Frees the turn's place; safe to call more than once. */
  leave(): void;
}

export type AdmissionRefusal = "full" | "draining";

/** What `drain` did: turns that finished within the grace, and turns it cancelled. */
export interface DrainReport {
  finished: number;
  cancelled: number;
  /** Turns still not ended when the drain gave up waiting for them after cancelling. */
  stuck: number;
}

/** How long cancelled turns get to end (they stop at their next await; a model call is aborted). */
const CANCEL_SETTLE_MS = 5_000;

export class TurnGate {
  private readonly admitted = new Map<symbol, AbortController>();
  private draining = false;
  private readonly idleWaiters = new Set<() => void>();

  constructor(private readonly maxTurns: number) {}

  /** Turns running or waiting for their thread now. */
  get size(): number {
    return this.admitted.size;
  }

  /** True once `drain` was called: every new turn is refused. */
  get isDraining(): boolean {
    return this.draining;
  }

  /** Lets a turn in, or says why not. */
  enter(): Admission | AdmissionRefusal {
    if (this.draining) return "draining";
    if (this.admitted.size >= this.maxTurns) return "full";
    const key = Symbol("turn");
    const controller = new AbortController();
    this.admitted.set(key, controller);
    return {
      signal: controller.signal,
      leave: () => {
        if (!this.admitted.delete(key)) return;
        if (this.admitted.size === 0) for (const wake of [...this.idleWaiters]) wake();
      },
    };
  }

  /** Resolves true when no turn is admitted, false after `ms` (never waits longer). */
  private idle(ms: number): Promise<boolean> {
    if (this.admitted.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.idleWaiters.delete(wake);
        resolve(value);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      this.idleWaiters.add(wake);
    });
  }

  /**
   * Refuses new turns from now on, lets the admitted ones finish within `graceMs`, then cancels
   * the rest (their runs reject with CANCELLED and save nothing) and waits a bounded time for
   * them to end.
   */
  async drain(graceMs: number): Promise<DrainReport> {
    this.draining = true;
    const before = this.admitted.size;
    if (await this.idle(graceMs)) return { finished: before, cancelled: 0, stuck: 0 };
    const cancelled = this.admitted.size;
    const reason = new CancelledError(`the server is shutting down: the turn did not finish within ${graceMs} ms (BRUNO_SERVE_GRACE_MS)`);
    for (const controller of this.admitted.values()) controller.abort(reason);
    await this.idle(CANCEL_SETTLE_MS);
    return { finished: before - cancelled, cancelled, stuck: this.admitted.size };
  }
}
