/**
 * The generation graph end to end over real HTTP: the real `ChatOllama` (built by the graph's
 * default chat-model factory) and the real Ollama admin client talk to `FakeOllama`, which
 * speaks Ollama's wire protocol. Nothing of ours sits in between, so these tests assert what
 * the server saw (request bodies, disconnects) and what the caller got.
 */
import type { BaseMessage } from "@langchain/core/messages";
import { MemorySaver } from "@langchain/langgraph";
import { afterEach, describe, expect, it } from "vitest";
import {
  GENERATION_PROFILES,
  createGenerationGraph,
  isAllModelsFailedError,
  isBrunoError,
  isCancelledError,
  loadConfig,
  type BrunoError,
  type ContextDocument,
  type GenerationGraph,
} from "../../src/index.js";
import { CATALOG_MODELS, FakeOllama, modelNotFoundError, splitTokens, type ChatRequestBody, type FakeOllamaOptions } from "../../src/testing/index.js";
import { closedPort } from "../support/net.js";

const DOCS: ContextDocument[] = [
  { title: "Loki crash loop", source: "runbooks/loki-crashloop.md", content: "Ingesters OOMKilled after an upgrade: raise the memory limit of the loki-ingester StatefulSet." },
  { title: "Pod OOMKilled", source: "runbooks/pod-oomkilled.md", content: "Exit code 137 with reason OOMKilled means the container exceeded its memory limit." },
];
const QUERY = "Loki pods are crashing";

/** Turns the graph's retries off, so one failure moves straight to the next model. */
const NO_RETRY = { BRUNO_RETRY_ATTEMPTS: "1" };

