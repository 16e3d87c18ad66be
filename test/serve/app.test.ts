/**
 * The `bruno serve` app in process (`app.request`, no socket): the JSON answer is the object
 * `bruno ask --json` prints, Server-Sent Events end with it, and every refusal has its status,
 * typed code and (for 503) `Retry-After`. The process itself (signals, grace) is in
 * `process.test.ts`.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createServeApp, THREAD_HEADER, type ServeApp } from "../../src/app/serve/index.js";
import { createGenerationGraph } from "../../src/app/createGraph.js";
import { loadConfig } from "../../src/config/config.js";
import { memoryDatabase } from "../../src/persistence/database.js";
import type { Database } from "../../src/persistence/types.js";
import { staticModelServer, type ModelServer } from "../../src/providers/ports.js";
import { FakeOllama } from "../../src/testing/index.js";
import { bruno } from "../support/cliHarness.js";
import { createFakeModels, type FakeModels, type FakeScript } from "../support/fakeModels.js";
import { ALL_MODELS, GROUNDED_1, GROUNDED_2, LOKI_DOCS, testConfig, TROUBLESHOOTING_QUERY, until } from "../graph/helpers.js";

interface Setup {
  script?: FakeScript;
  env?: Record<string, string>;
  database?: Database;
  admin?: ModelServer;
}

function serveApp(setup: Setup = {}): ServeApp & { fake: FakeModels } {
  const fake = createFakeModels(setup.script ?? { "sre-agent:v1.0": `${GROUNDED_1} ${GROUNDED_2}` });
  const config = testConfig(setup.env);
  const database = setup.database ?? memoryDatabase();
  const graph = createGenerationGraph({ config, admin: setup.admin ?? staticModelServer(ALL_MODELS), chatModelFactory: fake.factory, database });
  return { ...createServeApp({ graph, database, config }), fake };
}

function post(app: ServeApp["app"], body: unknown, headers: Record<string, string> = {}, init: RequestInit = {}): Promise<Response> {
  return Promise.resolve(
    app.request("/v1/generate", {
      method: "POST",
      headers: { "Content-Type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
      ...init,
    }),
  );
}

interface SseEvent {
  event: string;
  data: unknown;
}

function parseSse(text: string): SseEvent[] {
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const lines = block.split("\n");
      const event =
        lines
          .find((l) => l.startsWith("event:"))
          ?.slice(6)
          .trim() ?? "message";
      const data = lines
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).replace(/^ /, ""))
        .join("\n");
      return { event, data: JSON.parse(data) as unknown };
    });
}

const TURN = { query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS };

describe("POST /v1/generate", () => {
  const servers: FakeOllama[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it("answers with exactly the object `bruno ask --json` prints for the same question and server", async () => {
    const ollama = await FakeOllama.start({ models: ALL_MODELS.map((name) => ({ name })) });
    servers.push(ollama);
    const reply = "Check the ingester memory limit before restarting the pods.";
    ollama.script({ content: reply }, { content: reply });
    const cli = await bruno(["ask", TROUBLESHOOTING_QUERY, "--json"], { env: { OLLAMA_HOST: ollama.url } });
    expect(cli.code, cli.stderr).toBe(0);

    const config = loadConfig({ env: { OLLAMA_HOST: ollama.url, LOG_LEVEL: "silent" } });
    const database = memoryDatabase();
    const { app } = createServeApp({ graph: createGenerationGraph({ config, database }), database, config });
    const response = await post(app, { query: TROUBLESHOOTING_QUERY, documents: [], threadId: "t-json" });
    expect(response.status).toBe(200);
    expect(response.headers.get(THREAD_HEADER)).toBe("t-json");
    const served = (await response.json()) as { answer: string; usage: { durationMs: number } };
    const printed = JSON.parse(cli.stdout) as typeof served;
    expect(served.answer).toBe(reply);
    // The same object, key for key; only the wall time of the turn differs between two runs.
    expect({ ...served, usage: { ...served.usage, durationMs: 0 } }).toEqual({ ...printed, usage: { ...printed.usage, durationMs: 0 } });
  });

  it("streams tokens and events as Server-Sent Events, ending with the same result object", async () => {
    const { app, fake } = serveApp();
    const response = await post(app, { ...TURN, threadId: "t-sse" }, { Accept: "text/event-stream" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(response.headers.get(THREAD_HEADER)).toBe("t-sse");
    const events = parseSse(await response.text());
    expect(events.at(-1)?.event).toBe("result");
    expect(events.filter((e) => e.event === "result" || e.event === "error")).toHaveLength(1);
    const result = events.at(-1)?.data as { answer: string; model: string };
    const tokens = events.filter((e) => e.event === "token").map((e) => (e.data as { text: string }).text);
    expect(tokens.length).toBeGreaterThan(5);
    expect(tokens.join("")).toBe(result.answer);
    const types = events.filter((e) => e.event === "event").map((e) => (e.data as { type: string }).type);
    // The turn's own order: classified before the model is chosen, before the first token.
    expect(types.indexOf("classified")).toBeGreaterThanOrEqual(0);
    expect(types.indexOf("classified")).toBeLessThan(types.indexOf("model_selected"));
    expect(events.findIndex((e) => e.event === "event" && (e.data as { type: string }).type === "model_selected")).toBeLessThan(events.findIndex((e) => e.event === "token"));
    expect(result.model).toBe("sre-agent:v1.0");

    // The thread was saved: the next turn on it (JSON this time) has the first answer in its prompt.
    const next = await post(app, { query: TROUBLESHOOTING_QUERY, threadId: "t-sse" });
    expect(next.status).toBe(200);
    const history = fake.calls[1]?.messages.map((m) => `${m.getType()}: ${String(m.content)}`) ?? [];
    expect(history).toContainEqual(expect.stringMatching(/^ai: Loki ingesters are OOMKilled/));
  });

  it("400 with the typed code for a body that is not JSON, not an object, or not a valid input", async () => {
    const { app, fake } = serveApp();
    const cases: [unknown, string][] = [
      ["{not json", "body"],
      [[1, 2], "body"],
      [{ documents: [] }, "query"],
      [{ query: "   " }, "query"],
      [{ query: "x", documents: [{ title: "no content" }] }, "documents[0].content"],
      [{ query: "x", strategy: "later" }, "strategy"],
      [{ query: "x", threadId: 42 }, "threadId"],
    ];
    for (const [body, field] of cases) {
      const response = await post(app, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const json = (await response.json()) as { error: { code: string; message: string } };
      expect(json.error.code).toBe("INVALID_INPUT");
      expect(json.error.message).toContain(`invalid input: ${field}:`);
    }
    expect(fake.calls).toHaveLength(0);
  });

  it("with BRUNO_API_TOKEN: 401 without the bearer token or with a wrong one, 200 with it; probes stay open", async () => {
    const { app } = serveApp({ env: { BRUNO_API_TOKEN: "s3cret-token" } });
    const none = await post(app, TURN);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe("UNAUTHORIZED");
    for (const wrong of ["Bearer s3cret-tokem", "Bearer s3cret-token-and-more", "Basic s3cret-token", "Bearer"]) {
      const response = await post(app, TURN, { Authorization: wrong });
      expect(response.status, wrong).toBe(401);
      expect(await response.text()).not.toContain("s3cret-token");
    }
    const ok = await post(app, TURN, { Authorization: "Bearer s3cret-token" });
    expect(ok.status).toBe(200);
    expect((await app.request("/healthz")).status).toBe(200);
  });

  it("413 for a body over BRUNO_SERVE_BODY_LIMIT, before the model is asked", async () => {
    const { app, fake } = serveApp({ env: { BRUNO_SERVE_BODY_LIMIT: "2048" } });
    const big = { query: "why?", documents: [{ content: "x".repeat(4096) }] };
    const response = await post(app, big);
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(fake.calls).toHaveLength(0);
    expect((await post(app, TURN)).status).toBe(200);
  });

  it("409 THREAD_BUSY for a second turn on a busy thread with strategy reject; the first still answers", async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { app, fake } = serveApp({ script: { "sre-agent:v1.0": [{ answer: GROUNDED_1, gate }, GROUNDED_2] } });
    const first = post(app, { ...TURN, threadId: "busy" });
    await until(() => fake.calls.length === 1);
    const second = await post(app, { ...TURN, threadId: "busy", strategy: "reject" });
    expect(second.status).toBe(409);
    expect(second.headers.get(THREAD_HEADER)).toBe("busy");
    expect(((await second.json()) as { error: { code: string } }).error.code).toBe("THREAD_BUSY");
    open();
    const answered = await first;
    expect(answered.status).toBe(200);
    expect(((await answered.json()) as { answer: string }).answer).toBe(GROUNDED_1);
    expect(fake.calls).toHaveLength(1);
  });

  it("503 with Retry-After at once when BRUNO_SERVE_MAX_TURNS turns are running; a place frees when one ends", async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { app, fake, gate: turns } = serveApp({ env: { BRUNO_SERVE_MAX_TURNS: "1" }, script: { "sre-agent:v1.0": [{ answer: GROUNDED_1, gate }, GROUNDED_2] } });
    const first = post(app, { ...TURN, threadId: "a" });
    await until(() => fake.calls.length === 1);
    const started = performance.now();
    const refused = await post(app, { ...TURN, threadId: "b" });
    expect(performance.now() - started).toBeLessThan(500);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("SERVER_BUSY");
    open();
    expect((await first).status).toBe(200);
    expect(turns.size).toBe(0);
    expect((await post(app, { ...TURN, threadId: "b" })).status).toBe(200);
  });

  it("a client that goes away cancels its turn: the model call is aborted and the place is freed", async () => {
    const { app, fake, gate: turns } = serveApp({ script: { "sre-agent:v1.0": { hang: true, tokensBefore: ["Loki "] } } });
    const client = new AbortController();
    const response = post(app, { ...TURN, threadId: "gone" }, {}, { signal: client.signal });
    await until(() => fake.calls[0]?.emitted.length === 1);
    client.abort();
    await response.catch(() => undefined);
    await until(() => fake.calls[0]?.outcome === "aborted" && turns.size === 0);
  });
});

describe("probes", () => {
  it("/healthz 200; /readyz 200 when the database and a host answer, 503 naming the failed check otherwise", async () => {
    const healthy = serveApp();
    expect((await healthy.app.request("/healthz")).status).toBe(200);
    const ready = await healthy.app.request("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, database: { kind: "memory", ok: true }, ollama: { ok: true } });

    const broken: Database = { ...memoryDatabase(), ping: () => Promise.reject(new Error("database is locked")) };
    const noDb = await serveApp({ database: broken }).app.request("/readyz");
    expect(noDb.status).toBe(503);
    expect(await noDb.json()).toMatchObject({ ready: false, database: { ok: false, error: "database is locked" }, ollama: { ok: true } });

    const down: ModelServer = { ...staticModelServer(ALL_MODELS, "http://10.0.0.9:11434"), version: () => Promise.reject(new Error("connect ECONNREFUSED")) };
    const noHost = await serveApp({ admin: down }).app.request("/readyz");
    expect(noHost.status).toBe(503);
    expect(await noHost.json()).toMatchObject({ ready: false, database: { ok: true }, ollama: { ok: false, hosts: [{ host: "http://10.0.0.9:11434", reachable: false }] } });
  });

  it("/readyz with several hosts (a pool's hosts()): ready while one answers, 503 listing each when none does", async () => {
    const pool = (reachable: [boolean, boolean]): ModelServer => ({
      ...staticModelServer(ALL_MODELS, "http://a:11434"),
      version: () => Promise.reject(new Error("a pool is asked through hosts()")),
      hosts: async () => [
        { host: "http://a:11434", reachable: reachable[0], models: [], ...(reachable[0] ? {} : { error: "connect ECONNREFUSED" }) },
        { host: "http://b:11434", reachable: reachable[1], models: [], ...(reachable[1] ? {} : { error: "connect ECONNREFUSED" }) },
      ],
    });
    const one = await serveApp({ admin: pool([false, true]) }).app.request("/readyz");
    expect(one.status).toBe(200);
    expect(((await one.json()) as { ollama: unknown }).ollama).toEqual({
      ok: true,
      hosts: [
        { host: "http://a:11434", reachable: false, error: "connect ECONNREFUSED" },
        { host: "http://b:11434", reachable: true },
      ],
    });
    const none = await serveApp({ admin: pool([false, false]) }).app.request("/readyz");
    expect(none.status).toBe(503);
    expect(await none.json()).toMatchObject({ ready: false, ollama: { ok: false, hosts: [{ reachable: false }, { reachable: false }] } });
  });

  it("/metrics serves the graph's Prometheus registry, run counts included; unknown routes are a JSON 404", async () => {
    const { app } = serveApp();
    expect((await post(app, TURN)).status).toBe(200);
    const metrics = await app.request("/metrics");
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await metrics.text()).toMatch(/^bruno_runs_total\{[^}]*outcome="answered"[^}]*\} 1$/m);
    const missing = await app.request("/v2/nothing");
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
  });
});
