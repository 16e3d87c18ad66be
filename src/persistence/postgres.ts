/**
 * Threads in PostgreSQL (`--db postgres://…` / `BRUNO_DB=postgres://…`), shared by every process
 * and replica that opens the same database: the checkpointer of
 * `@langchain/langgraph-checkpoint-postgres` on a `pg` pool, and a thread lock kept in the same
 * database (advisory locks, `pgLock.ts`).
 *
 * - Both packages are optional dependencies, imported only here (a one-line install hint when missing).
 * - One pool of `BRUNO_DB_POOL_SIZE` connections per process. Nothing waits without a deadline:
 *   connecting (or waiting for a free connection) 5 s, a statement 15 s on the server, 20 s on
 *   the client, 30 s idle inside a transaction.
 * - Sizing: each turn in flight holds one connection for its thread lock, and saving needs one
 *   more for a moment, so the pool needs concurrent turns + 2 (at least 2). Turns beyond
 *   `poolSize - 2` (`- 1` for a pool of 2 or 3) wait for a connection like a busy thread, then fail
 *   with a `DatabaseError` naming the setting.
 * - Schema: opening checks the migrations table and, when it is missing or behind the library's
 *   migrations, runs them under an advisory lock (`pgSchema.ts`), as `bruno db migrate` does. A
 *   workstation needs no extra step; a role without the right to create tables gets a ConfigError
 *   saying to run `bruno db migrate` as the owner.
 * - Failures are `DatabaseError` (DB_UNAVAILABLE) or `ConfigError`, never with the password.
 */
import type { Pool, PoolClient } from "pg";
import type { BrunoConfig } from "../config/config.js";
import { ConfigError, DatabaseError, type BrunoError } from "../domain/errors.js";
import { databaseFailure, printableUrl, scrubbedCause, secretsOf } from "./pgErrors.js";
import { PostgresThreadLock } from "./pgLock.js";
import { latestSchemaVersion, migrateUnderLock, schemaVersion, type MigrationReport } from "./pgSchema.js";
import type { Database } from "./types.js";

export type { MigrationReport } from "./pgSchema.js";

/** The command that installs PostgreSQL threads (optional dependencies). */
export const POSTGRES_INSTALL = "npm install pg@8.23.1 @langchain/langgraph-checkpoint-postgres@1.0.5";

/** Connecting, or waiting for a free connection of the pool. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** Longest statement, enforced by the server (`statement_timeout`). */
export const STATEMENT_TIMEOUT_MS = 15_000;
/** Longest wait for a query's answer on the client (covers a server that went silent). */
export const QUERY_TIMEOUT_MS = 20_000;
/** `ping()`'s deadline. */
export const PING_TIMEOUT_MS = 3_000;
const IDLE_IN_TRANSACTION_MS = 30_000;
const IDLE_CONNECTION_MS = 10_000;
const CLOSE_TIMEOUT_MS = 5_000;

type PgModule = typeof import("pg");
type SaverModule = typeof import("@langchain/langgraph-checkpoint-postgres");

async function importPostgres(location: string): Promise<{ pg: PgModule; saver: SaverModule }> {
  try {
    const [pgModule, saver] = await Promise.all([import("pg"), import("@langchain/langgraph-checkpoint-postgres")]);
    const pg = ((pgModule as unknown as { default?: PgModule }).default ?? pgModule) as PgModule;
    return { pg, saver };
  } catch (cause) {
    const { code, message } = cause as { code?: string; message?: string };
    if (code === "ERR_MODULE_NOT_FOUND" && /'(pg|@langchain\/langgraph-checkpoint-postgres)'/.test(message ?? "")) {
      throw new ConfigError(`conversations in PostgreSQL (${location}, --db / BRUNO_DB) need pg and @langchain/langgraph-checkpoint-postgres, which are not installed: run \`${POSTGRES_INSTALL}\``, {
        cause: scrubbedCause(cause, []),
        details: { dependency: "@langchain/langgraph-checkpoint-postgres", install: POSTGRES_INSTALL },
      });
    }
    throw cause;
  }
}

