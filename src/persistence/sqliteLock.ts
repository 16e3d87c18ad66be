/**
 * The thread lock of a SQLite conversation file, kept in that file: one lease row per thread
 * that has a turn running, so every process writing the file sees who holds each thread.
 *
 * - A turn takes its thread with one atomic statement: insert the row, or take it over only
 *   when the row's lease has expired (its holder died without releasing).
 * - While the turn runs, a heartbeat renews the lease every third of its length; if a renewal
 *   finds the row taken by another holder, or cannot write before the lease runs out, the
 *   lease's `lost` signal aborts with `DatabaseError("lock-lost")` and the turn saves nothing.
 * - Release deletes the row. A process killed mid-turn holds its thread until the lease
 *   expires (`threads.leaseMs`), then the next turn takes it over.
 * - Turns of one process queue in order in memory first (`InProcessThreadLock`), so only the
 *   first of them polls the file.
 *
 * SQLite serializes writers: a statement that meets another process's write waits for it
 * (better-sqlite3's busy timeout), and a `SQLITE_BUSY` that outlasts that wait counts as "not
 * taken yet" while acquiring and as "retry soon" while renewing, never as a crash.
 */
import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { CancelledError, DatabaseError } from "../domain/errors.js";
import { InProcessThreadLock, ThreadBusyError, type AcquireOptions, type ThreadLease, type ThreadLock } from "../runtime/threadLock.js";
import { sleep } from "../runtime/sleep.js";

/** The table of leases, in the checkpointer's file. */
export const LOCK_TABLE = "bruno_thread_locks";

/** The part of a better-sqlite3 handle the lock uses. */
export interface SqliteHandle {
  exec(sql: string): unknown;
  prepare(sql: string): { run(...params: unknown[]): { changes: number }; get(...params: unknown[]): unknown };
}

export interface SqliteLockOptions {
  /** How long a lease lasts without renewal: the longest a thread stays blocked by a killed process. */
  leaseMs: number;
  /** Polling while another process holds the thread: first and longest pause, in ms (10, 250). */
  pollMs?: { first: number; max: number };
  /** The time in ms since the epoch (shared by the processes of one machine); `Date.now` by default. */
  now?: () => number;
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const CANCELLED = "the run was cancelled while waiting for its thread";

/**
 * Resolves after `ms`, or rejects with CANCELLED when a signal aborts first. This timer keeps the
 * process alive (a turn waiting for its thread is work in progress); the heartbeat's does not.
 */
function pause(ms: number, signals: readonly (AbortSignal | undefined)[]): Promise<void> {
  const live = signals.filter((s): s is AbortSignal => s !== undefined);
  return sleep(ms, live.length > 0 ? AbortSignal.any(live) : undefined, CANCELLED);
}

/** A lease held by this process. */
interface Held {
  threadId: string;
  owner: string;
  expiresAt: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  controller: AbortController;
  ended: boolean;
}

export class SqliteThreadLock implements ThreadLock {
  private readonly local = new InProcessThreadLock();
  private readonly held = new Set<Held>();
  /** Aborts every wait at `close()`; each waiting turn listens to it, so it may have many listeners. */
  private readonly closing = new AbortController();
  private readonly leaseMs: number;
  private readonly pollMs: { first: number; max: number };
  private readonly now: () => number;
  private readonly take;
  private readonly renew;
  private readonly remove;

  constructor(db: SqliteHandle, options: SqliteLockOptions) {
    this.leaseMs = options.leaseMs;
    this.pollMs = options.pollMs ?? { first: 10, max: 250 };
    this.now = options.now ?? Date.now;
    setMaxListeners(0, this.closing.signal);
    db.exec(`CREATE TABLE IF NOT EXISTS ${LOCK_TABLE} (thread_id TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL)`);
    // Insert, or take over a lease that has run out; `changes` is 1 exactly when the thread is ours.
    this.take = db.prepare(
      `INSERT INTO ${LOCK_TABLE} (thread_id, owner, expires_at) VALUES (?, ?, ?)
       ON CONFLICT(thread_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at WHERE ${LOCK_TABLE}.expires_at <= ?`,
    );
    this.renew = db.prepare(`UPDATE ${LOCK_TABLE} SET expires_at = ? WHERE thread_id = ? AND owner = ?`);
    this.remove = db.prepare(`DELETE FROM ${LOCK_TABLE} WHERE thread_id = ? AND owner = ?`);
  }

