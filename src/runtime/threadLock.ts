import type { ThreadStrategy } from "../config/settings.js";
import { BrunoError, CancelledError } from "../domain/errors.js";

export type { ThreadStrategy } from "../config/settings.js";

/** How a turn asks for its thread. */
export interface AcquireOptions {
  /** `enqueue`: wait up to `timeoutMs` for the turn before it; `reject`: THREAD_BUSY at once when the thread is taken. */
  strategy?: ThreadStrategy | undefined;
  /** Longest wait under `enqueue`. */
  timeoutMs: number;
  /** The caller's signal: stops the wait with `CancelledError`. */
  signal?: AbortSignal | undefined;
}

/** A thread held by one turn. */
export interface ThreadLease {
  /**
   * Aborts when the lock is lost while held (a lease that could not be renewed in time, a
   * database connection that dropped): the turn must stop without saving, since another turn
   * may now hold the thread. Never aborts for an in-process lock.
   */
  readonly lost: AbortSignal;
  /**
   * Checks that the thread is still this turn's, just before its checkpoint is written (and
   * extends the lease); rejects with the `lost` reason otherwise. Absent where the lock cannot
   * be lost.
   */
  confirm?(): Promise<void>;
  /** Frees the thread for the next turn; safe to call more than once. */
  release(): Promise<void>;
}

/**
 * Serializes turns per thread: a second turn on a thread waits until the first has finished
 * (bounded), or is refused at once, so two concurrent turns never both read the same checkpoint
 * and silently keep only one answer. In one process `InProcessThreadLock`; across processes a
 * lock kept in the conversation database itself.
 */
export interface ThreadLock {
  /** Resolves once the thread is this turn's; rejects with THREAD_BUSY (refused, or no turn within `timeoutMs`) or CANCELLED. */
  acquire(threadId: string, options: AcquireOptions): Promise<ThreadLease>;
  /** Releases what the lock holds (timers, connections); pending waits end with CANCELLED. */
  close?(): Promise<void>;
}

/** The thread is answering another turn: refused at once (`reject`), or it did not free up in time (`enqueue`). */
export class ThreadBusyError extends BrunoError {
  override name = "ThreadBusyError";
  readonly threadId: string;
  readonly strategy: ThreadStrategy;
  constructor(threadId: string, strategy: ThreadStrategy, timeoutMs: number) {
    super(
      "THREAD_BUSY",
      strategy === "reject"
        ? `thread '${threadId}' is answering another turn (strategy "reject"); send the next turn when it has finished`
        : `thread '${threadId}' is still answering an earlier turn after ${timeoutMs} ms (BRUNO_THREAD_WAIT_MS); send the next turn when it has finished`,
      { details: { threadId, strategy } },
    );
    this.threadId = threadId;
    this.strategy = strategy;
  }
}

export function isThreadBusyError(error: unknown): error is ThreadBusyError {
  return error instanceof ThreadBusyError;
}

const NEVER_LOST: AbortSignal = new AbortController().signal;

/** A per-process lock: waiting turns queue in arrival order. */
export class InProcessThreadLock implements ThreadLock {
  private readonly tails = new Map<string, Promise<void>>();
  /** Threads with a turn running or waiting. */
  private readonly holders = new Map<string, number>();

  async acquire(threadId: string, options: AcquireOptions): Promise<ThreadLease> {
    const strategy = options.strategy ?? "enqueue";
    if (options.signal?.aborted) throw new CancelledError("the run was cancelled while waiting for its thread");
    if (strategy === "reject" && (this.holders.get(threadId) ?? 0) > 0) throw new ThreadBusyError(threadId, strategy, 0);
    this.holders.set(threadId, (this.holders.get(threadId) ?? 0) + 1);
    const previous = this.tails.get(threadId) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(threadId, tail);
    const done = () => {
      release();
      const left = (this.holders.get(threadId) ?? 1) - 1;
      if (left > 0) this.holders.set(threadId, left);
      else this.holders.delete(threadId);
      if (this.tails.get(threadId) === tail) this.tails.delete(threadId);
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => reject(new ThreadBusyError(threadId, strategy, options.timeoutMs)), options.timeoutMs);
        onAbort = () => reject(new CancelledError("the run was cancelled while waiting for its thread"));
        options.signal?.addEventListener("abort", onAbort, { once: true });
        previous.then(resolve, resolve);
      });
    } catch (error) {
      // Give up our place: the turn after us waits only for the ones before us.
      previous.then(done, done);
      throw error;
    } finally {
      clearTimeout(timer);
      if (onAbort) options.signal?.removeEventListener("abort", onAbort);
    }
    let released = false;
    return {
      lost: NEVER_LOST,
      release: async () => {
        if (released) return;
        released = true;
        done();
      },
    };
  }
}
