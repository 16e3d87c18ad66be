/**
 * The checkpoint tables of `@langchain/langgraph-checkpoint-postgres` and their migrations.
 *
 * The library's `setup()` reads the last applied migration from `checkpoint_migrations` and runs
 * the ones after it, without a lock: two processes running it at once on a fresh database both
 * try the same `INSERT` and one fails with a duplicate key. Here it runs only under a session
 * advisory lock (`pg_advisory_lock(MIGRATION_LOCK)`) taken on a connection of its own, so
 * concurrent migrations queue: the first applies them, the others find the schema current.
 */
import type { Pool, PoolClient } from "pg";

/** The two keys of the migration lock (another namespace than the thread locks'). */
export const MIGRATION_LOCK = [0x42524e50, 1] as const;

/** A saver that can create its tables. */
export interface Migratable {
  setup(): Promise<void>;
}

/** The schema version a database had and has: the last migration applied (-1 for none). */
export interface MigrationReport {
  from: number;
  to: number;
  /** Migrations this call applied. */
  applied: number;
  /** Milliseconds spent waiting for another process's migration. */
  waitedMs: number;
}

type Queryable = Pick<PoolClient, "query">;

/** The last migration applied to the database `client` talks to, or -1 when the tables are missing. */
export async function schemaVersion(client: Queryable, schema = "public"): Promise<number> {
  try {
    const result = await client.query<{ v: number | null }>(`SELECT max(v) AS v FROM "${schema.replaceAll('"', '""')}".checkpoint_migrations`);
    return result.rows[0]?.v ?? -1;
  } catch (error) {
    if ((error as { code?: unknown }).code === "42P01" || (error as { code?: unknown }).code === "3F000") return -1;
    throw error;
  }
}

/**
 * The version the library's migrations lead to, learnt without a database: `setup()` is run
 * against a stand-in connection that reports no migration applied, and the versions it records
 * are counted. So an upgrade of the library that adds a migration is noticed on the next open.
 */
export async function latestSchemaVersion(makeSaver: (pool: unknown) => Migratable): Promise<number> {
  let latest = -1;
  const client = {
    query: async (text: string, values?: unknown[]) => {
      if (/^\s*INSERT INTO/i.test(text) && typeof values?.[0] === "number") latest = Math.max(latest, values[0]);
      return { rows: [] };
    },
    release: () => undefined,
  };
  await makeSaver({ connect: async () => client, query: client.query }).setup();
  return latest;
}

/**
 * Runs the saver's migrations under the migration lock, on a connection of the pool held for the
 * whole migration (the saver's `setup()` takes another one). The lock's wait is bounded by the
 * pool's statement timeout. A process that dies mid-way releases the lock with its connection, and
 * the next migration carries on from the last migration recorded.
 */
export async function migrateUnderLock(pool: Pool, saver: Migratable, latest: number): Promise<MigrationReport> {
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    const waitStart = Date.now();
    await client.query("SELECT pg_advisory_lock($1, $2)", [...MIGRATION_LOCK]);
    const waitedMs = Date.now() - waitStart;
    try {
      const from = await schemaVersion(client);
      if (from < latest) await saver.setup();
      const to = await schemaVersion(client);
      return { from, to, applied: Math.max(0, to - from), waitedMs };
    } finally {
      await client.query("SELECT pg_advisory_unlock($1, $2)", [...MIGRATION_LOCK]).catch((error: unknown) => {
        failure = error instanceof Error ? error : new Error(String(error));
      });
    }
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    // A connection that failed is closed rather than pooled (closing it frees the lock too).
    client.release(failure);
  }
}
