/**
 * Fault matrix rows 1–9: what goes wrong between the client and Ollama — the connection, HTTP
 * statuses, deadlines and the NDJSON stream — through the real graph and the real ChatOllama
 * over HTTP. Every test asserts what the server saw and what the caller got.
 *
 * Settings common to all: BRUNO_RETRY_INITIAL_MS=1, BRUNO_RETRY_MAX_MS=5 (see helpers.ts).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { isAllModelsFailedError, isTimeoutError } from "../../src/index.js";
import { SERVER_BUSY_ERROR, modelNotFoundError, type Fault } from "../../src/testing/index.js";
import {
  ANSWER,
  DOCS,
  PRIMARY,
  QUERY,
  SECOND,
  THIRD,
  brunoError,
  chatModels,
  chatsFor,
  closeServersAfterEach,
  closedPort,
  graphFor,
  invokeWithEvents,
  rejection,
  startServer,
  textOf,
  thread,
  threadMessages,
  until,
} from "./helpers.js";
import { bruno } from "../support/cliHarness.js";

closeServersAfterEach();

/**
 * The model chain's events: retries, fallbacks, skipped models and circuit changes. Not `queued`
 * (the bulkhead reports any wait of 1 ms or more, and a retry re-enters it a tick later even when
 * no one else is queued), nor what the nodes report on every turn (classified, prompt_built, …).
 */
function notable(events: Record<string, unknown>[]): Record<string, unknown>[] {
  return events.filter((e) => ["retry", "fallback", "skipped", "circuit"].includes(String(e.type)));
}

const boom: Fault = { kind: "status", status: 500, error: "boom" };
const busy: Fault = { kind: "status", status: 503, error: SERVER_BUSY_ERROR };

beforeAll(async () => {
  // The first run in a worker pays for lazy module loading (undici, LangChain); time the rows
  // below, not that.
  const host = `http://127.0.0.1:${await closedPort()}`;
  await graphFor(host)
    .invoke({ query: QUERY, documents: DOCS }, thread("warm-up"))
    .catch(() => undefined);
});

describe("1. connection refused", () => {
  it("a closed port fails fast with SERVER_UNREACHABLE naming the host; nothing reaches a server", async () => {
    // A server that listened once and is closed now: its port refuses connections, and its
    // request log proves nothing arrived.
    const server = await startServer();
    const host = server.url;
    await server.close();
    const graph = graphFor(host);

    const { error, ms } = await rejection(graph.invoke({ query: QUERY, documents: DOCS }, thread("refused")));

    expect(server.requests).toEqual([]);
    const err = brunoError(error);
    expect(err.code).toBe("SERVER_UNREACHABLE");
    expect(err.message).toContain(host);
    expect(err.message).toContain("ollama serve");
    expect(err.details).toMatchObject({ errno: "ECONNREFUSED" });
    expect(ms).toBeLessThan(1000); // no deadline waited out (BRUNO_ADMIN_TIMEOUT_MS is 5 s)
    expect(await threadMessages(graph, "refused")).toEqual([]);
  });

  it("the server dies mid-session (model list still cached): retried on the first model, then SERVER_UNREACHABLE itself, no walk down the chain", async () => {
    // What a long-lived host sees when Ollama goes away after a good turn: /api/tags is cached
    // (BRUNO_TAGS_TTL_MS), so the failure surfaces at /api/chat, where SERVER_UNREACHABLE is
    // transient (retried BRUNO_RETRY_ATTEMPTS times). Every model of the chain lives on the same
    // server, so the caller gets SERVER_UNREACHABLE at once instead of ALL_MODELS_FAILED.
    const server = await startServer();
    server.script({ content: ANSWER });
    const graph = graphFor(server.url, { BRUNO_RETRY_ATTEMPTS: "2", BRUNO_BREAKER_THRESHOLD: "100" });
    await graph.invoke({ query: QUERY, documents: DOCS }, thread("dies"));
    await server.close();
    const before = server.requests.length;

    const { error, ms } = await rejection(graph.invoke({ query: QUERY, documents: DOCS }, thread("dies")));

    expect(server.requests.length).toBe(before);
    expect(isAllModelsFailedError(error)).toBe(false);
    expect(brunoError(error).code).toBe("SERVER_UNREACHABLE");
    expect(brunoError(error).message).toContain("ollama serve");
    expect(ms).toBeLessThan(3000);
    // The failed turn is not checkpointed.
    expect((await threadMessages(graph, "dies")).map(textOf)).toEqual([QUERY, ANSWER]);
  });
});

