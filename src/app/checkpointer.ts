import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { MemorySaver } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { BrunoConfig } from "../config/config.js";
import { ConfigError } from "../domain/errors.js";

/** MemorySaver, or a SQLite file when `--db` / `BRUNO_DB` names one. */
export function openCheckpointer(config: BrunoConfig): BaseCheckpointSaver {
  if (!config.dbPath) return new MemorySaver();
  try {
    mkdirSync(dirname(config.dbPath), { recursive: true });
    return SqliteSaver.fromConnString(config.dbPath);
  } catch (cause) {
    throw new ConfigError(`cannot open the conversation database '${config.dbPath}' (--db / BRUNO_DB): ${(cause as Error).message}`, { cause });
  }
}