  async acquire(threadId: string, options: AcquireOptions): Promise<ThreadLease> {
    const strategy = options.strategy ?? "enqueue";
    if (this.closing.signal.aborted) throw new CancelledError("the conversation database was closed");
    const started = this.now();
    // Turns of this process queue here first; the lease below orders them with other processes.
    const local = await this.local.acquire(threadId, { ...options, signal: this.signalFor(options.signal) });
    try {
      const owner = randomUUID();
      let wait = this.pollMs.first;
      for (;;) {
        if (this.tryTake(threadId, owner)) return this.hold(threadId, owner, local);
        if (strategy === "reject") throw new ThreadBusyError(threadId, strategy, 0);
        const left = started + options.timeoutMs - this.now();
        if (left <= 0) throw new ThreadBusyError(threadId, strategy, options.timeoutMs);
        await pause(Math.min(left, wait * (0.5 + Math.random())), [options.signal, this.closing.signal]);
        wait = Math.min(wait * 2, this.pollMs.max);
      }
    } catch (error) {
      await local.release();
      throw error;
    }
  }

  /**
   * Stops every heartbeat and frees the threads this process holds: a turn still running loses
   * its lease (`lost`, so it saves nothing), and waiting turns end with CANCELLED.
   */
  async close(): Promise<void> {
    this.closing.abort();
    for (const held of [...this.held]) {
      this.lose(held, "the conversation database was closed");
      this.free(held);
    }
  }

  private signalFor(signal: AbortSignal | undefined): AbortSignal {
    return signal ? AbortSignal.any([signal, this.closing.signal]) : this.closing.signal;
  }

  /** One attempt at the lease; false while another holder's lease runs (or the file is busy). */
  private tryTake(threadId: string, owner: string): boolean {
    const now = this.now();
    try {
      return this.take.run(threadId, owner, now + this.leaseMs, now).changes === 1;
    } catch (cause) {
      if (isBusy(cause)) return false;
      throw new DatabaseError("query", `cannot take the lock of thread '${threadId}' in the conversation database: ${reasonOf(cause)}`, { cause, details: { threadId } });
    }
  }

  private hold(threadId: string, owner: string, local: ThreadLease): ThreadLease {
    const held: Held = { threadId, owner, expiresAt: this.now() + this.leaseMs, timer: undefined, controller: new AbortController(), ended: false };
    this.held.add(held);
    this.schedule(held, this.leaseMs / 3);
    let released = false;
    return {
      lost: held.controller.signal,
      confirm: async () => {
        if (!held.ended) this.heartbeat(held, { final: true });
        if (held.controller.signal.aborted) throw held.controller.signal.reason;
      },
      release: async () => {
        if (released) return;
        released = true;
        this.end(held);
        this.free(held);
        await local.release();
      },
    };
  }

  private schedule(held: Held, ms: number): void {
    if (held.ended) return;
    held.timer = setTimeout(() => this.heartbeat(held), Math.max(1, ms));
    held.timer.unref?.();
  }

  /**
   * Renews the lease for another `leaseMs`. Lost when another holder has it, or when the file
   * stays busy until the lease would run out; a busy file short of that is retried soon.
   */
  private heartbeat(held: Held, options: { final?: boolean } = {}): void {
    if (held.ended) return;
    const now = this.now();
    try {
      if (this.renew.run(now + this.leaseMs, held.threadId, held.owner).changes === 1) {
        held.expiresAt = now + this.leaseMs;
        if (!options.final) this.schedule(held, this.leaseMs / 3);
        return;
      }
      this.lose(held, "another process holds it now: this process did not renew its lease in time");
    } catch (cause) {
      const retryIn = Math.min(100, this.leaseMs / 10);
      if (isBusy(cause) && now + retryIn < held.expiresAt && !options.final) return this.schedule(held, retryIn);
      this.lose(held, isBusy(cause) ? "the conversation database stayed busy until the lease ran out" : `the lease could not be renewed: ${reasonOf(cause)}`, cause);
    }
  }

  private lose(held: Held, why: string, cause?: unknown): void {
    this.end(held);
    held.controller.abort(
      new DatabaseError("lock-lost", `the lock of thread '${held.threadId}' was lost mid-turn (${why}); the turn was not saved`, {
        ...(cause === undefined ? {} : { cause }),
        details: { threadId: held.threadId },
      }),
    );
  }

  private end(held: Held): void {
    held.ended = true;
    clearTimeout(held.timer);
    this.held.delete(held);
  }

  /** Deletes the lease row; a failure leaves it to expire. */
  private free(held: Held): void {
    try {
      this.remove.run(held.threadId, held.owner);
    } catch {
      // Busy or closed: the lease expires by itself within leaseMs.
    }
  }
}

/** The lock of the SQLite checkpointer `saver` (same handle), leases of `config.threads.leaseMs`; the handle is closed if the lock table cannot be made. */
export function openSqliteLock(saver: { db: SqliteHandle & { close(): unknown } }, config: { threads: { leaseMs: number }; dbPath?: string | undefined }): SqliteThreadLock {
  try {
    return new SqliteThreadLock(saver.db, { leaseMs: config.threads.leaseMs });
  } catch (cause) {
    saver.db.close();
    throw new DatabaseError("schema", `cannot create the thread-lock table ${LOCK_TABLE} in the conversation database '${config.dbPath ?? ""}': ${reasonOf(cause)}`, { cause });
  }
}
