/**
 * `bruno serve` as real processes: the one-line start-up notice with the port picked, SIGTERM
 * with a turn in flight (it finishes and is returned, new requests get 503, exit 0), a turn that
 * outlives the grace period (cancelled, nothing saved, exit 0), and two replicas on one
 * PostgreSQL database carrying one conversation (turn 2 sent to B sees turn 1 sent to A).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { afterAll, beforeAll, describe, it } from "vitest";
import { FakeOllama, type FakeOllamaOptions } from "../../src/testing/index.js";
import { startPostgres, type PostgresCluster } from "../support/postgres.js";
import { killAll, spawnBruno, until, type Spawned } from "../support/spawn.js";
import { ALL_MODELS, LOKI_DOCS } from "../graph/helpers.js";

const TEST_TIMEOUT_MS = 90_000;
const LISTENING = /^bruno serve listening on (http:\/\/127\.0\.0\.1:(\d+))$/m;

let pg: PostgresCluster;
let dir: string;
const servers: FakeOllama[] = [];

beforeAll(async () => {
  [pg, dir] = await Promise.all([startPostgres(), mkdtemp(join(tmpdir(), "bruno-serve-"))]);
}, 60_000);

afterAll(async () => {
  killAll();
  await Promise.all(servers.map((s) => s.close()));
  await pg?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** An Ollama-protocol test server of its own for one test (the tests run at once). */
async function startOllama(options: FakeOllamaOptions = {}): Promise<FakeOllama> {
  const server = await FakeOllama.start({ models: ALL_MODELS.map((name) => ({ name })), ...options });
  servers.push(server);
  return server;
}

/** Starts `bruno serve --port 0` and resolves with its address once it says it listens. */
async function startServe(ollama: FakeOllama, args: string[], env: Record<string, string> = {}): Promise<{ proc: Spawned; url: string }> {
  const proc = spawnBruno(["serve", "--port", "0", ...args], { env: { OLLAMA_HOST: ollama.url, LOG_LEVEL: "info", ...env }, timeoutMs: TEST_TIMEOUT_MS });
  await until(() => LISTENING.test(proc.stderr()) || proc.exited(), "the listening line", TEST_TIMEOUT_MS);
  const url = LISTENING.exec(proc.stderr())?.[1];
  if (!url) throw new Error(`bruno serve did not start:\n${proc.output()}`);
  return { proc, url };
}

function generate(url: string, body: unknown): Promise<Response> {
  return fetch(`${url}/v1/generate`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
}

/** The model requests `ollama` has seen whose last message asks `query`. */
function requestsFor(ollama: FakeOllama, query: string) {
  return ollama.chatRequests().filter((r) => r.messages.at(-1)?.content.includes(query));
}

describe.concurrent("bruno serve as a process", () => {
  it(
    "SIGTERM with a turn in flight: new requests get 503 + Retry-After, the turn finishes and is returned, exit 0",
    async ({ expect }) => {
      const ollama = await startOllama({ timing: { tokenDelayMs: 100 } });
      const { proc, url } = await startServe(ollama, ["--db", join(dir, "drain.sqlite")], { BRUNO_SERVE_GRACE_MS: "20000" });
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      const query = "drain: loki ingester pods keep crashing";
      const tokens = Array.from({ length: 12 }, (_, i) => `word${i} `);
      ollama.scriptFor("sre-agent:v1.0", { content: tokens.join(""), tokens });
      const inFlight = generate(url, { query, documents: LOKI_DOCS, threadId: "drain" });
      await until(() => requestsFor(ollama, query).length === 1, "the turn's model request", 30_000);
      proc.kill("SIGTERM");
      await until(() => /serve_draining/.test(proc.stderr()), "the draining log line", 10_000);
      const late = await generate(url, { query: "too late", threadId: "late" });
      expect(late.status).toBe(503);
      expect(late.headers.get("retry-after")).toBe("1");
      expect(((await late.json()) as { error: { code: string } }).error.code).toBe("SHUTTING_DOWN");

      const answered = await inFlight;
      expect(answered.status).toBe(200);
      expect(((await answered.json()) as { answer: string }).answer).toBe(tokens.join("").trim());
      const result = await proc.done;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/"event":"serve_drained","finished":1,"cancelled":0/);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "SIGTERM with a turn that outlives BRUNO_SERVE_GRACE_MS: the turn is cancelled (503 CANCELLED), nothing of it is saved, exit 0",
    async ({ expect }) => {
      const file = join(dir, "grace.sqlite");
      const ollama = await startOllama();
      const { proc, url } = await startServe(ollama, ["--db", file], { BRUNO_SERVE_GRACE_MS: "300", BRUNO_STALL_TIMEOUT_MS: "60000" });
      const query = "grace: loki ingester pods keep crashing";
      // One token, then silence: the turn cannot end before the grace period does.
      ollama.scriptFor("sre-agent:v1.0", { kind: "stall", afterTokens: 1 });
      const inFlight = generate(url, { query, documents: LOKI_DOCS, threadId: "grace" });
      await until(() => requestsFor(ollama, query).length === 1, "the turn's model request", 30_000);
      const signalled = performance.now();
      proc.kill("SIGTERM");
      const cancelled = await inFlight;
      expect(cancelled.status).toBe(503);
      expect(((await cancelled.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "CANCELLED", message: expect.stringContaining("BRUNO_SERVE_GRACE_MS") });
      const result = await proc.done;
      expect(result.code, result.stderr).toBe(0);
      expect(performance.now() - signalled).toBeLessThan(10_000);
      expect(result.stderr).toMatch(/"event":"serve_drained","finished":0,"cancelled":1,"stuck":0/);
      const saver = SqliteSaver.fromConnString(file);
      try {
        expect(await saver.getTuple({ configurable: { thread_id: "grace" } })).toBeUndefined();
      } finally {
        saver.db.close();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "two replicas on one PostgreSQL database carry one conversation: turn 2 sent to B sees turn 1 sent to A",
    async ({ expect }) => {
      const ollama = await startOllama();
      const [a, b] = await Promise.all([startServe(ollama, ["--db", pg.url]), startServe(ollama, ["--db", pg.url])]);
      const first = "replicas: loki ingester pods keep crashing";
      const second = "replicas: and what about the WAL volume?";
      const answer1 = "Raise the ingester memory limit [1].";
      ollama.scriptFor("sre-agent:v1.0", { content: answer1 });
      const turn1 = await generate(a.url, { query: first, documents: LOKI_DOCS, threadId: "shared" });
      expect(turn1.status).toBe(200);
      const turn2 = await generate(b.url, { query: second, threadId: "shared" });
      expect(turn2.status).toBe(200);
      expect(turn2.headers.get("x-bruno-thread-id")).toBe("shared");
      const history = requestsFor(ollama, second)[0]?.messages ?? [];
      const asked = history.findIndex((m) => m.role === "user" && m.content.includes(first));
      expect(asked, JSON.stringify(history)).toBeGreaterThan(-1);
      expect(history[asked + 1]).toMatchObject({ role: "assistant", content: expect.stringContaining("Raise the ingester memory limit") });
      for (const replica of [a, b]) replica.proc.kill("SIGTERM");
      const exits = await Promise.all([a.proc.done, b.proc.done]);
      expect(exits.map((e) => e.code)).toEqual([0, 0]);
    },
    TEST_TIMEOUT_MS,
  );
});
