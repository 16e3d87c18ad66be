/**
 * The PostgreSQL thread lock (session advisory locks) and outages: reject and enqueue, a wait
 * cancelled, a lock whose connection is killed, a full pool that fails instead of deadlocking, a
 * server crash mid-turn (typed error, nothing saved, the next turn works once it is back), and
 * failures whose text never holds the password.
 */
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { createGenerationGraph } from "../../src/app/createGraph.js";
import { isDatabaseError } from "../../src/domain/errors.js";
import { openDatabase, type Database } from "../../src/persistence/database.js";
import { THREAD_LOCK_NAMESPACE } from "../../src/persistence/pgLock.js";
import { staticModelServer } from "../../src/providers/ports.js";
import { isThreadBusyError } from "../../src/runtime/threadLock.js";
import { createFakeModels, textOf, type FakeScript } from "../support/fakeModels.js";
import { closedPort } from "../support/net.js";
import { configFor, usePostgres } from "./pgHarness.js";
import { ALL_MODELS, EXPLANATION_QUERY, testConfig, threadMessages } from "../graph/helpers.js";

const PASSWORD = "s3cret-pw";
const harness = usePostgres();
const open = (env: Record<string, string> = {}, url?: string) => harness.open(url, env);

function graphOn(database: Database, script: FakeScript) {
  const fake = createFakeModels(script);
  const graph = createGenerationGraph({ config: testConfig(), admin: staticModelServer(ALL_MODELS), chatModelFactory: fake.factory, database });
  return { graph, fake };
}

const thread = (id: string) => ({ configurable: { thread_id: id } });

/** Everything a failure could show: message, JSON, and the whole cause chain as the console prints it. */
function allTextOf(error: unknown): string {
  return `${String(error)}\n${JSON.stringify(error)}\n${inspect(error, { depth: 10 })}`;
}

