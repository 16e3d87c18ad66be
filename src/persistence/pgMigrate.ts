/**
 * `bruno db migrate` (and `migrateDatabase` of the public entry): creates or updates the tables
 * of the conversation database `--db` / `BRUNO_DB` names, then disconnects. On PostgreSQL the
 * library's migrations run under an advisory lock, so replicas started together may all run it.
 */
import type { BrunoConfig } from "../config/config.js";
import { ConfigError } from "../domain/errors.js";
import { databaseKind, openDatabase } from "./database.js";
import type { DatabaseKind } from "./types.js";

/** What a migration did. */
export interface MigrationOutcome {
  kind: Exclude<DatabaseKind, "memory">;
  /** Printable (a URL's password as `***`). */
  location: string;
  /** Schema version before and after (PostgreSQL: the last migration applied, -1 for none). */
  from?: number;
  to?: number;
  /** Migrations applied by this call (0: it was current). */
  applied?: number;
  /** Time spent waiting for a migration running elsewhere. */
  waitedMs?: number;
  ms: number;
}

/** Migrates the database of `config.dbPath`; a ConfigError when none is set (threads in memory need none). */
export async function migrateDatabase(config: BrunoConfig): Promise<MigrationOutcome> {
  const started = Date.now();
  const path = config.dbPath;
  const kind = databaseKind(path);
  if (kind === "memory" || path === undefined) {
    throw new ConfigError("no conversation database to migrate: give --db postgres://user:password@host:5432/database (or a SQLite file), or set BRUNO_DB", { details: { setting: "dbPath" } });
  }
  if (kind === "postgres") {
    const { migratePostgres } = await import("./postgres.js");
    const report = await migratePostgres({ ...config, dbPath: path });
    return { kind, location: report.location, from: report.from, to: report.to, applied: report.applied, waitedMs: report.waitedMs, ms: Date.now() - started };
  }
  // SQLite: opening creates the tables (one process at a time, under SQLite's own write lock).
  const database = await openDatabase(config);
  const location = database.location;
  await database.close();
  return { kind, location, ms: Date.now() - started };
}
