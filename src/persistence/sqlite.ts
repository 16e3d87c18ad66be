import { mkdirSync, statSync, type Stats } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { BrunoConfig } from "../config/config.js";
import { ConfigError } from "../domain/errors.js";

/**
 * The command that installs SQLite threads. `@langchain/langgraph-checkpoint-sqlite` (and its
 * native driver better-sqlite3, compiled at install where no prebuilt binary can be fetched) is
 * an optional dependency: `npm install --omit=optional` goes without, and nothing imports it
 * until a SQLite file is asked for.
 */
export const SQLITE_INSTALL = "npm install @langchain/langgraph-checkpoint-sqlite@1.0.4";

type SqliteModule = typeof import("@langchain/langgraph-checkpoint-sqlite");

async function importSqlite(config: BrunoConfig): Promise<SqliteModule> {
  try {
    return await import("@langchain/langgraph-checkpoint-sqlite");
  } catch (cause) {
    const { code, message } = cause as { code?: string; message?: string };
    if (code === "ERR_MODULE_NOT_FOUND" && /'(@langchain\/langgraph-checkpoint-sqlite|better-sqlite3)'/.test(message ?? "")) {
      throw new ConfigError(`conversations in a SQLite file ('${config.dbPath}', --db / BRUNO_DB) need @langchain/langgraph-checkpoint-sqlite, which is not installed: run \`${SQLITE_INSTALL}\``, {
        cause,
        details: { dependency: "@langchain/langgraph-checkpoint-sqlite", install: SQLITE_INSTALL },
      });
    }
    throw cause;
  }
}

const SETTING = "(--db / BRUNO_DB)";

/** What is wrong with the file of `--db` / `BRUNO_DB`. */
export type DatabaseProblem = "empty-path" | "folder" | "not-a-file" | "no-folder" | "not-a-database" | "damaged" | "read-only" | "unopenable";

function databaseError(path: string, problem: DatabaseProblem, message: string, cause?: unknown): ConfigError {
  return new ConfigError(message, { ...(cause === undefined ? {} : { cause }), details: { setting: "dbPath", path, problem } });
}

function errnoOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? "error";
}

const ERRNO_WORDS: Readonly<Record<string, string>> = {
  ENOENT: "no folder can be made there",
  EACCES: "permission denied",
  EPERM: "not permitted",
  EROFS: "read-only file system",
  ENOSPC: "no space left on the device",
  ENAMETOOLONG: "the name is too long",
};

/** An errno with what it means, e.g. `EACCES: permission denied`. */
function errnoText(error: unknown): string {
  const code = errnoOf(error);
  const words = ERRNO_WORDS[code];
  return words ? `${code}: ${words}` : code;
}

/**
 * Creates the missing folders of `folder` one level at a time. (Node 20's `mkdirSync` with
 * `recursive` never returns for a path under `/proc`, where a folder can neither be found nor
 * made; one level at a time, the first `mkdir` that fails says why.)
 */
function ensureFolder(folder: string, path: string): void {
  const missing: string[] = [];
  let current = folder;
  for (;;) {
    let info: Stats;
    try {
      info = statSync(current);
    } catch (cause) {
      const code = errnoOf(cause);
      const parent = dirname(current);
      if ((code === "ENOENT" || code === "ENOTDIR") && parent !== current) {
        missing.push(current);
        current = parent;
        continue;
      }
      throw databaseError(path, "no-folder", `cannot use the folder '${current}' for the conversation database '${path}' ${SETTING} (${errnoText(cause)})`, cause);
    }
    if (!info.isDirectory()) {
      throw databaseError(path, "no-folder", `cannot use '${path}' as the conversation database ${SETTING}: '${current}' is not a folder`);
    }
    break;
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (cause) {
      const code = errnoOf(cause);
      if (code === "EEXIST") continue;
      throw databaseError(
        path,
        "no-folder",
        `cannot create the folder '${dir}' for the conversation database '${path}' ${SETTING} (${errnoText(cause)}): point --db / BRUNO_DB at a file in a folder you can write`,
        cause,
      );
    }
  }
}

