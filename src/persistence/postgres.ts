import type { BrunoConfig } from "../config/config.js";
import { redactPasswords } from "../config/redact.js";
import { ConfigError } from "../domain/errors.js";
import type { Database } from "./types.js";

/** Threads in PostgreSQL (`BRUNO_DB=postgres://…`). */
export async function openPostgresDatabase(config: BrunoConfig & { dbPath: string }): Promise<Database> {
  throw new ConfigError(`PostgreSQL threads (${redactPasswords(config.dbPath)}) are not available in this build`);
}