describe("2. connection dropped mid-stream", () => {
  it("is retried on the same model and then answered (2 chat requests for that model)", async () => {
    const server = await startServer();
    server.scriptFor(PRIMARY, { kind: "dropMidStream", afterTokens: 3 }, { content: ANSWER });
    const graph = graphFor(server.url);

    const { events, values } = await invokeWithEvents(graph, { query: QUERY, documents: DOCS }, "drop");

    expect(chatModels(server)).toEqual([PRIMARY, PRIMARY]);
    expect(chatsFor(server, PRIMARY)[1]?.messages).toEqual(chatsFor(server, PRIMARY)[0]?.messages);
    expect(server.inFlight).toBe(0);
    expect(values.answer).toBe(ANSWER);
    expect(values.modelsTried).toEqual([{ model: PRIMARY, outcome: "answered" }]);
    expect(notable(events)).toEqual([expect.objectContaining({ type: "retry", model: PRIMARY, attempt: 1, code: "SERVER_ERROR" })]);
    // The three tokens of the dropped attempt are neither in the answer nor in the thread.
    expect((await threadMessages(graph, "drop")).map(textOf)).toEqual([QUERY, ANSWER]);
  });

  it("the CLI does not claim citations were removed after a mid-stream retry", async () => {
    const server = await startServer();
    // No --docs, so the answer cites nothing: any "citations removed" notice would be false.
    const uncited = "Raise the ingester memory limit.";
    server.scriptFor(PRIMARY, { kind: "dropMidStream", afterTokens: 3 }, { content: uncited });
    const { code, stdout, stderr } = await bruno(["ask", QUERY, "--host", server.url], { env: { BRUNO_RETRY_INITIAL_MS: "1", BRUNO_RETRY_MAX_MS: "5", LOG_LEVEL: "silent" } });

    expect(code).toBe(0);
    expect(chatModels(server)).toEqual([PRIMARY, PRIMARY]);
    expect(stderr).toContain(`[${PRIMARY}: SERVER_ERROR; retry 1 in`);
    expect(stdout).toContain(uncited);
    expect(stdout).not.toContain("[answer with invalid citations removed]");
  });
});

describe("3–5. HTTP errors from /api/chat", () => {
  it("3. 500 then success: retried on the same model (2 requests), answered, one `answered` entry", async () => {
    const server = await startServer();
    server.scriptFor(PRIMARY, boom, { content: ANSWER });
    const { events, values } = await invokeWithEvents(graphFor(server.url), { query: QUERY, documents: DOCS }, "500-once");

    expect(chatModels(server)).toEqual([PRIMARY, PRIMARY]);
    expect(values.answer).toBe(ANSWER);
    expect(values.model).toBe(PRIMARY);
    expect(values.modelsTried).toEqual([{ model: PRIMARY, outcome: "answered" }]);
    expect(values.warnings).toEqual([]);
    expect(notable(events)).toEqual([expect.objectContaining({ type: "retry", model: PRIMARY, attempt: 1, code: "SERVER_ERROR" })]);
  });

  it("4. 500 forever: BRUNO_RETRY_ATTEMPTS requests to the first model, then the fallback answers", async () => {
    const server = await startServer();
    server.scriptFor(PRIMARY, boom, boom, boom, boom);
    server.scriptFor(SECOND, { content: ANSWER });
    const graph = graphFor(server.url, { BRUNO_RETRY_ATTEMPTS: "3" });
    const { events, values } = await invokeWithEvents(graph, { query: QUERY, documents: DOCS }, "500-forever");

    expect(chatModels(server)).toEqual([PRIMARY, PRIMARY, PRIMARY, SECOND]);
    expect(values.modelsTried).toEqual([
      { model: PRIMARY, outcome: "failed", code: "SERVER_ERROR", message: expect.stringContaining("500: boom") },
      { model: SECOND, outcome: "answered" },
    ]);
    expect(values.model).toBe(SECOND);
    expect(values.answer).toBe(ANSWER);
    expect(values.warnings).toEqual([`${PRIMARY} failed (SERVER_ERROR); fell back to ${SECOND}`]);
    expect(notable(events).map((e) => [e.type, e.code])).toEqual([
      ["retry", "SERVER_ERROR"],
      ["retry", "SERVER_ERROR"],
      ["fallback", "SERVER_ERROR"],
    ]);
  });

  it.each([
    [503, SERVER_BUSY_ERROR],
    [429, "too many requests"],
  ])("5. %i busy is transient: retried on the same model, then answered", async (status, text) => {
    const server = await startServer();
    server.scriptFor(PRIMARY, { kind: "status", status, error: text }, { content: ANSWER });
    const { events, values } = await invokeWithEvents(graphFor(server.url), { query: QUERY, documents: DOCS }, `busy-${status}`);

    expect(chatModels(server)).toEqual([PRIMARY, PRIMARY]);
    expect(values.modelsTried).toEqual([{ model: PRIMARY, outcome: "answered" }]);
    expect(values.answer).toBe(ANSWER);
    expect(notable(events)).toEqual([expect.objectContaining({ type: "retry", code: "SERVER_BUSY" })]);
  });

  it("5b. 503 forever: the server said it is saturated, and every model lives on it: retried, then SERVER_BUSY without trying the other models", async () => {
    const server = await startServer();
    server.scriptFor(PRIMARY, busy, busy);
    const graph = graphFor(server.url, { BRUNO_RETRY_ATTEMPTS: "2" });
    const error = await rejection(graph.invoke({ query: QUERY, documents: DOCS }, thread("busy-forever")));

    expect(chatModels(server)).toEqual([PRIMARY, PRIMARY]);
    expect(brunoError(error.error)).toMatchObject({ code: "SERVER_BUSY", message: expect.stringContaining("OLLAMA_NUM_PARALLEL") });
  });
});

