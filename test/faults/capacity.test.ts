/**
 * Fault matrix rows 10–14: limits of the model and of the process — context windows, the
 * per-server concurrency limit and queue, circuit breakers, turns racing on one thread, and
 * cancellation — through the real graph and the real ChatOllama over HTTP. Every test asserts
 * what the server saw and what the caller got.
 *
 * Settings common to all: BRUNO_RETRY_INITIAL_MS=1, BRUNO_RETRY_MAX_MS=5 (see helpers.ts).
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ServerError, isAllModelsFailedError, type AllModelsFailedError, type BrunoError, isCancelledError, loadConfig, type ContextDocument, type GenerationResult } from "../../src/index.js";
import { Resilience } from "../../src/runtime/resilience.js";
import { type ResilienceEvent } from "../../src/domain/events.js";
import { splitTokens, type ChatRequestBody, type Fault } from "../../src/testing/index.js";
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
  lastUser,
  rejection,
  startServer,
  textOf,
  thread,
  threadMessages,
  until,
} from "./helpers.js";

closeServersAfterEach();

beforeAll(async () => {
  // The first run in a worker pays for lazy module loading; keep it out of the timed rows.
  const host = `http://127.0.0.1:${await closedPort()}`;
  await graphFor(host)
    .invoke({ query: QUERY, documents: DOCS }, thread("warm-up"))
    .catch(() => undefined);
});

/** Document indices present in a prompt, in order. */
function documentIndices(prompt: string): number[] {
  return [...prompt.matchAll(/<document index="(\d+)"/g)].map((m) => Number(m[1]));
}

