/**
 * PostgreSQL threads in process: opening (schema created under the migration lock), threads
 * shared by two pools, concurrent migrations, the advisory thread lock (reject, enqueue, a lost
 * connection, a full pool), an outage mid-turn, and errors that never quote the password.
 */
import pgModule from "pg";
import { describe, expect, it } from "vitest";
import { createGenerationGraph } from "../../src/app/createGraph.js";
import type { Database } from "../../src/persistence/database.js";
import { migratePostgres } from "../../src/persistence/postgres.js";
import { staticModelServer } from "../../src/providers/ports.js";
import { createFakeModels, textOf, type FakeScript } from "../support/fakeModels.js";
import { configFor, usePostgres } from "./pgHarness.js";
import { ALL_MODELS, EXPLANATION_QUERY, testConfig, threadMessages } from "../graph/helpers.js";

const PASSWORD = "s3cret-pw";
const harness = usePostgres();
const open = (url?: string, env: Record<string, string> = {}) => harness.open(url, env);

/** A URL of a new, empty database of the cluster. */
async function freshDatabase(name: string): Promise<string> {
  await harness.pg.sql(`CREATE DATABASE ${name}`);
  return harness.pg.url.replace(/\/postgres$/, `/${name}`);
}

function graphOn(database: Database, script: FakeScript, env: Record<string, string> = {}) {
  const fake = createFakeModels(script);
  const graph = createGenerationGraph({ config: testConfig(env), admin: staticModelServer(ALL_MODELS), chatModelFactory: fake.factory, database });
  return { graph, fake };
}

/** Rows of one statement on the database of `url`, through a connection of its own. */
async function query(url: string, text: string): Promise<Record<string, unknown>[]> {
  const client = new pgModule.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

const thread = (id: string) => ({ configurable: { thread_id: id } });

describe("opening PostgreSQL", () => {
  it("creates the checkpoint tables on first open and prints the URL without its password", async () => {
    const url = await freshDatabase("first_open");
    const db = await open(url);
    expect(db.kind).toBe("postgres");
    expect(db.location).toContain("bruno:***@127.0.0.1");
    expect(db.location).not.toContain(PASSWORD);
    const tables = await query(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1");
    expect(tables.map((row) => row.table_name)).toEqual(["checkpoint_blobs", "checkpoint_migrations", "checkpoint_writes", "checkpoints"]);
    await db.ping();
  });

  it("a thread written through one pool is read through another (two processes' view)", async () => {
    const a = await open();
    const b = await open();
    const first = graphOn(a, { "llama3.1:8b": "First answer." });
    await first.graph.invoke({ query: EXPLANATION_QUERY, model: "llama3.1:8b" }, thread("shared-1"));
    const second = graphOn(b, { "llama3.1:8b": "Second answer." });
    await second.graph.invoke({ query: "and an alerting rule?", model: "llama3.1:8b" }, thread("shared-1"));
    expect(textOf(second.fake.calls[0]?.messages.at(-2))).toBe("First answer.");
    expect((await threadMessages(first.graph, "shared-1")).map(textOf)).toEqual([EXPLANATION_QUERY, "First answer.", "and an alerting rule?", "Second answer."]);
  });

  it("four concurrent migrations of a fresh database all succeed; one applies the migrations, the others find them done", async () => {
    const url = await freshDatabase("concurrent_migrate");
    const reports = await Promise.all([1, 2, 3, 4].map(() => migratePostgres(configFor(url))));
    const latest = reports[0]?.latest ?? -1;
    expect(latest).toBeGreaterThanOrEqual(4);
    expect(reports.every((r) => r.to === latest)).toBe(true);
    expect(reports.filter((r) => r.applied > 0).map((r) => [r.from, r.applied])).toEqual([[-1, latest + 1]]);
    expect(reports.every((r) => r.location.includes("***") && !r.location.includes(PASSWORD))).toBe(true);
  });
});
