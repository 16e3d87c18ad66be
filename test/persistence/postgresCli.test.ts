/**
 * `bruno` processes on one PostgreSQL database: N processes × M turns on one thread keep every
 * answered turn exactly once, in the order they ran; `reject` refuses with THREAD_BUSY (exit 6);
 * a process killed mid-turn frees its thread at once and saves nothing; `bruno db migrate`; and
 * a failing run never prints the password. Runs that need no process of their own (the lock is
 * in the database, held here by another pool) go through the in-process CLI harness.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGenerationGraph } from "../../src/app/createGraph.js";
import { openDatabase, type Database } from "../../src/persistence/database.js";
import { staticModelServer } from "../../src/providers/ports.js";
import { FakeOllama } from "../../src/testing/index.js";
import { bruno } from "../support/cliHarness.js";
import { createFakeModels, textOf } from "../support/fakeModels.js";
import { closedPort } from "../support/net.js";
import { startPostgres, type PostgresCluster } from "../support/postgres.js";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { killAll, runTypeScript, spawnBruno } from "../support/spawn.js";
import { ALL_MODELS, testConfig, threadMessages } from "../graph/helpers.js";

const PASSWORD = "s3cret-pw";
const WORKERS = 4;
const TURNS = 3;
let pg: PostgresCluster;
let ollama: FakeOllama;
let db: Database;
let answers = 0;

beforeAll(async () => {
  [pg, ollama] = await Promise.all([
    startPostgres(),
    FakeOllama.start({
      models: ALL_MODELS.map((name) => ({ name })),
      // Short answers a few milliseconds apart: turns overlap in time without making the serialized run long.
      defaultReply: () => ({ content: `Answer number ${(answers += 1)}.` }),
      timing: { tokenDelayMs: 5 },
    }),
  ]);
  db = await openDatabase({ ...testConfig(), dbPath: pg.url }); // creates the tables once, before the processes start
}, 60_000);

afterAll(async () => {
  killAll();
  await db?.close();
  await ollama?.close();
  await pg?.stop();
});

const TURNS_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "askTurns.ts");

function askEnv(env: Record<string, string> = {}): Record<string, string> {
  return { OLLAMA_HOST: ollama.url, BRUNO_THREAD_WAIT_MS: "60000", ...env };
}

/** `bruno ask … --json` as a process of its own. */
function askProcess(query: string, thread: string, extra: string[] = []) {
  return spawnBruno(["ask", query, "--db", pg.url, "--thread", thread, "--json", ...extra], { env: askEnv(), timeoutMs: 90_000 });
}

/** `bruno ask … --json` through the in-process harness. */
function ask(query: string, thread: string, env: Record<string, string> = {}) {
  return bruno(["ask", query, "--db", pg.url, "--thread", thread, "--json"], { env: askEnv(env) });
}

interface Turn {
  question: string;
  code: number;
  stdout: string;
  stderr: string;
}

/** The thread's messages as saved, read in this process. */
async function history(thread: string): Promise<string[]> {
  const graph = createGenerationGraph({ config: testConfig(), admin: staticModelServer(ALL_MODELS), chatModelFactory: createFakeModels({}).factory, database: db });
  return (await threadMessages(graph, thread)).map(textOf);
}

/** Which of `questions` each chat request asked (its last message), in arrival order. */
function askedInOrder(questions: readonly string[]): string[] {
  return ollama
    .chatRequests()
    .map((request) => request.messages.at(-1)?.content ?? "")
    .map((content) => questions.find((q) => content.includes(q)))
    .filter((q): q is string => q !== undefined);
}