describe("10. oversized context", () => {
  // Ten runbook sections of ~1,500 characters (~430 tokens each at the estimator's 3.5
  // characters per token); the troubleshooting profile reserves 1,500 tokens for the answer.
  const LONG_DOCS: ContextDocument[] = Array.from({ length: 10 }, (_, i) => ({
    title: `Runbook ${i + 1}`,
    source: `runbooks/rb-${i + 1}.md`,
    content: `Step ${i + 1}: ${"check the ingester memory limit and the WAL volume. ".repeat(28)}`,
  }));
  const WINDOW = 4096;
  const small = (name: string) => ({ name, contextLength: WINDOW });

  it("drops lower-ranked documents with a warning naming them; Ollama gets only the kept ones and num_ctx = the window", async () => {
    // /api/show reports 4096; the catalog says 8192: the smaller one wins.
    const server = await startServer({ models: [small(PRIMARY), small(SECOND), small(THIRD)] });
    const result = await graphFor(server.url).invoke({ query: QUERY, documents: LONG_DOCS }, thread("ctx"));

    // What the server saw.
    const shows = server.requests.filter((r) => r.path === "/api/show").map((r) => (r.body as { model: string }).model);
    expect(shows).toEqual([PRIMARY]);
    const [body] = server.chatRequests() as [ChatRequestBody];
    expect(server.chatRequests()).toHaveLength(1);
    expect(body.options?.num_ctx).toBe(WINDOW);
    const kept = documentIndices(lastUser(body));
    expect(kept.length).toBeGreaterThanOrEqual(1);
    expect(kept.length).toBeLessThan(LONG_DOCS.length);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => i + 1)); // the top-ranked ones, in order
    for (const doc of LONG_DOCS.slice(kept.length)) expect(JSON.stringify(body.messages)).not.toContain(doc.source);
    // The prompt fits: estimated tokens + the answer reserve stay within the window.
    const promptChars = body.messages.reduce((n, m) => n + m.content.length, 0);
    expect(Math.ceil(promptChars / 3.5) + 4 * body.messages.length + 1500).toBeLessThanOrEqual(WINDOW);

    // What the caller got.
    const dropped = LONG_DOCS.slice(kept.length).map((d, i) => `[${kept.length + i + 1}] ${d.title}`);
    expect(result.warnings).toEqual([`dropped ${dropped.length} lower-ranked document(s) to fit ${PRIMARY}'s ${WINDOW}-token context: ${dropped.join(", ")}`]);
    expect(result.modelsTried).toEqual([{ model: PRIMARY, outcome: "answered" }]);
    expect(result.citations.every((c) => c.valid && c.index <= kept.length)).toBe(true);
  });

  it("the catalog can set the window too (BRUNO_CATALOG-style override), and it is what Ollama receives", async () => {
    const server = await startServer(); // /api/show says 8192 for every model
    const config = loadConfig({ env: { OLLAMA_HOST: server.url, LOG_LEVEL: "silent" } });
    const catalog = { ...config.catalog, models: config.catalog.models.map((m) => (m.tag === PRIMARY ? { ...m, contextLength: WINDOW } : m)) };
    const result = await graphFor(server.url, {}, { catalog }).invoke({ query: QUERY, documents: LONG_DOCS }, thread("ctx-catalog"));

    const body = server.chatRequests()[0] as ChatRequestBody;
    expect(body.options?.num_ctx).toBe(WINDOW);
    const kept = documentIndices(lastUser(body));
    expect(kept.length).toBeLessThan(LONG_DOCS.length);
    expect(result.warnings).toEqual([
      expect.stringMatching(
        new RegExp(`^dropped ${LONG_DOCS.length - kept.length} lower-ranked document\\(s\\) to fit .*${WINDOW}-token context: \\[${kept.length + 1}\\] Runbook ${kept.length + 1}, `),
      ),
    ]);
  });

  // An 8,000-character pasted log (BRUNO_MAX_QUERY_CHARS) is ~2,300 tokens on its own; a
  // 3,000-token window leaves 1,500 after the answer reserve.
  const PASTED_LOG = `Loki pods are crashing, here is the log: ${'level=error caller=ingester.go msg="OOMKilled" '.repeat(150)}`.slice(0, 8000);
  const TINY = 3000;

  it("a query that alone exceeds every window: ALL_MODELS_FAILED listing each CONTEXT_OVERFLOW, and no chat request is sent", async () => {
    const server = await startServer({ models: [PRIMARY, SECOND, THIRD].map((name) => ({ name, contextLength: TINY })) });
    const graph = graphFor(server.url);
    // The same window takes a short question (and one document) fine.
    const ok = await graph.invoke({ query: QUERY, documents: DOCS }, thread("fits"));
    expect(ok.modelsTried).toEqual([{ model: PRIMARY, outcome: "answered" }]);
    expect(server.chatRequests().map((b) => b.options?.num_ctx)).toEqual([TINY]);

    const { error, ms } = await rejection(graph.invoke({ query: PASTED_LOG, documents: DOCS }, thread("overflow")));

    expect(server.chatRequests()).toHaveLength(1);
    const err = brunoError(error);
    // Every model of the chain was tried (each window is too small): the end of the chain is one
    // contract, ALL_MODELS_FAILED with every attempt, whatever the last failure was.
    expect(err.code).toBe("ALL_MODELS_FAILED");
    expect((err as AllModelsFailedError).attempts.map((a) => [a.model, a.code])).toEqual([
      [PRIMARY, "CONTEXT_OVERFLOW"],
      [SECOND, "CONTEXT_OVERFLOW"],
      [THIRD, "CONTEXT_OVERFLOW"],
    ]);
    expect(err.message).toContain(`${TINY}-token context`);
    expect(err.message).toContain("BRUNO_CATALOG");
    expect((err.cause as BrunoError).details).toMatchObject({ model: THIRD, numCtx: TINY });
    expect(ms).toBeLessThan(1500);
    expect(await threadMessages(graph, "overflow")).toEqual([]);
  });

  it("a query too big for the preferred model's window falls back to a model with a larger window, and says so in the custom stream", async () => {
    const server = await startServer({
      models: [
        { name: PRIMARY, contextLength: TINY },
        { name: SECOND, contextLength: 8192 },
        { name: THIRD, contextLength: 8192 },
      ],
    });
    const { events, values } = await invokeWithEvents(graphFor(server.url), { query: PASTED_LOG, documents: DOCS }, "overflow-fallback");
    const result = values as unknown as GenerationResult;

    expect(events.filter((e) => e.type === "fallback")).toEqual([{ type: "fallback", from: PRIMARY, to: SECOND, code: "CONTEXT_OVERFLOW", outcome: "skipped" }]);
    expect(chatModels(server)).toEqual([SECOND]);
    expect(result.modelsTried.map((a) => [a.model, a.code ?? a.outcome])).toEqual([
      [PRIMARY, "CONTEXT_OVERFLOW"],
      [SECOND, "answered"],
    ]);
  });
});