describe("the advisory thread lock", () => {
  it("reject refuses at once while another pool holds the thread; enqueue waits for the release, or gives up with THREAD_BUSY", async () => {
    const [a, b] = [await open(), await open()];
    const held = await a.lock.acquire("busy-1", { timeoutMs: 1_000 });

    let started = Date.now();
    const refused = await b.lock.acquire("busy-1", { strategy: "reject", timeoutMs: 10_000 }).catch((error: unknown) => error);
    expect(isThreadBusyError(refused)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);

    started = Date.now();
    const late = await b.lock.acquire("busy-1", { strategy: "enqueue", timeoutMs: 300 }).catch((error: unknown) => error);
    expect(isThreadBusyError(late)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);

    // Another thread is free meanwhile.
    await (await b.lock.acquire("busy-2", { strategy: "reject", timeoutMs: 0 })).release();

    setTimeout(() => void held.release(), 150);
    started = Date.now();
    const next = await b.lock.acquire("busy-1", { strategy: "enqueue", timeoutMs: 10_000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(next.lost.aborted).toBe(false);
    await next.confirm?.(); // still held: the turn may save
    await next.release();
    await next.release(); // twice is harmless
  });

  it("a wait is cancelled by the run's signal within a backoff step", async () => {
    const [a, b] = [await open(), await open()];
    const held = await a.lock.acquire("cancel-1", { timeoutMs: 1_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    await expect(b.lock.acquire("cancel-1", { timeoutMs: 10_000, signal: controller.signal })).rejects.toMatchObject({ code: "CANCELLED" });
    expect(Date.now() - started).toBeLessThan(1_500);
    await held.release();
  });

  it("a lock whose connection is killed aborts `lost` with DB_UNAVAILABLE, and the thread is free for another session at once", async () => {
    const [a, b] = [await open(), await open()];
    const lease = await a.lock.acquire("killed-1", { timeoutMs: 1_000 });
    const terminated = await harness.pg.sql(`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND classid = ${THREAD_LOCK_NAMESPACE} AND granted`);
    expect(terminated.split("\n")).toEqual(["t"]);
    await new Promise<void>((resolve) => (lease.lost.aborted ? resolve() : lease.lost.addEventListener("abort", () => resolve(), { once: true })));
    expect(isDatabaseError(lease.lost.reason)).toBe(true);
    expect(lease.lost.reason).toMatchObject({ code: "DB_UNAVAILABLE", problem: "connection-lost" });
    await expect(lease.confirm?.()).rejects.toMatchObject({ code: "DB_UNAVAILABLE" }); // the turn must not save
    const other = await b.lock.acquire("killed-1", { strategy: "reject", timeoutMs: 0 });
    await other.release();
    await lease.release();
    // The pool of `a` still works.
    await (await a.lock.acquire("killed-1", { strategy: "reject", timeoutMs: 0 })).release();
  });

  it("a full pool fails with a DatabaseError naming BRUNO_DB_POOL_SIZE instead of deadlocking, and turns still save meanwhile", async () => {
    const db = await open({ BRUNO_DB_POOL_SIZE: "3" }); // two connections for locks, one kept for saving
    const one = await db.lock.acquire("full-1", { timeoutMs: 1_000 });
    // One lock held: a whole turn (its lock and its checkpoint writes) still goes through.
    const { graph } = graphOn(db, { "llama3.1:8b": "Saved." });
    expect((await graph.invoke({ query: EXPLANATION_QUERY, model: "llama3.1:8b" }, thread("full-turn"))).answer).toBe("Saved.");
    const two = await db.lock.acquire("full-2", { timeoutMs: 1_000 });
    const started = Date.now();
    const error = await db.lock.acquire("full-3", { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(error).toMatchObject({ code: "DB_UNAVAILABLE" });
    expect((error as Error).message).toContain("BRUNO_DB_POOL_SIZE");
    // Reads of the checkpointer are not starved by the held locks.
    expect((await db.saver.getTuple(thread("full-turn")))?.checkpoint).toBeDefined();
    await Promise.all([one.release(), two.release()]);
    await (await db.lock.acquire("full-3", { timeoutMs: 1_000 })).release();
  });
});

describe("outages and failures", () => {
  it("a crash mid-turn fails the turn with DB_UNAVAILABLE and saves nothing; once the server is back the next turn works", async () => {
    const db = await open();
    let open_!: () => void;
    const gate = new Promise<void>((resolve) => (open_ = resolve));
    const { graph, fake } = graphOn(db, { "llama3.1:8b": ["Before the outage.", { answer: "Never saved.", gate }, "After the outage."] });
    await graph.invoke({ query: EXPLANATION_QUERY, model: "llama3.1:8b" }, thread("outage"));

    const turn = graph.invoke({ query: "second question?", model: "llama3.1:8b" }, thread("outage"));
    turn.catch(() => undefined);
    await fake.waitForCall(1);
    await harness.pg.crash();
    const error = await turn.catch((e: unknown) => e);
    open_();
    expect(error).toMatchObject({ code: "DB_UNAVAILABLE" });
    expect(allTextOf(error)).not.toContain(PASSWORD);
    await expect(db.ping()).rejects.toMatchObject({ code: "DB_UNAVAILABLE" });

    await harness.pg.start();
    await db.ping();
    const out = await graph.invoke({ query: "third question?", model: "llama3.1:8b" }, thread("outage"));
    expect(out.answer).toBe("After the outage.");
    expect((await threadMessages(graph, "outage")).map(textOf)).toEqual([EXPLANATION_QUERY, "Before the outage.", "third question?", "After the outage."]);
  }, 30_000);

  it("a closed port is DB_UNAVAILABLE (unreachable) within the connect deadline; nothing it carries holds the password", async () => {
    const port = await closedPort();
    for (const url of [`postgres://bruno:${PASSWORD}@127.0.0.1:${port}/postgres`, `postgresql://bruno@127.0.0.1:${port}/postgres?password=${PASSWORD}`]) {
      const error = await openDatabase(configFor(url)).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "DB_UNAVAILABLE", problem: "unreachable" });
      expect((error as Error).message).toContain(`127.0.0.1:${port}`);
      expect(allTextOf(error)).not.toContain(PASSWORD);
    }
  });

  it("a missing database, a malformed URL and a pool of one are CONFIG_INVALID, without the password", async () => {
    const cases = [harness.pg.url.replace(/\/postgres$/, "/no_such_db"), `postgres://bruno:${PASSWORD}@[not-a-host/postgres`, { url: harness.pg.url, env: { BRUNO_DB_POOL_SIZE: "1" } }];
    for (const item of cases) {
      const { url, env } = typeof item === "string" ? { url: item, env: {} } : item;
      const error = await openDatabase(configFor(url, env)).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "CONFIG_INVALID" });
      expect(allTextOf(error)).not.toContain(PASSWORD);
    }
  });
});