// Concurrent: the tests use threads of their own, and each recognises its own requests to the fake server.
describe.concurrent("bruno processes sharing PostgreSQL", () => {
  it(`${WORKERS} processes × ${TURNS} turns on one thread: every answered turn is in the history exactly once, in the order the turns ran`, async () => {
    const questions = Array.from({ length: WORKERS }, (_, w) => Array.from({ length: TURNS }, (_, t) => `what does worker ${w} ask in turn ${t}?`));
    const processes = await Promise.all(questions.map((mine) => runTypeScript(TURNS_SCRIPT, [pg.url, "many-turns", ...mine], { env: askEnv(), timeoutMs: 90_000 })));
    expect(processes.map((p) => [p.code, p.stderr])).toEqual(processes.map(() => [0, ""]));
    const results = processes.flatMap((p) =>
      p.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as Turn),
    );
    const failed = results.filter((r) => r.code !== 0);
    expect(failed.map((r) => `${r.question}: exit ${r.code} ${r.stderr}`)).toEqual([]);
    expect(results).toHaveLength(WORKERS * TURNS);
    const all = questions.flat();
    const ran = askedInOrder(all);
    expect([...ran].sort()).toEqual([...all].sort()); // each question reached the model once

    const saved = await history("many-turns");
    const savedQuestions = saved.filter((_, i) => i % 2 === 0);
    expect(savedQuestions).toEqual(ran); // once each, in the order they ran
    for (const { question, stdout } of results) {
      const answer = (JSON.parse(stdout) as { answer: string }).answer;
      expect(saved[saved.indexOf(question) + 1]).toBe(answer);
    }
    // Each worker's own turns kept their order.
    for (const mine of questions) expect(savedQuestions.filter((q) => mine.includes(q))).toEqual(mine);
  }, 120_000);

  it("a turn on a thread held elsewhere: reject exits 6 with THREAD_BUSY at once; enqueue gives up after BRUNO_THREAD_WAIT_MS", async () => {
    const lease = await db.lock.acquire("held-thread", { timeoutMs: 1_000 });
    try {
      const [rejected, waited] = await Promise.all([
        ask("is the thread free?", "held-thread", { BRUNO_THREAD_STRATEGY: "reject" }),
        ask("is the thread free now?", "held-thread", { BRUNO_THREAD_WAIT_MS: "500" }),
      ]);
      for (const result of [rejected, waited]) {
        expect(result.code).toBe(6);
        expect(result.stderr).toContain("THREAD_BUSY");
      }
      expect(rejected.stderr).toContain('strategy "reject"');
      expect(waited.stderr).toContain("after 500 ms");
    } finally {
      await lease.release();
    }
    expect(await history("held-thread")).toEqual([]);
  }, 60_000);

  it("a process killed mid-turn frees its thread at once and saves nothing of the turn; the next turn answers", async () => {
    // A model no other test asks for: its reply stalls after two tokens, so the turn is mid-answer when killed.
    ollama.scriptFor("llama3.2:3b", { kind: "stall", afterTokens: 2 });
    const question = "a turn that will be killed?";
    const child = askProcess(question, "killed-thread", ["--model", "llama3.2:3b"]);
    while (!askedInOrder([question]).includes(question)) {
      expect(child.exited()).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill("SIGKILL");
    await child.exit;
    const started = Date.now();
    let lease;
    while (!lease) {
      lease = await db.lock.acquire("killed-thread", { strategy: "reject", timeoutMs: 0 }).catch(() => undefined);
      if (!lease) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(Date.now() - started).toBeLessThan(5_000); // the server notices the closed socket at once; slack for a loaded machine
    }
    await lease.release();
    expect(await history("killed-thread")).toEqual([]);
    const next = await ask("the next turn?", "killed-thread");
    expect(next.code).toBe(0);
    expect(await history("killed-thread")).toHaveLength(2);
  }, 60_000);

  it("bruno db migrate says what it did; a failing run (a closed port) prints no password, with --verbose and debug logs", async () => {
    const migrated = await bruno(["db", "migrate", "--db", pg.url]);
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toMatch(/^PostgreSQL at postgres:\/\/bruno:\*\*\*@127\.0\.0\.1:\d+\/postgres: schema current at version \d+, nothing to apply/);

    const wrong = `postgres://bruno:${PASSWORD}@127.0.0.1:${await closedPort()}/postgres`;
    const runs = await Promise.all([
      bruno(["ask", "anything?", "--db", wrong, "--thread", "t", "--verbose"], { env: { OLLAMA_HOST: ollama.url, LOG_LEVEL: "debug" } }),
      bruno(["ask", "anything?", "--json"], { env: { OLLAMA_HOST: ollama.url, BRUNO_DB: wrong } }),
      bruno(["db", "migrate", "--db", wrong, "--verbose"]),
    ]);
    for (const run of runs) {
      expect(run.code).toBe(3);
      expect(run.stderr).toContain("DB_UNAVAILABLE");
      expect(run.stderr).toContain("bruno:***@127.0.0.1");
      expect(`${run.stdout}${run.stderr}`).not.toContain(PASSWORD);
    }
  }, 60_000);
});