describe("6. model not found", () => {
  it("404 is not retried (exactly one request to that model) and the next model answers", async () => {
    const server = await startServer();
    server.scriptFor(PRIMARY, { kind: "status", status: 404, error: modelNotFoundError(PRIMARY) });
    server.scriptFor(SECOND, { content: ANSWER });
    const graph = graphFor(server.url, { BRUNO_RETRY_ATTEMPTS: "3" });
    const { events, values } = await invokeWithEvents(graph, { query: QUERY, documents: DOCS }, "404");

    expect(chatModels(server)).toEqual([PRIMARY, SECOND]);
    expect(chatsFor(server, PRIMARY)).toHaveLength(1);
    expect(values.modelsTried).toEqual([
      { model: PRIMARY, outcome: "failed", code: "MODEL_NOT_FOUND", message: expect.stringContaining(`ollama pull ${PRIMARY}`) },
      { model: SECOND, outcome: "answered" },
    ]);
    expect(values.answer).toBe(ANSWER);
    expect(notable(events)).toEqual([{ type: "fallback", from: PRIMARY, to: SECOND, code: "MODEL_NOT_FOUND", outcome: "failed" }]);
  });
});

describe("7–8. deadlines", () => {
  it("7. no first token within BRUNO_FIRST_TOKEN_TIMEOUT_MS: TIMEOUT_FIRST_TOKEN, the server sees each disconnect, fallback answers", async () => {
    const server = await startServer();
    server.scriptFor(PRIMARY, { kind: "noHeaders" }, { kind: "noHeaders" });
    server.scriptFor(SECOND, { content: ANSWER });
    const graph = graphFor(server.url, { BRUNO_FIRST_TOKEN_TIMEOUT_MS: "120", BRUNO_RETRY_ATTEMPTS: "2" });
    const started = performance.now();
    const { events, values } = await invokeWithEvents(graph, { query: QUERY, documents: DOCS }, "first-token");
    const ms = performance.now() - started;

    expect(chatModels(server)).toEqual([PRIMARY, PRIMARY, SECOND]);
    await until(() => server.clientDisconnects === 2);
    expect(server.inFlight).toBe(0);
    expect(values.modelsTried).toEqual([
      { model: PRIMARY, outcome: "failed", code: "TIMEOUT_FIRST_TOKEN", message: expect.stringContaining("BRUNO_FIRST_TOKEN_TIMEOUT_MS") },
      { model: SECOND, outcome: "answered" },
    ]);
    expect(notable(events).map((e) => [e.type, e.code])).toEqual([
      ["retry", "TIMEOUT_FIRST_TOKEN"],
      ["fallback", "TIMEOUT_FIRST_TOKEN"],
    ]);
    expect(ms).toBeGreaterThanOrEqual(2 * 120 - 10);
    expect(ms).toBeLessThan(2 * 120 + 1500);
  });

  it("7b. a single-model chain that never sends a token: the run fails with ALL_MODELS_FAILED whose only attempt is TIMEOUT_FIRST_TOKEN", async () => {
    const server = await startServer({ models: [{ name: THIRD }] });
    server.scriptFor(THIRD, { kind: "noHeaders" });
    const graph = graphFor(server.url, { BRUNO_FIRST_TOKEN_TIMEOUT_MS: "100", BRUNO_RETRY_ATTEMPTS: "1" });

    const { error, ms } = await rejection(graph.invoke({ query: QUERY, documents: DOCS }, thread("first-token-only")));

    expect(chatModels(server)).toEqual([THIRD]);
    await until(() => server.clientDisconnects === 1);
    expect(isAllModelsFailedError(error)).toBe(true);
    if (!isAllModelsFailedError(error)) return;
    // The catalog models that are not installed are listed first (skipped at selectModel).
    expect(error.attempts).toEqual([
      { model: PRIMARY, code: "MODEL_NOT_FOUND", message: expect.stringContaining("not installed") },
      { model: SECOND, code: "MODEL_NOT_FOUND", message: expect.stringContaining("not installed") },
      { model: THIRD, code: "TIMEOUT_FIRST_TOKEN", message: expect.stringContaining("100 ms") },
    ]);
    expect(isTimeoutError(error.cause)).toBe(true);
    expect(ms).toBeLessThan(1500);
    expect(await threadMessages(graph, "first-token-only")).toEqual([]);
  });

  it("8. a stream that stalls mid-answer: TIMEOUT_STALL after BRUNO_STALL_TIMEOUT_MS, disconnect seen, stalled tokens discarded", async () => {
    const server = await startServer();
    const stall: Fault = { kind: "stall", afterTokens: 2 };
    server.scriptFor(PRIMARY, stall, stall);
    server.scriptFor(SECOND, { content: ANSWER });
    const graph = graphFor(server.url, { BRUNO_STALL_TIMEOUT_MS: "120", BRUNO_RETRY_ATTEMPTS: "2" });
    const started = performance.now();
    const { events, values } = await invokeWithEvents(graph, { query: QUERY, documents: DOCS }, "stall");
    const ms = performance.now() - started;

    expect(chatModels(server)).toEqual([PRIMARY, PRIMARY, SECOND]);
    await until(() => server.clientDisconnects === 2);
    expect(server.inFlight).toBe(0);
    expect(values.modelsTried).toEqual([
      { model: PRIMARY, outcome: "failed", code: "TIMEOUT_STALL", message: expect.stringContaining("BRUNO_STALL_TIMEOUT_MS") },
      { model: SECOND, outcome: "answered" },
    ]);
    expect(notable(events).map((e) => [e.type, e.code])).toEqual([
      ["retry", "TIMEOUT_STALL"],
      ["fallback", "TIMEOUT_STALL"],
    ]);
    expect(values.answer).toBe(ANSWER);
    expect((await threadMessages(graph, "stall")).map(textOf)).toEqual([QUERY, ANSWER]);
    expect(ms).toBeGreaterThanOrEqual(2 * 120 - 10);
    expect(ms).toBeLessThan(2 * 120 + 1500);
  });
});