/** Connections kept for saving turns, never taken by thread locks. */
export function reservedConnections(poolSize: number): number {
  return poolSize >= 4 ? 2 : 1;
}

interface Connection {
  pool: Pool;
  saver: InstanceType<SaverModule["PostgresSaver"]>;
  location: string;
  fail(error: unknown, action: string): BrunoError;
  latest(): Promise<number>;
  end(): Promise<void>;
}

/** The pool and the checkpointer for `config.dbPath`; connects to nothing yet. */
async function connect(config: BrunoConfig & { dbPath: string }): Promise<Connection> {
  const url = config.dbPath.trim();
  const location = printableUrl(url);
  const secrets = secretsOf(url);
  try {
    new URL(url);
  } catch {
    throw new ConfigError(`the conversation database ${location} (--db / BRUNO_DB) is not a valid PostgreSQL URL: write it as postgres://user:password@host:5432/database`, {
      details: { setting: "dbPath" },
    });
  }
  const poolSize = config.db.poolSize;
  if (poolSize < 2) {
    throw new ConfigError(`BRUNO_DB_POOL_SIZE is ${poolSize}, PostgreSQL threads need at least 2 connections (one holds the thread's lock while another saves the turn); use concurrent turns + 2`, {
      details: { setting: "db.poolSize" },
    });
  }
  const { pg, saver: saverModule } = await importPostgres(location);
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: IDLE_CONNECTION_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
    application_name: "bruno",
    keepAlive: true,
    allowExitOnIdle: true,
  });
  // A connection that drops while idle or checked out emits `error`; unheard, it would end the process.
  // The pool discards such connections itself, and the query or lock that used one reports the loss.
  pool.on("error", () => undefined);
  pool.on("connect", (client: PoolClient) => {
    client.on("error", () => undefined);
  });
  const fail = (error: unknown, action: string): BrunoError => databaseFailure(error, { location, secrets, action, poolSize, poolFull: pool.totalCount >= poolSize && pool.idleCount === 0 });

  /** The checkpointer, its failures typed and scrubbed. */
  class GuardedPostgresSaver extends saverModule.PostgresSaver {
    override async getTuple(...args: Parameters<InstanceType<SaverModule["PostgresSaver"]>["getTuple"]>) {
      try {
        return await super.getTuple(...args);
      } catch (error) {
        throw fail(error, "reading the thread");
      }
    }
    override async *list(...args: Parameters<InstanceType<SaverModule["PostgresSaver"]>["list"]>) {
      try {
        yield* super.list(...args);
      } catch (error) {
        throw fail(error, "listing the thread's checkpoints");
      }
    }
    override async put(...args: Parameters<InstanceType<SaverModule["PostgresSaver"]>["put"]>) {
      try {
        return await super.put(...args);
      } catch (error) {
        throw fail(error, "saving the turn");
      }
    }
    override async putWrites(...args: Parameters<InstanceType<SaverModule["PostgresSaver"]>["putWrites"]>) {
      try {
        return await super.putWrites(...args);
      } catch (error) {
        throw fail(error, "saving the turn");
      }
    }
    override async deleteThread(threadId: string) {
      try {
        return await super.deleteThread(threadId);
      } catch (error) {
        throw fail(error, "deleting the thread");
      }
    }
  }
  const saver = new GuardedPostgresSaver(pool);
  let ended: Promise<void> | undefined;
  return {
    pool,
    saver,
    location,
    fail,
    latest: () => latestSchemaVersion((stand) => new saverModule.PostgresSaver(stand as Pool)),
    end: () => {
      ended ??= Promise.race([pool.end().catch(() => undefined), new Promise<void>((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref())]);
      return ended;
    },
  };
}

