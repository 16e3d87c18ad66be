/**
 * Where conversation threads live, and the lock that keeps their turns in order: in memory (one
 * process), a SQLite file (processes of one machine), or PostgreSQL (replicas of a service).
 * `openDatabase` reads `--db` / `BRUNO_DB` and gives the checkpointer and the thread lock that
 * belong together: a lock kept in the same database, so that every process writing a thread
 * also sees who holds it.
 */
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { MemorySaver } from "@langchain/langgraph";
import type { BrunoConfig } from "../config/config.js";
import { redactPasswords } from "../config/redact.js";
import { InProcessThreadLock } from "../runtime/threadLock.js";
import { openSqliteSaver } from "./sqlite.js";
import { openSqliteLock } from "./sqliteLock.js";
import type { Database, DatabaseKind } from "./types.js";

export type { Database, DatabaseKind } from "./types.js";

/** A PostgreSQL URL (`postgres://` or `postgresql://`) rather than a SQLite path. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value.trim());
}

/** Which kind of database a `--db` / `BRUNO_DB` value names. */
export function databaseKind(dbPath: string | undefined): DatabaseKind {
  if (dbPath === undefined) return "memory";
  return isPostgresUrl(dbPath) ? "postgres" : "sqlite";
}

/** Threads in this process's memory, ordered by an in-process lock. */
export function memoryDatabase(): Database {
  const lock = new InProcessThreadLock();
  return {
    kind: "memory",
    location: "memory",
    saver: new MemorySaver(),
    lock,
    ping: async () => undefined,
    close: async () => undefined,
  };
}

/** Opens the database `config.dbPath` names (in memory when unset), checked before the first turn. */
export async function openDatabase(config: BrunoConfig): Promise<Database> {
  const path = config.dbPath;
  switch (databaseKind(path)) {
    case "memory":
      return memoryDatabase();
    case "postgres":
      return (await import("./postgres.js")).openPostgresDatabase({ ...config, dbPath: path as string });
    case "sqlite": {
      const saver = await openSqliteSaver({ ...config, dbPath: path as string });
      const lock = openSqliteLock(saver, config);
      let closed = false;
      return {
        kind: "sqlite",
        location: redactPasswords(path as string),
        saver,
        lock,
        ping: async () => {
          saver.db.prepare("SELECT 1").get();
        },
        close: async () => {
          if (closed) return;
          closed = true;
          await lock.close();
          saver.db.close();
        },
      };
    }
  }
}

/** The checkpointer of `openDatabase` alone (MemorySaver, or the SQLite file of `--db` / `BRUNO_DB`). */
export async function openCheckpointer(config: BrunoConfig): Promise<BaseCheckpointSaver> {
  return (await openDatabase(config)).saver;
}