/** Checks the path before SQLite sees it: a regular file, or a new file in a folder that is there or can be made. */
function checkDatabasePath(path: string): void {
  if (path.trim() === "")
    throw databaseError(path, "empty-path", `the conversation database ${SETTING} is an empty path: name a SQLite file, or leave the setting out to keep conversations in memory`);
  const file = resolve(path);
  let info: Stats | undefined;
  try {
    info = statSync(file);
  } catch (cause) {
    const code = errnoOf(cause);
    if (code !== "ENOENT" && code !== "ENOTDIR") throw databaseError(path, "unopenable", `cannot open the conversation database '${path}' ${SETTING} (${errnoText(cause)})`, cause);
  }
  if (info === undefined) return ensureFolder(dirname(file), path);
  if (info.isDirectory()) {
    throw databaseError(path, "folder", `the conversation database '${path}' ${SETTING} is a folder: name a file in it, e.g. '${join(path, "bruno.sqlite")}'`);
  }
  if (!info.isFile()) {
    throw databaseError(path, "not-a-file", `the conversation database '${path}' ${SETTING} is not a regular file: point --db / BRUNO_DB at a SQLite file`);
  }
}

/** A SQLite failure of `path` as the typed error that says what to do; the file was left as it is. */
function sqliteError(path: string, cause: unknown): ConfigError {
  const code = errnoOf(cause);
  const reason = (cause as Error).message;
  const untouched = "it was left as it is";
  if (code === "SQLITE_NOTADB") {
    return databaseError(
      path,
      "not-a-database",
      `the conversation database '${path}' ${SETTING} is not a SQLite database (${reason}); ${untouched}: point --db / BRUNO_DB at another file, or move it away to start a new one there`,
      cause,
    );
  }
  if (code.startsWith("SQLITE_CORRUPT")) {
    return databaseError(
      path,
      "damaged",
      `the conversation database '${path}' ${SETTING} is damaged (${reason}); ${untouched}: restore it from a backup, or move it away to start a new one there`,
      cause,
    );
  }
  if (code.startsWith("SQLITE_READONLY") || code === "SQLITE_PERM" || code === "SQLITE_AUTH") {
    return databaseError(
      path,
      "read-only",
      `the conversation database '${path}' ${SETTING} cannot be written (${reason}): make the file and its folder writable for this user, or point --db / BRUNO_DB at a writable file`,
      cause,
    );
  }
  return databaseError(path, "unopenable", `cannot open the conversation database '${path}' ${SETTING}: ${reason} (${code}); check that the file and its folder are readable and writable`, cause);
}

/**
 * The SQLite file of `--db` / `BRUNO_DB` as a checkpointer (its driver is loaded only now). The
 * file is checked before the first turn, within milliseconds: the path must be a regular file or
 * a new file in a folder that exists or can be made; SQLite must read it as a database; and it
 * must take a write lock. Any failure is a `ConfigError` naming the path and what to do, and a
 * file that is there is not modified (SQLite reads before it writes, and the write lock is
 * released without writing).
 */
export async function openSqliteSaver(config: BrunoConfig & { dbPath: string }): Promise<SqliteSaverOf> {
  const path = config.dbPath;
  checkDatabasePath(path);
  const { SqliteSaver } = await importSqlite(config);
  /** Runs the saver's table set-up now instead of at the first turn. */
  class CheckedSqliteSaver extends SqliteSaver {
    prepare(): void {
      this.db.pragma("schema_version");
      this.db.exec("BEGIN IMMEDIATE");
      this.db.exec("ROLLBACK");
      this.setup();
    }
  }
  let saver: CheckedSqliteSaver | undefined;
  try {
    // fromConnString opens the file (better-sqlite3 is not a dependency of ours to import).
    saver = new CheckedSqliteSaver(SqliteSaver.fromConnString(path).db);
    saver.prepare();
    return saver;
  } catch (cause) {
    saver?.db.close();
    throw sqliteError(path, cause);
  }
}

/** The SQLite checkpointer class, with its better-sqlite3 handle (`db`). */
export type SqliteSaverOf = InstanceType<SqliteModule["SqliteSaver"]>;