describe("7c. the whole-turn deadline", () => {
  it("BRUNO_REQUEST_TIMEOUT_MS caps the turn, retries and fallbacks included: each model of the chain gets its share, then TIMEOUT_TOTAL", async () => {
    const server = await startServer();
    for (const model of [PRIMARY, SECOND, THIRD]) server.scriptFor(model, { kind: "noHeaders" }, { kind: "noHeaders" }, { kind: "noHeaders" });
    const graph = graphFor(server.url, { BRUNO_REQUEST_TIMEOUT_MS: "1500", BRUNO_FIRST_TOKEN_TIMEOUT_MS: "5000" });

    const { error, ms } = await rejection(graph.invoke({ query: QUERY, documents: DOCS }, thread("request-deadline")));

    // A server that never answers still lets every model of the chain try, one share each.
    expect(chatModels(server)).toEqual([PRIMARY, SECOND, THIRD]);
    await until(() => server.clientDisconnects === 3);
    const err = brunoError(error);
    expect(err.code).toBe("TIMEOUT_TOTAL");
    expect(err.message).toContain("BRUNO_REQUEST_TIMEOUT_MS");
    expect(ms).toBeGreaterThanOrEqual(1450);
    expect(ms).toBeLessThan(4000);
    expect(await threadMessages(graph, "request-deadline")).toEqual([]);
  });
});