describe("11. concurrency limit and queue", () => {
  const SHORT = "Raise the memory limit [1].";

  it("20 concurrent turns against BRUNO_CONCURRENCY=3: never more than 3 in flight at the server, all answered", async () => {
    const server = await startServer({ timing: { tokenDelayMs: 10 }, defaultReply: () => ({ content: SHORT }) });
    const config = loadConfig({ env: { OLLAMA_HOST: server.url, BRUNO_CONCURRENCY: "3" } });
    const resilience = new Resilience(config);
    let maxLocalQueue = 0;
    resilience.subscribe(() => (maxLocalQueue = Math.max(maxLocalQueue, resilience.load(server.url).queued)));
    const graph = graphFor(server.url, { BRUNO_CONCURRENCY: "3" }, { resilience });

    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => graph.invoke({ query: QUERY, documents: DOCS }, thread(`c-${i}`))));

    expect(server.chatRequests()).toHaveLength(20);
    expect(server.maxInFlight).toBe(3);
    expect(server.inFlight).toBe(0);
    expect(results.map((r) => r.answer)).toEqual(Array(20).fill(SHORT));
    expect(results.every((r) => r.modelsTried.length === 1 && r.modelsTried[0]?.outcome === "answered")).toBe(true);
    expect(maxLocalQueue).toBeGreaterThan(0);
    expect(resilience.load(server.url)).toEqual({ inFlight: 0, queued: 0 });
  });

  /** 10 callers at once against 3 slots + 2 queue places; each answer takes ~500 ms. Run once, shared by the two tests below. */
  let overflowRun: ReturnType<typeof runOverflow> | undefined;
  const overflow = () => (overflowRun ??= runOverflow());
  async function runOverflow() {
    const tokens = splitTokens("Raise the ingester memory limit of the StatefulSet [1].");
    const server = await startServer({ timing: { firstTokenDelayMs: 300, tokenDelayMs: 20 }, defaultReply: () => ({ content: tokens.join(""), tokens }) });
    const graph = graphFor(server.url, { BRUNO_CONCURRENCY: "3", BRUNO_QUEUE_SIZE: "2" });
    const started = performance.now();
    const settled = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        graph.invoke({ query: QUERY, documents: DOCS }, thread(`q-${i}`)).then(
          (result: GenerationResult) => ({ ok: true as const, result, ms: performance.now() - started }),
          (error: unknown) => ({ ok: false as const, error, ms: performance.now() - started }),
        ),
      ),
    );
    return { server, answered: settled.filter((s) => s.ok), rejected: settled.filter((s) => !s.ok) };
  }

  it("with BRUNO_QUEUE_SIZE=2 the overflow callers are rejected at once, with no request sent for them", async () => {
    const { server, answered, rejected } = await overflow();

    expect(answered).toHaveLength(5);
    expect(rejected).toHaveLength(5);
    // Server: only the 3 running + 2 queued turns ever reached it, never more than 3 at a time.
    expect(server.chatRequests()).toHaveLength(5);
    expect(server.maxInFlight).toBe(3);
    // Rejected before any answer finished (the first takes ≥ 300 ms to its first token).
    for (const r of rejected) expect(r.ms).toBeLessThan(Math.min(...answered.map((a) => a.ms)));
    // Observed today: the local rejection is treated as fallback-worthy, so each overflow caller
    // walks the whole chain (every model is rejected by the same full bulkhead) and ends with
    // ALL_MODELS_FAILED whose attempts are all SERVER_BUSY (see the it.fails below).
    for (const r of rejected) {
      const err = brunoError(r.ok ? undefined : r.error);
      const codes = isAllModelsFailedError(err) ? err.attempts.map((a) => a.code) : [err.code];
      expect(new Set(codes)).toEqual(new Set(["SERVER_BUSY"]));
      expect(err.message).toContain("BRUNO_QUEUE_SIZE");
    }
  });

  it("the overflow callers get SERVER_BUSY itself (no walk down the fallback chain)", async () => {
    const { rejected } = await overflow();
    expect(rejected).toHaveLength(5);
    for (const r of rejected) expect(brunoError(r.ok ? undefined : r.error).code).toBe("SERVER_BUSY");
  });
});