const servers: FakeOllama[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function startServer(options: FakeOllamaOptions = {}): Promise<FakeOllama> {
  const server = await FakeOllama.start({ models: CATALOG_MODELS, ...options });
  servers.push(server);
  return server;
}

/** The graph as a host would build it: settings from an environment, a MemorySaver, nothing faked. */
function graphFor(host: string, env: Record<string, string> = {}): GenerationGraph {
  return createGenerationGraph({
    config: loadConfig({ env: { OLLAMA_HOST: host, LOG_LEVEL: "silent", ...env } }),
    checkpointer: new MemorySaver(),
  });
}

function thread(id: string): { configurable: { thread_id: string } } {
  return { configurable: { thread_id: id } };
}

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The rejection of a promise that must reject, and how long it took. */
async function rejection(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  try {
    await promise;
  } catch (error) {
    return { error, ms: Date.now() - started };
  }
  throw new Error("expected the promise to reject");
}

function brunoError(error: unknown): BrunoError {
  if (!isBrunoError(error)) throw new Error(`expected a BrunoError, got ${String(error)}`);
  return error;
}

function lastUser(body: ChatRequestBody): string {
  const user = body.messages.filter((m) => m.role === "user").at(-1);
  if (!user) throw new Error("no user message in the request");
  return user.content;
}

function textOf(message: BaseMessage): string {
  return typeof message.content === "string" ? message.content : JSON.stringify(message.content);
}

async function threadMessages(graph: GenerationGraph, threadId: string): Promise<BaseMessage[]> {
  const state = await graph.getState(thread(threadId));
  const values = state.values as { messages?: BaseMessage[] };
  return values.messages ?? [];
}

describe("generation graph over HTTP with ChatOllama", () => {
  it("sends Ollama the routed model, the sampling options and the numbered documents, and returns the cited answer", async () => {
    const server = await startServer();
    const answer = "Raise the ingester memory limit [1]. Exit code 137 confirms the OOM kill [2].";
    server.script({ content: answer });
    const graph = graphFor(server.url);

    const result = await graph.invoke({ query: QUERY, documents: DOCS }, thread("first"));

    // What the server saw.
    const chats = server.chatRequests();
    expect(chats).toHaveLength(1);
    const body = chats[0] as ChatRequestBody;
    expect(server.requests.map((r) => r.path)).toContain("/api/tags");
    expect(body.model).toBe("sre-agent:v1.0");
    expect(body.stream).toBe(true);
    expect(body.keep_alive).toBe("10m");
    expect(body.options).toEqual({ temperature: 0.3, top_p: 0.9, top_k: 40, repeat_penalty: 1.1, num_predict: 1500, num_ctx: 8192 });
    expect(body.messages[0]?.role).toBe("system");
    expect(body.messages[0]?.content).toMatch(/cite/i);
    expect(body.messages.slice(1).every((m) => m.role !== "system")).toBe(true);
    const user = lastUser(body);
    expect(body.messages.at(-1)?.content).toBe(user);
    expect(user).toContain('<document index="1" title="Loki crash loop" source="runbooks/loki-crashloop.md">');
    expect(user).toContain('<document index="2" title="Pod OOMKilled" source="runbooks/pod-oomkilled.md">');
    expect(user.indexOf('index="1"')).toBeLessThan(user.indexOf('index="2"'));
    expect(user).toMatch(/<documents>[\s\S]*<\/documents>/);
    expect(user.trimEnd().endsWith(QUERY)).toBe(true);
    // The prompt texts (system prompt, worked examples) belong to the prompt engineers' own
    // tests; the snapshot pins the wire shape: fields, options, message roles, the user turn.
    expect({
      ...body,
      messages: body.messages.map((m, i) => (i === body.messages.length - 1 ? m : { role: m.role, fields: Object.keys(m).sort() })),
    }).toMatchSnapshot();

    // What the caller got.
    expect(result.answer).toBe(answer);
    expect(result.model).toBe("sre-agent:v1.0");
    expect(result.queryType).toBe("troubleshooting");
    expect(result.modelsTried).toEqual([{ model: "sre-agent:v1.0", outcome: "answered" }]);
    expect(result.citations).toMatchObject([
      { index: 1, title: "Loki crash loop", source: "runbooks/loki-crashloop.md", valid: true },
      { index: 2, title: "Pod OOMKilled", source: "runbooks/pod-oomkilled.md", valid: true },
    ]);
    expect(result.citations.every((c) => typeof c.sentence === "string" && typeof c.support === "number")).toBe(true);
    expect(result.warnings).toEqual([]);
  });

  it("reports Ollama's own token counts and durations (ns → ms) as usage", async () => {
    // FakeOllama reports prompt_eval_duration = the first-token delay and eval_duration =
    // eval_count × the token delay, so every duration here is known exactly.
    const server = await startServer({ timing: { firstTokenDelayMs: 30, tokenDelayMs: 10 } });
    const tokens = ["Raise ", "the ", "memory ", "limit ", "[1]."];
    server.script({ content: tokens.join(""), tokens, promptEvalCount: 321, evalCount: 17, loadDurationMs: 1234.5 });
    const started = Date.now();
    const result = await graphFor(server.url).invoke({ query: QUERY, documents: DOCS }, thread("usage"));
    const wall = Date.now() - started;

    expect(result.usage.inputTokens).toBe(321);
    expect(result.usage.outputTokens).toBe(17);
    expect(result.usage.loadMs).toBeCloseTo(1234.5, 6);
    expect(result.usage.promptEvalMs).toBeCloseTo(30, 6);
    expect(result.usage.evalMs).toBeCloseTo(170, 6);
    expect(result.usage.durationMs).toBeGreaterThanOrEqual(30 + 4 * 10 - 5);
    expect(result.usage.durationMs).toBeLessThanOrEqual(wall + 5);
  });

  it("sends the code profile with its stop sequences for a code query, and Ollama's cut reaches the answer", async () => {
    const server = await startServer();
    const rule = "```yaml\nkind: PrometheusRule\n```\nSee [1].";
    server.script({ content: `${rule}\nUser: and now write a Grafana dashboard` });
    const result = await graphFor(server.url).invoke({ query: "write a PrometheusRule for high error rate", documents: DOCS }, thread("code"));

    const body = server.chatRequests()[0] as ChatRequestBody;
    const code = GENERATION_PROFILES.code;
    expect(code.stop.length).toBeGreaterThan(0);
    expect(body.model).toBe("deepseek-coder:33b");
    expect(body.options).toEqual({
      temperature: code.temperature,
      top_p: code.topP,
      top_k: 40,
      repeat_penalty: 1.1,
      num_predict: code.maxTokens,
      num_ctx: 16384,
      stop: code.stop,
    });
    expect(result.requiresCode).toBe(true);
    expect(result.answer).toBe(rule);
  });

  it("streams the answer token by token with streamMode messages", async () => {
    const server = await startServer({ timing: { tokenDelayMs: 20 } });
    const tokens = ["Raise ", "the ", "ingester ", "memory ", "limit ", "[1]."];
    server.script({ content: tokens.join(""), tokens });
    const graph = graphFor(server.url);

    const seen: { text: string; at: number }[] = [];
    const stream = await graph.stream({ query: QUERY, documents: DOCS }, { ...thread("tokens"), streamMode: "messages" });
    for await (const [chunk, meta] of stream) {
      if (meta.langgraph_node !== "generate") continue;
      const text = textOf(chunk);
      if (text !== "") seen.push({ text, at: Date.now() });
    }

    expect(seen.map((s) => s.text)).toEqual(tokens);
    // Tokens arrive as the server sends them, not in one batch at the end.
    const first = seen[0]?.at ?? 0;
    const last = seen.at(-1)?.at ?? 0;
    expect(last - first).toBeGreaterThanOrEqual((tokens.length - 1) * 20 * 0.6);
    expect((await threadMessages(graph, "tokens")).map(textOf)).toEqual([QUERY, tokens.join("")]);
  });

  it("keeps the thread: the second request carries the first question and answer", async () => {
    const server = await startServer();
    server.script({ content: "Raise the ingester memory limit [1]." }, { content: "Set a memory request equal to the limit." });
    const graph = graphFor(server.url);
    await graph.invoke({ query: QUERY, documents: DOCS }, thread("inc-42"));
    const follow = "and how do I stop it from happening again?";
    const second = await graph.invoke({ query: follow }, thread("inc-42"));

    const [first, next] = server.chatRequests() as [ChatRequestBody, ChatRequestBody];
    expect(first.messages.some((m) => m.role === "assistant" && m.content.includes("Raise the ingester"))).toBe(false);
    const historyUser = next.messages.findIndex((m) => m.role === "user" && m.content === QUERY);
    const historyAnswer = next.messages.findIndex((m) => m.role === "assistant" && m.content.startsWith("Raise the ingester memory limit"));
    expect(historyUser).toBeGreaterThan(0);
    expect(historyAnswer).toBe(historyUser + 1);
    expect(historyAnswer).toBeLessThan(next.messages.length - 1);
    // Old citation markers pointed at the first turn's documents; they are not replayed.
    expect(next.messages[historyAnswer]?.content).not.toContain("[1]");
    expect(lastUser(next).trimEnd().endsWith(follow)).toBe(true);
    // The follow-up brings no documents: it answers from the first turn's, and says so.
    expect(lastUser(next)).toContain("<document ");
    expect(second.notices.map((n) => n.code)).toContain("DOCUMENTS_CARRIED");
    expect(second.answer).toBe("Set a memory request equal to the limit.");
    expect((await threadMessages(graph, "inc-42")).map((m) => m.getType())).toEqual(["human", "ai", "human", "ai"]);
  });
});

describe("failures and fallbacks over HTTP", () => {
  it("falls back to the next model when the preferred one answers 500", async () => {
    const server = await startServer();
    server.scriptFor("sre-agent:v1.0", { kind: "status", status: 500, error: "boom" });
    server.scriptFor("llama3.1:8b", { content: "Raise the memory limit [1]." });
    const result = await graphFor(server.url, NO_RETRY).invoke({ query: QUERY, documents: DOCS }, thread("500"));

    expect(server.chatRequests().map((b) => b.model)).toEqual(["sre-agent:v1.0", "llama3.1:8b"]);
    expect(result.modelsTried).toEqual([
      { model: "sre-agent:v1.0", outcome: "failed", code: "SERVER_ERROR", message: expect.stringContaining("boom") },
      { model: "llama3.1:8b", outcome: "answered" },
    ]);
    expect(result.model).toBe("llama3.1:8b");
    expect(result.answer).toBe("Raise the memory limit [1].");
    expect(result.warnings).toEqual([expect.stringMatching(/sre-agent:v1\.0 failed \(SERVER_ERROR\).*llama3\.1:8b/)]);
  });

  it("retries a 500 on the same model before falling back (BRUNO_RETRY_ATTEMPTS)", async () => {
    const server = await startServer();
    const boom = { kind: "status", status: 500, error: "boom" } as const;
    server.scriptFor("sre-agent:v1.0", boom, boom, boom);
    const env = { BRUNO_RETRY_ATTEMPTS: "3", BRUNO_RETRY_INITIAL_MS: "5", BRUNO_RETRY_MAX_MS: "20" };
    const result = await graphFor(server.url, env).invoke({ query: QUERY, documents: DOCS }, thread("retry"));

    expect(server.chatRequests().map((b) => b.model)).toEqual(["sre-agent:v1.0", "sre-agent:v1.0", "sre-agent:v1.0", "llama3.1:8b"]);
    expect(result.modelsTried.map((a) => [a.model, a.outcome, a.code])).toEqual([
      ["sre-agent:v1.0", "failed", "SERVER_ERROR"],
      ["llama3.1:8b", "answered", undefined],
    ]);
  });

  it("falls back when /api/chat says the model is not found (404)", async () => {
    const server = await startServer();
    server.scriptFor("sre-agent:v1.0", { kind: "status", status: 404, error: modelNotFoundError("sre-agent:v1.0") });
    const result = await graphFor(server.url).invoke({ query: QUERY, documents: DOCS }, thread("404"));

    expect(server.chatRequests().map((b) => b.model)).toEqual(["sre-agent:v1.0", "llama3.1:8b"]);
    expect(result.modelsTried).toEqual([
      { model: "sre-agent:v1.0", outcome: "failed", code: "MODEL_NOT_FOUND", message: expect.stringContaining("ollama pull sre-agent:v1.0") },
      { model: "llama3.1:8b", outcome: "answered" },
    ]);
  });

  it("skips a preferred model that /api/tags does not list, with an `ollama pull` warning", async () => {
    const server = await startServer({ models: CATALOG_MODELS.filter((m) => m.name !== "sre-agent:v1.0") });
    const result = await graphFor(server.url).invoke({ query: QUERY, documents: DOCS }, thread("missing"));

    expect(server.chatRequests().map((b) => b.model)).toEqual(["llama3.1:8b"]);
    expect(result.model).toBe("llama3.1:8b");
    expect(result.modelsTried).toEqual([
      { model: "sre-agent:v1.0", outcome: "skipped", code: "MODEL_NOT_FOUND", message: expect.any(String) },
      { model: "llama3.1:8b", outcome: "answered" },
    ]);
    expect(result.warnings).toEqual([expect.stringContaining("`ollama pull sre-agent:v1.0`")]);
  });

  it("rejects fast with SERVER_UNREACHABLE when nothing listens", async () => {
    const host = `http://127.0.0.1:${await closedPort()}`;
    const { error, ms } = await rejection(graphFor(host).invoke({ query: QUERY, documents: DOCS }, thread("down")));

    const err = brunoError(error);
    expect(err.code).toBe("SERVER_UNREACHABLE");
    expect(err.message).toContain(host);
    expect(err.message).toContain("ollama serve");
    expect(ms).toBeLessThan(2000);
  });

  it("gives up on a model that sends no headers after BRUNO_FIRST_TOKEN_TIMEOUT_MS, disconnects, and falls back", async () => {
    const server = await startServer();
    server.scriptFor("sre-agent:v1.0", { kind: "noHeaders" });
    server.scriptFor("llama3.1:8b", { content: "Raise the memory limit [1]." });
    const graph = graphFor(server.url, { BRUNO_FIRST_TOKEN_TIMEOUT_MS: "300", ...NO_RETRY });
    const started = Date.now();
    const result = await graph.invoke({ query: QUERY, documents: DOCS }, thread("no-headers"));
    const ms = Date.now() - started;

    expect(result.modelsTried).toEqual([
      { model: "sre-agent:v1.0", outcome: "failed", code: "TIMEOUT_FIRST_TOKEN", message: expect.stringContaining("BRUNO_FIRST_TOKEN_TIMEOUT_MS") },
      { model: "llama3.1:8b", outcome: "answered" },
    ]);
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(1500);
    await until(() => server.clientDisconnects === 1);
    expect(server.inFlight).toBe(0);
  });

  it("fails with ALL_MODELS_FAILED listing TIMEOUT_FIRST_TOKEN when no model of the chain answers", async () => {
    const server = await startServer({ models: [{ name: "sre-agent:v1.0" }, { name: "llama3.2:3b" }] });
    server.scriptFor("sre-agent:v1.0", { kind: "noHeaders" });
    server.scriptFor("llama3.2:3b", { kind: "noHeaders" });
    const graph = graphFor(server.url, { BRUNO_FIRST_TOKEN_TIMEOUT_MS: "300", ...NO_RETRY });
    const { error, ms } = await rejection(graph.invoke({ query: QUERY, documents: DOCS }, thread("all-fail")));

    expect(isAllModelsFailedError(error)).toBe(true);
    if (!isAllModelsFailedError(error)) return;
    expect(error.attempts.map((a) => [a.model, a.code])).toEqual([
      ["sre-agent:v1.0", "TIMEOUT_FIRST_TOKEN"],
      ["llama3.2:3b", "TIMEOUT_FIRST_TOKEN"],
    ]);
    expect(error.message).toContain("TIMEOUT_FIRST_TOKEN");
    expect(ms).toBeLessThan(2000);
    await until(() => server.clientDisconnects === 2);
    expect((await threadMessages(graph, "all-fail")).length).toBe(0);
  });

  it("detects a stream that stalls mid-answer (TIMEOUT_STALL) and answers with the next model", async () => {
    const server = await startServer();
    server.scriptFor("sre-agent:v1.0", { kind: "stall", afterTokens: 2 });
    server.scriptFor("llama3.1:8b", { content: "Raise the memory limit [1]." });
    const graph = graphFor(server.url, { BRUNO_STALL_TIMEOUT_MS: "200", ...NO_RETRY });
    const started = Date.now();
    const result = await graph.invoke({ query: QUERY, documents: DOCS }, thread("stall"));

    expect(Date.now() - started).toBeLessThan(1500);
    expect(result.modelsTried.map((a) => [a.model, a.outcome, a.code])).toEqual([
      ["sre-agent:v1.0", "failed", "TIMEOUT_STALL"],
      ["llama3.1:8b", "answered", undefined],
    ]);
    expect(result.answer).toBe("Raise the memory limit [1].");
    await until(() => server.clientDisconnects === 1);
    // Only the finished answer is in the thread, not the two tokens of the stalled one.
    expect((await threadMessages(graph, "stall")).map(textOf)).toEqual([QUERY, "Raise the memory limit [1]."]);
  });
});

describe("cancellation over HTTP", () => {
  /** Runs a first turn, then starts a second and aborts it after `tokensBeforeAbort` streamed tokens. */
  async function cancelSecondTurn(threadId: string, reason?: unknown) {
    const server = await startServer({ timing: { tokenDelayMs: 20 } });
    const long = "Set the memory request equal to the limit, then watch the ingester restarts for an hour before closing the incident.";
    server.script({ content: "Raise the ingester memory limit [1]." }, { content: long });
    const graph = graphFor(server.url);
    await graph.invoke({ query: QUERY, documents: DOCS }, thread(threadId));

    const controller = new AbortController();
    const streamed: string[] = [];
    let abortedAt = 0;
    const run = (async () => {
      const stream = await graph.stream({ query: "and how do I stop it from happening again?" }, { ...thread(threadId), streamMode: "messages", signal: controller.signal });
      for await (const [chunk, meta] of stream) {
        if (meta.langgraph_node !== "generate" || textOf(chunk) === "") continue;
        streamed.push(textOf(chunk));
        if (streamed.length === 3) {
          abortedAt = Date.now();
          controller.abort(reason);
        }
      }
    })();
    const { error } = await rejection(run);
    return { server, graph, error, streamed, settleMs: Date.now() - abortedAt, long };
  }

  it("rejects promptly, aborts the HTTP request and checkpoints no half answer", async () => {
    const { server, graph, error, streamed, settleMs, long } = await cancelSecondTurn("cancel");

    expect(error).toBeDefined();
    expect(streamed.length).toBeGreaterThanOrEqual(3);
    expect(streamed.length).toBeLessThan(splitTokens(long).length);
    expect(settleMs).toBeLessThan(300);
    await until(() => server.clientDisconnects === 1);
    expect(server.inFlight).toBe(0);
    const messages = (await threadMessages(graph, "cancel")).map(textOf);
    expect(messages).toEqual([QUERY, "Raise the ingester memory limit [1]."]);
    expect(messages.some((m) => m.includes(streamed.join("")))).toBe(false);
  });

  it("rejects a cancelled run with CancelledError (code CANCELLED)", async () => {
    const { error } = await cancelSecondTurn("cancel-code");
    expect(isCancelledError(error)).toBe(true);
  });
});
