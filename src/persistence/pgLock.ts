/**
 * The thread lock on PostgreSQL: a session advisory lock, `pg_try_advisory_lock(namespace,
 * hashtext(thread_id))`, held on a connection checked out of the pool for the whole turn.
 *
 * - Released by `pg_advisory_unlock`, then the connection goes back to the pool. A process that
 *   dies (SIGKILL included) releases it at once: its connections close and PostgreSQL drops their
 *   session locks; no lease to wait out.
 * - `enqueue` tries again with a short, jittered backoff (10 → 100 ms) until `timeoutMs`, then
 *   THREAD_BUSY; `reject` tries once. A wait is cancelled by the run's signal within a backoff step.
 * - While held, the connection is watched (its `error` and `end` events, and a `SELECT 1` every
 *   `heartbeatMs` and in `confirm()`, just before the turn is saved): when it drops, `lost` aborts
 *   with `DatabaseError("connection-lost")`, since PostgreSQL has released the lock and another
 *   turn may hold it now.
 * - Pool sizing: each turn in flight holds one connection, and its checkpoint reads and writes need
 *   another for a moment. So at most `poolSize - reserve` turns hold a lock at once: a turn beyond
 *   that waits like a busy thread (bounded by `timeoutMs`) and then fails with a `DatabaseError`
 *   naming BRUNO_DB_POOL_SIZE, instead of every turn holding a lock while waiting for a
 *   connection that never frees.
 * Two thread ids with the same `hashtext` share a lock: their turns wait for each other, never lost.
 */
import type { Pool, PoolClient } from "pg";
import { CancelledError, DatabaseError, type BrunoError } from "../domain/errors.js";
import { ThreadBusyError, type AcquireOptions, type ThreadLease, type ThreadLock } from "../runtime/threadLock.js";
import { sleep } from "../runtime/sleep.js";

/** First key of every thread lock (`"BRNO"`); the second is `hashtext(thread_id)`. */
export const THREAD_LOCK_NAMESPACE = 0x42524e4f;

const FIRST_BACKOFF_MS = 10;
const MAX_BACKOFF_MS = 100;

export interface PostgresThreadLockOptions {
  pool: Pool;
  /** How many turns may hold a lock (and so a connection) at once. */
  slots: number;
  /** Interval of the liveness query on a held lock's connection. */
  heartbeatMs: number;
  /** A `pg` failure as a typed error (no password in it). */
  fail: (error: unknown, action: string) => BrunoError;
  /** The message of the error raised when every lock slot stayed taken. */
  poolFullMessage: (threadId: string, waitedMs: number) => string;
}

interface Held {
  threadId: string;
  release(): Promise<void>;
}

export class PostgresThreadLock implements ThreadLock {
  private readonly options: PostgresThreadLockOptions;
  private inUse = 0;
  private closed = false;
  private readonly held = new Set<Held>();

  constructor(options: PostgresThreadLockOptions) {
    this.options = options;
  }

  /** Turns holding a lock now. */
  get holding(): number {
    return this.held.size;
  }

  async acquire(threadId: string, options: AcquireOptions): Promise<ThreadLease> {
    const strategy = options.strategy ?? "enqueue";
    const started = Date.now();
    const deadline = started + options.timeoutMs;
    let backoff = FIRST_BACKOFF_MS;
    let sawBusy = false;
    for (;;) {
      if (options.signal?.aborted) throw new CancelledError("the run was cancelled while waiting for its thread");
      if (this.closed) throw new CancelledError("the conversation database was closed while the turn waited for its thread");
      if (this.inUse < this.options.slots) {
        const lease = await this.tryOnce(threadId, options.signal);
        if (lease) return lease;
        if (strategy === "reject") throw new ThreadBusyError(threadId, strategy, 0);
        sawBusy = true;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        if (sawBusy) throw new ThreadBusyError(threadId, strategy, options.timeoutMs);
        throw new DatabaseError("query", this.options.poolFullMessage(threadId, Date.now() - started), { details: { threadId } });
      }
      await sleep(Math.min(left, backoff * (0.5 + Math.random())), options.signal, "the run was cancelled while waiting for its thread");
      backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
    }
  }