describe("12. circuit breaker", () => {
  const boom: Fault = { kind: "status", status: 500, error: "boom" };
  const COOLDOWN_MS = 60_000;

  afterEach(() => {
    vi.useRealTimers();
  });

  /**
   * One Resilience shared by two graphs (as in a process that builds several): threshold 2,
   * no retries, so each failing turn is one failure of the primary's circuit.
   */
  async function openCircuit() {
    vi.useFakeTimers({ toFake: ["Date"] });
    const server = await startServer();
    const env = { BRUNO_BREAKER_THRESHOLD: "2", BRUNO_BREAKER_COOLDOWN_MS: String(COOLDOWN_MS), BRUNO_RETRY_ATTEMPTS: "1" };
    const resilience = new Resilience(loadConfig({ env: { OLLAMA_HOST: server.url, ...env } }));
    const events: ResilienceEvent[] = [];
    resilience.subscribe((e) => events.push(e));
    const graphA = graphFor(server.url, env, { resilience });
    const graphB = graphFor(server.url, env, { resilience });
    server.scriptFor(PRIMARY, boom, boom);

    const first = await graphA.invoke({ query: QUERY, documents: DOCS }, thread("cb-1"));
    expect(resilience.circuitState(server.url, PRIMARY)).toBe("closed");
    const second = await graphA.invoke({ query: QUERY, documents: DOCS }, thread("cb-2"));
    for (const r of [first, second]) {
      expect(r.modelsTried.map((a) => [a.model, a.outcome, a.code])).toEqual([
        [PRIMARY, "failed", "SERVER_ERROR"],
        [SECOND, "answered", undefined],
      ]);
    }
    expect(resilience.circuitState(server.url, PRIMARY)).toBe("open");
    expect(events).toContainEqual({ type: "circuit", host: server.url, model: PRIMARY, state: "open" });
    expect(chatModels(server)).toEqual([PRIMARY, SECOND, PRIMARY, SECOND]);
    return { server, resilience, graphA, graphB };
  }

  /** Runs a turn through `graph.stream`, collecting the custom events; never throws. */
  async function turn(graph: ReturnType<typeof graphFor>, threadId: string) {
    const events: Record<string, unknown>[] = [];
    let values: Record<string, unknown> = {};
    try {
      const stream = await graph.stream({ query: QUERY, documents: DOCS }, { ...thread(threadId), streamMode: ["custom", "values"] });
      for await (const [mode, payload] of stream as AsyncIterable<[string, Record<string, unknown>]>) {
        if (mode === "custom") events.push(payload);
        else values = payload;
      }
      return { events, values, error: undefined };
    } catch (error) {
      return { events, values, error };
    }
  }

  it("opens after BRUNO_BREAKER_THRESHOLD failures; while open no request reaches the model (also from another graph sharing the Resilience)", async () => {
    const { server, resilience, graphA, graphB } = await openCircuit();

    for (const [graph, id] of [
      [graphA, "cb-3"],
      [graphB, "cb-4"],
    ] as const) {
      const { events } = await turn(graph, id);
      expect(events).toContainEqual({ type: "skipped", model: PRIMARY, code: "CIRCUIT_OPEN" });
    }
    expect(chatsFor(server, PRIMARY)).toHaveLength(2);
    expect(resilience.circuitState(server.url, PRIMARY)).toBe("open");
    // Just before the cool-down ends it is still skipped.
    vi.setSystemTime(Date.now() + COOLDOWN_MS - 1_000);
    const { events } = await turn(graphA, "cb-5");
    expect(events).toContainEqual({ type: "skipped", model: PRIMARY, code: "CIRCUIT_OPEN" });
    expect(chatsFor(server, PRIMARY)).toHaveLength(2);
  });

  it("a model whose circuit is open is skipped (modelsTried `skipped` CIRCUIT_OPEN) and the next model answers", async () => {
    const { server, graphA } = await openCircuit();

    const { values, error } = await turn(graphA, "cb-skip");

    expect(error).toBeUndefined();
    expect(values.modelsTried).toEqual([
      { model: PRIMARY, outcome: "skipped", code: "CIRCUIT_OPEN", message: expect.stringContaining("open") },
      { model: SECOND, outcome: "answered" },
    ]);
    expect(values.warnings).toEqual([`${PRIMARY} was skipped (CIRCUIT_OPEN); fell back to ${SECOND}`]);
    expect(chatModels(server).slice(4)).toEqual([SECOND]);
  });

  it("after BRUNO_BREAKER_COOLDOWN_MS a trial request goes through and its success closes the circuit", async () => {
    const { server, resilience, graphA } = await openCircuit();
    vi.setSystemTime(Date.now() + COOLDOWN_MS + 1);

    const { values, error } = await turn(graphA, "cb-recover");

    expect(error).toBeUndefined();
    expect(chatsFor(server, PRIMARY)).toHaveLength(3);
    expect(values.modelsTried).toEqual([{ model: PRIMARY, outcome: "answered" }]);
    expect(resilience.circuitState(server.url, PRIMARY)).toBe("closed");
  });

  it("Resilience alone: after the cool-down isOpen() is false and execute() runs a trial call (same bug, no graph)", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const resilience = new Resilience(loadConfig({ env: { BRUNO_BREAKER_THRESHOLD: "2", BRUNO_BREAKER_COOLDOWN_MS: String(COOLDOWN_MS), BRUNO_RETRY_ATTEMPTS: "1" } }));
    const call = { host: "http://ollama.test", model: PRIMARY };
    const failing = async (): Promise<string> => {
      throw new ServerError("SERVER_ERROR", "boom");
    };
    await resilience.execute(call, failing).catch(() => undefined);
    await resilience.execute(call, failing).catch(() => undefined);
    expect(resilience.isOpen(call.host, call.model)).toBe(true);
    vi.setSystemTime(Date.now() + COOLDOWN_MS + 1);

    let called = false;
    const result = await resilience.execute(call, async () => ((called = true), "ok")).catch((e: unknown) => e);

    expect(called).toBe(true);
    expect(result).toBe("ok");
    expect(resilience.circuitState(call.host, call.model)).toBe("closed");
  });

  it("a model that failed its requests is recorded as failed with the server's error, not skipped", async () => {
    const server = await startServer();
    server.scriptFor(PRIMARY, boom, boom, boom);
    const graph = graphFor(server.url, { BRUNO_BREAKER_THRESHOLD: "2", BRUNO_RETRY_ATTEMPTS: "3" });
    const { values, error } = await turn(graph, "cb-during-retries");

    expect(chatsFor(server, PRIMARY)).toHaveLength(2); // the third attempt is refused locally
    expect(error).toBeUndefined();
    expect((values.modelsTried as unknown[])[0]).toMatchObject({ model: PRIMARY, outcome: "failed", code: "SERVER_ERROR" });
  });
});