/** Applies the missing migrations under the migration lock; the report says what was done. */
async function ensureSchema(connection: Connection, migrate: "always" | "when-behind"): Promise<MigrationReport> {
  const latest = await connection.latest();
  let client: PoolClient;
  try {
    client = await connection.pool.connect();
  } catch (error) {
    throw connection.fail(error, "connecting");
  }
  let current: number;
  try {
    current = await schemaVersion(client);
    client.release();
  } catch (error) {
    client.release(error instanceof Error ? error : new Error(String(error)));
    throw connection.fail(error, "reading the schema version");
  }
  if (current >= latest && migrate === "when-behind") return { from: current, to: current, applied: 0, waitedMs: 0 };
  let report: MigrationReport;
  try {
    report = await migrateUnderLock(connection.pool, connection.saver, latest);
  } catch (error) {
    throw connection.fail(error, "creating the checkpoint tables");
  }
  if (report.to < latest) {
    throw new DatabaseError("schema", `the checkpoint tables of PostgreSQL at ${connection.location} are at version ${report.to} after migrating, expected ${latest}: run \`bruno db migrate\``);
  }
  return report;
}

/** What `bruno db migrate` did on PostgreSQL. */
export interface PostgresMigration extends MigrationReport {
  location: string;
  /** The version the installed library leads to. */
  latest: number;
}

/** Runs the checkpoint migrations of `config.dbPath` under the migration lock, then disconnects. */
export async function migratePostgres(config: BrunoConfig & { dbPath: string }): Promise<PostgresMigration> {
  const connection = await connect(config);
  try {
    const report = await ensureSchema(connection, "always");
    return { ...report, location: connection.location, latest: await connection.latest() };
  } finally {
    await connection.end();
  }
}

/** Threads in PostgreSQL (`BRUNO_DB=postgres://…`): checked, and migrated when behind, before the first turn. */
export async function openPostgresDatabase(config: BrunoConfig & { dbPath: string }): Promise<Database> {
  const connection = await connect(config);
  try {
    await ensureSchema(connection, "when-behind");
  } catch (error) {
    await connection.end();
    throw error;
  }
  const { pool, saver, location, fail } = connection;
  const poolSize = config.db.poolSize;
  const reserve = reservedConnections(poolSize);
  const slots = poolSize - reserve;
  const lock = new PostgresThreadLock({
    pool,
    slots,
    heartbeatMs: Math.max(1_000, Math.floor(config.threads.leaseMs / 3)),
    fail,
    poolFullMessage: (threadId, waitedMs) =>
      `thread '${threadId}' waited ${waitedMs} ms for a connection to PostgreSQL at ${location}: all ${slots} connections that thread locks may use (BRUNO_DB_POOL_SIZE=${poolSize}, ${reserve} kept for saving) are held by turns in flight; raise BRUNO_DB_POOL_SIZE to concurrent turns + 2`,
  });
  let closed: Promise<void> | undefined;
  return {
    kind: "postgres",
    location,
    saver,
    lock,
    ping: async (options = {}) => {
      if (closed) throw new DatabaseError("unreachable", `the connection pool to PostgreSQL at ${location} is closed`);
      const signal = options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(PING_TIMEOUT_MS)]) : AbortSignal.timeout(PING_TIMEOUT_MS);
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(new DatabaseError("unreachable", `PostgreSQL at ${location} did not answer within ${PING_TIMEOUT_MS} ms (or the check was cancelled)`));
        if (signal.aborted) onAbort();
        else signal.addEventListener("abort", onAbort, { once: true });
      });
      aborted.catch(() => undefined);
      try {
        const query = pool.query as (config: { text: string; query_timeout: number }) => Promise<unknown>;
        await Promise.race([query.call(pool, { text: "SELECT 1", query_timeout: PING_TIMEOUT_MS }), aborted]);
      } catch (error) {
        throw fail(error, "answering a health check");
      } finally {
        if (onAbort) signal.removeEventListener("abort", onAbort);
      }
    },
    close: () => {
      closed ??= (async () => {
        await lock.close();
        await connection.end();
      })();
      return closed;
    },
  };
}
