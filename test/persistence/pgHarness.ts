/**
 * One throwaway PostgreSQL cluster per test file (started in beforeAll, stopped in afterAll) and
 * the databases a test opens on it, closed with it.
 */
import { afterAll, beforeAll } from "vitest";
import type { BrunoConfig } from "../../src/config/config.js";
import { openDatabase, type Database } from "../../src/persistence/database.js";
import { testConfig } from "../graph/helpers.js";
import { startPostgres, type PostgresCluster } from "../support/postgres.js";

/** The settings of a test with `BRUNO_DB` at `url`. */
export function configFor(url: string, env: Record<string, string> = {}): BrunoConfig & { dbPath: string } {
  return { ...testConfig(env), dbPath: url };
}

export function usePostgres() {
  let cluster: PostgresCluster | undefined;
  const opened: Database[] = [];
  beforeAll(async () => {
    cluster = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(opened.map((db) => db.close()));
    await cluster?.stop();
  });
  return {
    /** The cluster (after beforeAll). */
    get pg(): PostgresCluster {
      if (!cluster) throw new Error("the PostgreSQL cluster is not started yet");
      return cluster;
    },
    /** Opens the database at `url` (the cluster's own by default); closed after the file's tests. */
    async open(url?: string, env: Record<string, string> = {}): Promise<Database> {
      const db = await openDatabase(configFor(url ?? this.pg.url, env));
      opened.push(db);
      return db;
    },
  };
}
