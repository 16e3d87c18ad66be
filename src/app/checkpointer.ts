import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { MemorySaver } from "@langchain/langgraph";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
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

/** MemorySaver, or a SQLite file when `--db` / `BRUNO_DB` names one (its driver is loaded only then). */
export async function openCheckpointer(config: BrunoConfig): Promise<BaseCheckpointSaver> {
  if (!config.dbPath) return new MemorySaver();
  const { SqliteSaver } = await importSqlite(config);
  try {
    mkdirSync(dirname(config.dbPath), { recursive: true });
    return SqliteSaver.fromConnString(config.dbPath);
  } catch (cause) {
    throw new ConfigError(`cannot open the conversation database '${config.dbPath}' (--db / BRUNO_DB): ${(cause as Error).message}`, { cause });
  }
}