describe("9. malformed stream", () => {
  // What happens: the fetch under ChatOllama parses each line of the stream before the `ollama`
  // client sees it, and the first line that is not JSON ends the stream with SERVER_ERROR ("sent
  // a malformed response: line N …"), which is transient: retried on the same model, then the
  // fallback chain. A bad line followed by more of the answer is row 9b (stream.test.ts).
  it("a malformed NDJSON line is a SERVER_ERROR that is retried on the same model, then answered", async () => {
    const server = await startServer();
    server.scriptFor(PRIMARY, { kind: "malformed", afterTokens: 2 }, { content: ANSWER });
    const { events, values } = await invokeWithEvents(graphFor(server.url), { query: QUERY, documents: DOCS }, "malformed-once");

    expect(chatModels(server)).toEqual([PRIMARY, PRIMARY]);
    expect(values.modelsTried).toEqual([{ model: PRIMARY, outcome: "answered" }]);
    expect(values.answer).toBe(ANSWER);
    expect(notable(events)).toEqual([expect.objectContaining({ type: "retry", code: "SERVER_ERROR" })]);
  });

  it("malformed every time: retries exhausted, recorded as SERVER_ERROR 'malformed response', then fallback", async () => {
    const server = await startServer();
    const bad: Fault = { kind: "malformed", afterTokens: 2 };
    server.scriptFor(PRIMARY, bad, bad);
    server.scriptFor(SECOND, { content: ANSWER });
    const graph = graphFor(server.url, { BRUNO_RETRY_ATTEMPTS: "2" });
    const result = await graph.invoke({ query: QUERY, documents: DOCS }, thread("malformed"));

    expect(chatModels(server)).toEqual([PRIMARY, PRIMARY, SECOND]);
    expect(result.modelsTried).toEqual([
      { model: PRIMARY, outcome: "failed", code: "SERVER_ERROR", message: expect.stringMatching(/malformed response: line 3 of the stream is not JSON/) },
      { model: SECOND, outcome: "answered" },
    ]);
    expect(result.answer).toBe(ANSWER);
  });

  it('Ollama\'s mid-stream error line (HTTP 200, then {"error"}) is GENERATION_FAILED: not retried, next model', async () => {
    const server = await startServer();
    server.scriptFor(PRIMARY, { kind: "streamError", afterTokens: 2, error: "unexpected EOF" });
    server.scriptFor(SECOND, { content: ANSWER });
    const graph = graphFor(server.url, { BRUNO_RETRY_ATTEMPTS: "3" });
    const result = await graph.invoke({ query: QUERY, documents: DOCS }, thread("stream-error"));

    expect(chatModels(server)).toEqual([PRIMARY, SECOND]);
    expect(result.modelsTried).toEqual([
      { model: PRIMARY, outcome: "failed", code: "GENERATION_FAILED", message: expect.stringContaining("unexpected EOF") },
      { model: SECOND, outcome: "answered" },
    ]);
  });

  it("a runner crash reported mid-stream is not SERVER_UNREACHABLE", async () => {
    const server = await startServer();
    server.scriptFor(PRIMARY, { kind: "streamError", afterTokens: 1, error: "llama runner process has terminated: signal: killed" });
    server.scriptFor(SECOND, { content: ANSWER });
    const graph = graphFor(server.url, { BRUNO_RETRY_ATTEMPTS: "1" });
    const result = await graph.invoke({ query: QUERY, documents: DOCS }, thread("runner-killed"));

    expect(chatModels(server)).toEqual([PRIMARY, SECOND]);
    expect(result.modelsTried[0]?.code).not.toBe("SERVER_UNREACHABLE");
  });
});
