import { BrunoError, CancelledError } from "../domain/errors.js";

/**
 * Serializes turns per thread: a second turn on a thread waits until the first has finished
 * (bounded), so two concurrent turns never both read the same checkpoint and silently keep only
 * one answer. A shared checkpointer across processes would implement this interface with the
 * database's own locking (e.g. an advisory lock per thread id).
 */
export interface ThreadLock {
  /** Resolves with a release function once the thread is free; rejects with THREAD_BUSY after `timeoutMs`. */
  acquire(threadId: string, options: { timeoutMs: number; signal?: AbortSignal | undefined }): Promise<() => void>;
}

/** The thread is still answering an earlier turn and did not free up in time. */
export class ThreadBusyError extends BrunoError {
  override name = "ThreadBusyError";
  constructor(threadId: string, timeoutMs: number) {
    super("THREAD_BUSY", `thread '${threadId}' is still answering an earlier turn after ${timeoutMs} ms; send the next turn when it has finished`, { details: { threadId } });
  }
}

/** A per-process lock: waiting turns queue in arrival order. */
export class InProcessThreadLock implements ThreadLock {
  private readonly tails = new Map<string, Promise<void>>();

  async acquire(threadId: string, options: { timeoutMs: number; signal?: AbortSignal | undefined }): Promise<() => void> {
    const previous = this.tails.get(threadId) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(threadId, tail);
    const done = () => {
      release();
      if (this.tails.get(threadId) === tail) this.tails.delete(threadId);
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => reject(new ThreadBusyError(threadId, options.timeoutMs)), options.timeoutMs);
        options.signal?.addEventListener("abort", () => reject(new CancelledError("the run was cancelled while waiting for its thread")), { once: true });
        previous.then(resolve, resolve);
      });
    } catch (error) {
      // Give up our place: the turn after us waits only for the ones before us.
      previous.then(done, done);
      throw error;
    } finally {
      clearTimeout(timer);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      done();
    };
  }
}