describe("13. two turns racing on one thread", () => {
  it("the second turn starts only after the first has finished, and both turns are kept", async () => {
    const server = await startServer({ timing: { tokenDelayMs: 15 } });
    const first = "Raise the ingester memory limit of the StatefulSet [1].";
    const second = "Set the memory request equal to the limit [2].";
    server.script({ content: first }, { content: second });
    const arrivals: { inFlight: number; at: number }[] = [];
    server.onChat = () => arrivals.push({ inFlight: server.inFlight, at: performance.now() });
    const graph = graphFor(server.url);
    const follow = "and how do I stop it from happening again?";

    const finished: number[] = [];
    const [a, b] = await Promise.all([
      graph.invoke({ query: QUERY, documents: DOCS }, thread("race")).then((r) => (finished.push(performance.now()), r)),
      graph.invoke({ query: follow, documents: DOCS }, thread("race")).then((r) => (finished.push(performance.now()), r)),
    ]);

    // Server: one request at a time; the second arrived after the first turn had finished.
    expect(server.chatRequests()).toHaveLength(2);
    expect(arrivals.map((x) => x.inFlight)).toEqual([1, 1]);
    expect(server.maxInFlight).toBe(1);
    expect(arrivals[1]?.at).toBeGreaterThanOrEqual(finished[0] ?? Infinity);
    // ...and it carried the first turn as history, so it read the first turn's checkpoint.
    const secondBody = server.chatRequests()[1] as ChatRequestBody;
    expect(secondBody.messages.some((m) => m.role === "user" && m.content === QUERY)).toBe(true);
    expect(secondBody.messages.some((m) => m.role === "assistant" && m.content.startsWith("Raise the ingester memory limit"))).toBe(true);

    // Caller and checkpoint: both answers, four messages in order.
    expect([a.answer, b.answer]).toEqual([first, second]);
    expect((await threadMessages(graph, "race")).map(textOf)).toEqual([QUERY, first, follow, second]);
  });

  it("a turn that cannot get its thread within BRUNO_THREAD_WAIT_MS fails with THREAD_BUSY and sends nothing", async () => {
    const server = await startServer({ timing: { firstTokenDelayMs: 300 } });
    server.script({ content: ANSWER });
    const graph = graphFor(server.url, { BRUNO_THREAD_WAIT_MS: "50" });

    const running = graph.invoke({ query: QUERY, documents: DOCS }, thread("busy-thread"));
    await server.waitForRequests(1);
    const { error, ms } = await rejection(graph.invoke({ query: "and then?", documents: DOCS }, thread("busy-thread")));
    await running;

    expect(brunoError(error).code).toBe("THREAD_BUSY");
    expect(ms).toBeLessThan(1000);
    expect(server.chatRequests()).toHaveLength(1);
    expect((await threadMessages(graph, "busy-thread")).map(textOf)).toEqual([QUERY, ANSWER]);
  });
});

