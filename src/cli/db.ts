/** `bruno db migrate`: creates or updates the tables of the conversation database, and says what it did. */
import { loadConfig, type BrunoConfigInput } from "../app/index.js";
import type { Command } from "./args.js";
import type { CliIO } from "./io.js";

type MigrationOutcome = Awaited<ReturnType<typeof import("../index.js").migrateDatabase>>;

/** The line `bruno db migrate` prints. */
export function describeMigration(outcome: MigrationOutcome): string {
  const time = `in ${outcome.ms} ms`;
  if (outcome.kind === "sqlite") return `SQLite file ${outcome.location}: tables ready ${time}`;
  const waited = (outcome.waitedMs ?? 0) >= 50 ? `, after waiting ${outcome.waitedMs} ms for a migration running elsewhere` : "";
  if ((outcome.applied ?? 0) === 0) return `PostgreSQL at ${outcome.location}: schema current at version ${outcome.to}, nothing to apply (${time}${waited})`;
  const count = outcome.applied === 1 ? "1 migration" : `${outcome.applied} migrations`;
  return `PostgreSQL at ${outcome.location}: schema version ${outcome.from} → ${outcome.to}, ${count} applied (${time}${waited})`;
}

export async function dbCommand(cmd: Extract<Command, { name: "db" }>, io: CliIO): Promise<number> {
  const overrides: BrunoConfigInput = {};
  if (cmd.options.db) overrides.dbPath = cmd.options.db;
  if (cmd.options.verbose) overrides.logLevel = "debug";
  const config = loadConfig({ ...(io.env ? { env: io.env } : {}), overrides, defaults: { logLevel: "error" } });
  const { migrateDatabase } = await import("../index.js");
  const outcome = await migrateDatabase(config);
  io.stdout.write(cmd.options.json ? `${JSON.stringify(outcome, null, 2)}\n` : `${describeMigration(outcome)}\n`);
  return 0;
}
