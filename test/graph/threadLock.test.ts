/**
 * Turns on a SQLite conversation file with its thread lock (`openDatabase`): a turn that does not
 * end well saves nothing, a turn whose lease is taken mid-turn stops and saves nothing, and the
 * busy-thread strategy applies across connections (processes).
 *
 * LangGraph 1.7.3 with durability "exit" writes a checkpoint even when a run fails or is
 * aborted: the state after its last finished step (`finishAndHandleError`). The run guard holds
 * a turn's writes back until the turn has ended well (`TurnWrites`); these tests fail without it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createGenerationGraph } from "../../src/app/createGraph.js";
import { openDatabase, type Database } from "../../src/persistence/database.js";
import { LOCK_TABLE } from "../../src/persistence/sqliteLock.js";
import { staticModelServer } from "../../src/providers/ports.js";
import { createFakeModels, serverError, textOf, type FakeScript } from "../support/fakeModels.js";
import { ALL_MODELS, GROUNDED_1, GROUNDED_2, LOKI_DOCS, rejectionOf, testConfig, threadMessages, TROUBLESHOOTING_QUERY } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "bruno-thread-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const databases: Database[] = [];
afterEach(async () => {
  for (const db of databases.splice(0)) await db.close();
});

let files = 0;
const newFile = () => join(dir, `threads-${++files}.sqlite`);

/** A graph on the SQLite file `file` (its own connection and lock, as another process would have). */
async function graphOn(file: string, script: FakeScript, env: Record<string, string> = {}) {
  const config = testConfig({ BRUNO_DB: file, ...env });
  const database = await openDatabase(config);
  databases.push(database);
  const fake = createFakeModels(script);
  const graph = createGenerationGraph({ config, admin: staticModelServer(ALL_MODELS), chatModelFactory: fake.factory, database });
  return { graph, fake, database };
}

/** Rows of the checkpoints table of `file` (every checkpoint of every thread). */
function checkpointCount(file: string): number {
  const db = SqliteSaver.fromConnString(file).db;
  try {
    return (db.prepare("SELECT count(*) AS n FROM checkpoints").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

const thread = (id: string) => ({ configurable: { thread_id: id } });
const SRE = "sre-agent:v1.0";

describe("a turn that does not end well saves nothing (SQLite, durability exit)", () => {
  it("a turn aborted after the model streamed some tokens leaves the thread's history and checkpoints unchanged; the next turn sees only turn 1", async () => {
    const file = newFile();
    const { graph, fake } = await graphOn(file, { [SRE]: [GROUNDED_1, { hang: true, tokensBefore: ["Loki ", "ingesters ", "are "] }, GROUNDED_2] });
    await graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, thread("t"));
    const before = (await threadMessages(graph, "t")).map(textOf);
    const checkpoints = checkpointCount(file);

    const controller = new AbortController();
    let tokens = 0;
    const error = await rejectionOf(
      (async () => {
        const stream = await graph.stream({ query: "loki ingesters crash again after the upgrade", documents: LOKI_DOCS }, { ...thread("t"), streamMode: ["messages"], signal: controller.signal });
        for await (const _ of stream) if (++tokens === 3) controller.abort(new Error("interrupted"));
      })(),
    );
    expect(error).toMatchObject({ code: "CANCELLED" });
    expect(tokens).toBe(3);
    expect(fake.calls[1]?.outcome).toBe("aborted");
    expect((await threadMessages(graph, "t")).map(textOf)).toEqual(before);
    expect(checkpointCount(file)).toBe(checkpoints);

    const out = await graph.invoke({ query: "loki ingesters still crash", documents: LOKI_DOCS }, thread("t"));
    expect(out.answer).toBe(GROUNDED_2);
    expect((await threadMessages(graph, "t")).map(textOf)).toEqual([...before, "loki ingesters still crash", GROUNDED_2]);
  });

  it("a failed turn (every model failed) writes no checkpoint", async () => {
    const file = newFile();
    const failing = { error: serverError() };
    const { graph } = await graphOn(file, { [SRE]: failing, "llama3.1:8b": failing, "llama3.2:3b": failing });
    await expect(graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, thread("f"))).rejects.toMatchObject({ code: "ALL_MODELS_FAILED" });
    expect(checkpointCount(file)).toBe(0);
  });
});

describe("the thread lock across connections to one file", () => {
  it("a lease taken mid-turn ends the turn with DB_UNAVAILABLE (lock-lost) within a heartbeat, saving nothing; the new holder's turn stays", async () => {
    const file = newFile();
    const env = { BRUNO_THREAD_LEASE_MS: "300" };
    const a = await graphOn(file, { [SRE]: [{ hang: true, tokensBefore: ["Loki "] }] }, env);
    const b = await graphOn(file, { [SRE]: [GROUNDED_2] }, env);
    const turnA = rejectionOf(a.graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, thread("t")));
    await a.fake.waitForCall(0);
    // What a process does after it found A's lease expired: it takes the row over.
    const handle = SqliteSaver.fromConnString(file).db;
    handle.prepare(`UPDATE ${LOCK_TABLE} SET owner = 'process-b', expires_at = ? WHERE thread_id = 't'`).run(Date.now() + 60_000);
    const stolenAt = performance.now();
    const error = await turnA;
    // At A's next heartbeat (every 100 ms), not at the end of the turn.
    expect(performance.now() - stolenAt).toBeLessThan(300 / 3 + 400);
    expect(error).toMatchObject({ code: "DB_UNAVAILABLE", problem: "lock-lost" });
    expect(a.fake.calls[0]?.outcome).toBe("aborted");
    expect(checkpointCount(file)).toBe(0);
    // B holds the thread now; once B's turn is in, A's late end changed nothing.
    handle.prepare(`DELETE FROM ${LOCK_TABLE} WHERE owner = 'process-b'`).run();
    handle.close();
    await b.graph.invoke({ query: "loki ingesters still crash", documents: LOKI_DOCS }, thread("t"));
    expect((await threadMessages(b.graph, "t")).map(textOf)).toEqual(["loki ingesters still crash", GROUNDED_2]);
  });

  it("while one connection answers on a thread: `reject` refuses at once, `enqueue` waits and then sees the first turn", async () => {
    const file = newFile();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const a = await graphOn(file, { [SRE]: [{ answer: GROUNDED_1, gate }] });
    const b = await graphOn(file, { [SRE]: [GROUNDED_2] }, { BRUNO_THREAD_STRATEGY: "reject" });
    const first = a.graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, thread("t"));
    await a.fake.waitForCall(0);

    const refused = await rejectionOf(b.graph.invoke({ query: "loki ingesters still crash", documents: LOKI_DOCS }, thread("t")));
    expect(refused).toMatchObject({ code: "THREAD_BUSY", strategy: "reject" });
    expect(b.fake.calls).toHaveLength(0);

    // The run's own strategy wins over the setting.
    const queued = b.graph.invoke({ query: "loki ingesters still crash", documents: LOKI_DOCS }, { configurable: { thread_id: "t", multitask_strategy: "enqueue" } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(b.fake.calls).toHaveLength(0);
    open();
    await first;
    await queued;
    expect((await threadMessages(b.graph, "t")).map(textOf)).toEqual([TROUBLESHOOTING_QUERY, GROUNDED_1, "loki ingesters still crash", GROUNDED_2]);
  });
});