describe("14. cancellation mid-stream", () => {
  const LONG = "Set the memory request equal to the limit, then watch the ingester restarts for an hour before closing the incident.";

  async function cancelSecondTurn(threadId: string) {
    const server = await startServer();
    server.script({ content: ANSWER }, { content: LONG });
    const graph = graphFor(server.url);
    await graph.invoke({ query: QUERY, documents: DOCS }, thread(threadId));
    server.setTiming({ tokenDelayMs: 20 });

    const controller = new AbortController();
    let abortedAt = 0;
    // Abort once the server is a few tokens into the second answer.
    server.onChat = () =>
      setTimeout(() => {
        abortedAt = performance.now();
        controller.abort();
      }, 70);
    const { error } = await rejection(graph.invoke({ query: "and how do I stop it?", documents: DOCS }, { ...thread(threadId), signal: controller.signal }));
    return { server, graph, error, settleMs: performance.now() - abortedAt };
  }

  it("rejects promptly with CANCELLED, the server sees the connection closed, and the checkpoint has no half answer", async () => {
    const { server, graph, error, settleMs } = await cancelSecondTurn("cancel");

    // Caller: rejected promptly with the typed error the README promises.
    expect(settleMs).toBeLessThan(500);
    expect(isCancelledError(error)).toBe(true);
    expect(brunoError(error).code).toBe("CANCELLED");
    // Server: the second request was cut off by the client and not retried.
    expect(server.chatRequests()).toHaveLength(2);
    await until(() => server.clientDisconnects === 1);
    expect(server.inFlight).toBe(0);
    // Checkpoint: exactly the first turn.
    expect((await threadMessages(graph, "cancel")).map(textOf)).toEqual([QUERY, ANSWER]);
    expect((await graph.getState(thread("cancel"))).values.answer).toBe(ANSWER);
  });
});