  /** One attempt: a slot, a connection, `pg_try_advisory_lock`. The lease, or undefined when another session holds the thread. */
  private async tryOnce(threadId: string, signal: AbortSignal | undefined): Promise<ThreadLease | undefined> {
    this.inUse += 1;
    let client: PoolClient;
    try {
      client = await this.options.pool.connect();
    } catch (error) {
      this.inUse -= 1;
      throw this.options.fail(error, "taking the thread's lock");
    }
    let got: boolean;
    try {
      const result = await client.query<{ got: boolean }>("SELECT pg_try_advisory_lock($1, hashtext($2)) AS got", [THREAD_LOCK_NAMESPACE, threadId]);
      got = result.rows[0]?.got === true;
    } catch (error) {
      client.release(error instanceof Error ? error : new Error(String(error)));
      this.inUse -= 1;
      throw this.options.fail(error, "taking the thread's lock");
    }
    if (got && (signal?.aborted || this.closed)) {
      await this.unlock(client, threadId);
      this.inUse -= 1;
      throw new CancelledError("the run was cancelled while waiting for its thread");
    }
    if (!got) {
      client.release();
      this.inUse -= 1;
      return undefined;
    }
    return this.lease(client, threadId);
  }

  /** Frees the lock and returns the connection; a connection that cannot unlock is closed (which frees it too). */
  private async unlock(client: PoolClient, threadId: string): Promise<void> {
    try {
      await client.query("SELECT pg_advisory_unlock($1, hashtext($2))", [THREAD_LOCK_NAMESPACE, threadId]);
      client.release();
    } catch (error) {
      client.release(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private lease(client: PoolClient, threadId: string): ThreadLease {
    const controller = new AbortController();
    let released = false;
    let lostConnection = false;
    const lose = (cause?: unknown) => {
      if (released || controller.signal.aborted) return;
      lostConnection = true;
      const error = cause === undefined ? new Error("Connection terminated unexpectedly") : cause;
      const typed = this.options.fail(error, "holding the thread's lock");
      const reason =
        typed instanceof DatabaseError && (typed.problem === "connection-lost" || typed.problem === "lock-lost")
          ? typed
          : new DatabaseError("connection-lost", `the connection holding thread '${threadId}' was lost mid-turn (${typed.message}); the turn was not saved`, { cause: typed, details: { threadId } });
      controller.abort(reason);
    };
    const onError = (error: Error) => lose(error);
    const onEnd = () => lose();
    client.on("error", onError);
    client.on("end", onEnd);
    let beating = false;
    const heartbeat = setInterval(() => {
      if (beating || released) return;
      beating = true;
      (client.query as (config: { text: string; query_timeout: number }) => Promise<unknown>)
        .call(client, { text: "SELECT 1", query_timeout: this.options.heartbeatMs })
        .catch((error: unknown) => lose(error))
        .finally(() => {
          beating = false;
        });
    }, this.options.heartbeatMs);
    heartbeat.unref();
    const entry: Held = {
      threadId,
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(heartbeat);
        client.removeListener("error", onError);
        client.removeListener("end", onEnd);
        this.held.delete(entry);
        if (lostConnection) client.release(new Error("the connection was lost"));
        else await this.unlock(client, threadId);
        this.inUse -= 1;
      },
    };
    this.held.add(entry);
    // Before the turn's checkpoint is written: a connection that still answers still holds its session lock.
    const confirm = async (): Promise<void> => {
      if (!controller.signal.aborted && !released) {
        await (client.query as (config: { text: string; query_timeout: number }) => Promise<unknown>)
          .call(client, { text: "SELECT 1", query_timeout: this.options.heartbeatMs })
          .catch((error: unknown) => lose(error));
      }
      if (controller.signal.aborted) throw controller.signal.reason;
      if (released) throw new DatabaseError("lock-lost", `thread '${threadId}' was released before its turn was saved`, { details: { threadId } });
    };
    return { lost: controller.signal, confirm, release: entry.release };
  }

  /** Releases every lock still held; waits in progress end with CANCELLED. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.held].map((entry) => entry.release()));
  }
}
