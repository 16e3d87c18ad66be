/**
 * The Prometheus metrics of real graph runs: the graph with ChatOllama over HTTP against the
 * Ollama-protocol test server, its registry scraped as text, and the counts and label sets
 * compared with the requests that were made.
 */
import { END, START, StateGraph, StateSchema } from "@langchain/langgraph";
import { Registry, register } from "prom-client";
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { ContextDocument, METRIC_NAMES as M, buildGenerationGraph, createTelemetry, instrumentRuns, isAllModelsFailedError, loadConfig } from "../../src/index.js";
import { DOCS, QUERY, parseMetrics, scrape, series, setupPerTest, thread } from "./helpers.js";

const open = setupPerTest();

const ANSWER = "Raise the memory limit of the ingester StatefulSet [1].";

describe("metrics of a run with a failure and a fallback", () => {
  it("counts the failed request, the fallback, the answering model's duration and Ollama's token counts", async () => {
    const s = await open();
    s.server.scriptFor("sre-agent:v1.0", { kind: "status", status: 500, error: "llama runner process has terminated" });
    s.server.scriptFor("llama3.1:8b", { content: ANSWER, promptEvalCount: 321, evalCount: 9 });

    const out = await s.graph.invoke({ query: QUERY, documents: DOCS }, thread("incident-42"));
    expect(out.model).toBe("llama3.1:8b");
    expect(s.server.chatRequests().map((r) => r.model)).toEqual(["sre-agent:v1.0", "llama3.1:8b"]);

    const samples = await scrape(s.telemetry);
    expect(series(samples, M.errors)).toEqual({ [`error_type=SERVER_ERROR,host=${s.server.url},model=sre-agent:v1.0`]: 1 });
    expect(series(samples, M.fallbacks)).toEqual({ "from=sre-agent:v1.0,reason=SERVER_ERROR,to=llama3.1:8b": 1 });
    // Only successful generations are timed; the failed one is in the errors.
    expect(series(samples, `${M.generationDuration}_count`)).toEqual({ [`host=${s.server.url},model=llama3.1:8b`]: 1 });
    expect(series(samples, M.tokens)).toEqual({ [`direction=input,host=${s.server.url},model=llama3.1:8b`]: 321, [`direction=output,host=${s.server.url},model=llama3.1:8b`]: 9 });
    expect(series(samples, `${M.timeToFirstToken}_count`)).toEqual({ [`host=${s.server.url},model=llama3.1:8b`]: 1 });
    expect(series(samples, M.activeRequests)).toEqual({ [`host=${s.server.url}`]: 0 });
    expect(series(samples, `${M.nodeDuration}_count`)).toEqual({
      "node=classify": 1,
      "node=selectModel": 1,
      "node=buildPrompt": 2,
      "node=generate": 2,
      "node=validateCitations": 1,
    });
    expect(series(samples, M.runs)).toEqual({ "error_type=none,outcome=answered,query_type=troubleshooting": 1 });
    expect(series(samples, `${M.runDuration}_count`)).toEqual({ "outcome=answered,query_type=troubleshooting": 1 });
    // One /api/tags and one /api/show per model: all misses on the first run.
    expect(series(samples, M.cacheRequests)).toEqual({ "cache=tags,result=miss": 1, "cache=show,result=miss": 2 });
    expect(series(samples, M.retries)).toEqual({});
    expect(series(samples, M.documentsDropped)).toEqual({});
    expect(series(samples, M.circuitState)).toMatchObject({ [`host=${s.server.url},model=sre-agent:v1.0,state=closed`]: 1, [`host=${s.server.url},model=sre-agent:v1.0,state=open`]: 0 });

    // The histogram's buckets suit 0.1–120 s generations.
    const buckets = samples.filter((x) => x.name === `${M.generationDuration}_bucket`).map((x) => x.labels.le);
    expect(buckets).toEqual(["0.1", "0.25", "0.5", "1", "2.5", "5", "10", "20", "30", "45", "60", "90", "120", "+Inf"]);

    // A second turn reuses the cached model list and model details.
    s.server.scriptFor("sre-agent:v1.0", { content: ANSWER });
    await s.graph.invoke({ query: QUERY, documents: DOCS }, thread("incident-42"));
    const after = await scrape(s.telemetry);
    expect(series(after, M.cacheRequests)).toEqual({ "cache=tags,result=miss": 1, "cache=tags,result=hit": 1, "cache=show,result=miss": 2, "cache=show,result=hit": 1 });
    expect(series(after, `${M.generationDuration}_count`)).toEqual({ [`host=${s.server.url},model=llama3.1:8b`]: 1, [`host=${s.server.url},model=sre-agent:v1.0`]: 1 });
    expect(series(after, M.runs)).toEqual({ "error_type=none,outcome=answered,query_type=troubleshooting": 2 });
  });

  it("keeps every label value bounded: model tags, node names, codes — never the query, thread or run id", async () => {
    const s = await open();
    s.server.scriptFor("sre-agent:v1.0", { kind: "status", status: 500, error: "boom" });
    await s.graph.invoke({ query: QUERY, documents: DOCS }, thread("thread-secret-7f3a"));
    const samples = await scrape(s.telemetry);
    const allowed: Record<string, RegExp> = {
      model: /^(sre-agent:v1\.0|llama3\.1:8b|llama3\.2:3b)$/,
      // the server's address from the settings, never credentials
      host: new RegExp(`^${s.server.url.replace(/\./g, "\\.")}$`),
      from: /^(sre-agent:v1\.0|llama3\.1:8b)$/,
      to: /^(llama3\.1:8b|llama3\.2:3b)$/,
      node: /^(classify|selectModel|buildPrompt|generate|validateCitations)$/,
      error_type: /^([A-Z_]+|none)$/,
      reason: /^[A-Z_]+$/,
      direction: /^(input|output)$/,
      query_type: /^(troubleshooting|debug_issue|lookup_runbook|code_generation|code_review|explanation|chat|unknown)$/,
      outcome: /^(answered|failed|cancelled|invalid|repaired|stripped)$/,
      state: /^(closed|open|half-open|isolated)$/,
      cache: /^(tags|show)$/,
      result: /^(hit|miss)$/,
      le: /^([0-9.]+|\+Inf)$/,
    };
    for (const sample of samples) {
      for (const [label, value] of Object.entries(sample.labels)) {
        expect(allowed[label], `${sample.name}{${label}}`).toBeDefined();
        expect(value, `${sample.name}{${label}}`).toMatch(allowed[label] as RegExp);
      }
    }
    const text = await s.telemetry.metricsText();
    expect(text).not.toContain("thread-secret-7f3a");
    expect(text).not.toContain("Loki ingester");
  });
});

describe("metrics beyond the seed", () => {
  it("retries: a transient error retried on the same model counts as an error and a retry, not a fallback", async () => {
    const s = await open({ env: { BRUNO_RETRY_ATTEMPTS: "2", BRUNO_RETRY_INITIAL_MS: "1", BRUNO_RETRY_MAX_MS: "1" } });
    s.server.scriptFor("sre-agent:v1.0", { kind: "status", status: 503, error: "server busy, please try again.  maximum pending requests exceeded" }, { content: ANSWER });
    const out = await s.graph.invoke({ query: QUERY, documents: DOCS }, thread("t-retry"));
    expect(out.model).toBe("sre-agent:v1.0");
    const samples = await scrape(s.telemetry);
    expect(series(samples, M.retries)).toEqual({ [`error_type=SERVER_BUSY,host=${s.server.url},model=sre-agent:v1.0`]: 1 });
    expect(series(samples, M.errors)).toEqual({ [`error_type=SERVER_BUSY,host=${s.server.url},model=sre-agent:v1.0`]: 1 });
    expect(series(samples, M.fallbacks)).toEqual({});
    expect(series(samples, `${M.generationDuration}_count`)).toEqual({ [`host=${s.server.url},model=sre-agent:v1.0`]: 1 });
  });

  it("circuit state per model: 1 for the current state, transitions counted; an open circuit's model is skipped", async () => {
    const s = await open({ env: { BRUNO_BREAKER_THRESHOLD: "1", BRUNO_BREAKER_COOLDOWN_MS: "600000" } });
    s.server.scriptFor("sre-agent:v1.0", { kind: "status", status: 500, error: "boom" });
    await s.graph.invoke({ query: QUERY, documents: DOCS }, thread("t-circuit"));
    const samples = await scrape(s.telemetry);
    expect(series(samples, M.circuitState)).toEqual({
      [`host=${s.server.url},model=sre-agent:v1.0,state=closed`]: 0,
      [`host=${s.server.url},model=sre-agent:v1.0,state=half-open`]: 0,
      [`host=${s.server.url},model=sre-agent:v1.0,state=open`]: 1,
      [`host=${s.server.url},model=sre-agent:v1.0,state=isolated`]: 0,
      [`host=${s.server.url},model=llama3.1:8b,state=closed`]: 1,
      [`host=${s.server.url},model=llama3.1:8b,state=half-open`]: 0,
      [`host=${s.server.url},model=llama3.1:8b,state=open`]: 0,
      [`host=${s.server.url},model=llama3.1:8b,state=isolated`]: 0,
    });
    expect(series(samples, M.circuitTransitions)).toEqual({ [`host=${s.server.url},model=sre-agent:v1.0,state=open`]: 1 });
    expect(s.logs.lines().find((l) => l.event === "circuit")).toMatchObject({ level: 40, model: "sre-agent:v1.0", state: "open" });

    // While it is open the model is skipped without a request: a CIRCUIT_OPEN fallback, no new error.
    await s.graph.invoke({ query: QUERY, documents: DOCS }, thread("t-circuit"));
    const after = await scrape(s.telemetry);
    expect(series(after, M.fallbacks)).toEqual({
      "from=sre-agent:v1.0,reason=SERVER_ERROR,to=llama3.1:8b": 1,
      "from=sre-agent:v1.0,reason=CIRCUIT_OPEN,to=llama3.1:8b": 1,
    });
    expect(s.server.chatRequests().map((r) => r.model)).toEqual(["sre-agent:v1.0", "llama3.1:8b", "llama3.1:8b"]);
    expect(series(after, M.errors)).toEqual({ [`error_type=SERVER_ERROR,host=${s.server.url},model=sre-agent:v1.0`]: 1 });
  });

  it("a model whose context cannot hold the question hands over in buildPrompt: a CONTEXT_OVERFLOW fallback", async () => {
    const s = await open({ server: { models: [{ name: "sre-agent:v1.0", contextLength: 400 }, { name: "llama3.1:8b" }, { name: "llama3.2:3b" }] } });
    const out = await s.graph.invoke({ query: QUERY, documents: DOCS }, thread("t-overflow"));
    expect(out.model).toBe("llama3.1:8b");
    const samples = await scrape(s.telemetry);
    expect(series(samples, M.fallbacks)).toEqual({ "from=sre-agent:v1.0,reason=CONTEXT_OVERFLOW,to=llama3.1:8b": 1 });
    expect(series(samples, M.errors)).toEqual({});
    expect(s.logs.lines().find((l) => l.event === "fallback")).toMatchObject({ from: "sre-agent:v1.0", to: "llama3.1:8b", reason: "CONTEXT_OVERFLOW", threadId: "t-overflow" });
  });

  it("citations: invalid markers found, repaired by the repair round, or stripped", async () => {
    const s = await open();
    s.server.scriptFor("sre-agent:v1.0", { content: "Raise the limit [7]." }, { content: "Raise the limit [1]." }, { content: "Raise it [5]." }, { content: "Raise it [6]." });
    await s.graph.invoke({ query: QUERY, documents: DOCS }, thread("t-cite-1"));
    let samples = await scrape(s.telemetry);
    expect(series(samples, M.citations)).toEqual({ "outcome=invalid": 1, "outcome=repaired": 1 });

    const out = await s.graph.invoke({ query: QUERY, documents: DOCS }, thread("t-cite-2"));
    expect(out.answer).not.toContain("[6]");
    samples = await scrape(s.telemetry);
    // [5] was repaired away, but the repair introduced [6], which was stripped.
    expect(series(samples, M.citations)).toEqual({ "outcome=invalid": 3, "outcome=repaired": 2, "outcome=stripped": 1 });
  });

  it("documents dropped by context fitting, per model", async () => {
    const long = (title: string) => ({ title, source: `runbooks/${title}.md`, content: `${title}: ${"Check the ingester memory limit and the chunk cache size. ".repeat(40)}` });
    const s = await open({ server: { models: [{ name: "sre-agent:v1.0", contextLength: 3000 }, { name: "llama3.1:8b" }, { name: "llama3.2:3b" }] } });
    const out = await s.graph.invoke({ query: QUERY, documents: [long("one"), long("two"), long("three")] }, thread("t-drop"));
    expect(out.warnings.some((w) => w.startsWith("dropped 2 lower-ranked document(s)"))).toBe(true);
    const samples = await scrape(s.telemetry);
    expect(series(samples, M.documentsDropped)).toEqual({ "model=sre-agent:v1.0": 2 });
  });

  it("a failed run: ALL_MODELS_FAILED counted once per run, each failed request once", async () => {
    const s = await open({ server: { models: [{ name: "sre-agent:v1.0" }] } });
    s.server.scriptFor("sre-agent:v1.0", { kind: "status", status: 500, error: "boom" });
    const error = await s.graph.invoke({ query: QUERY, documents: DOCS }, thread("t-fail")).catch((e: unknown) => e);
    expect(isAllModelsFailedError(error)).toBe(true);
    const samples = await scrape(s.telemetry);
    expect(series(samples, M.runs)).toEqual({ "error_type=ALL_MODELS_FAILED,outcome=failed,query_type=troubleshooting": 1 });
    expect(series(samples, M.errors)).toEqual({ [`error_type=SERVER_ERROR,host=${s.server.url},model=sre-agent:v1.0`]: 1 });
    expect(series(samples, `${M.nodeDuration}_count`)).toMatchObject({ "node=generate": 1 });
    expect(series(samples, M.activeRequests)).toEqual({ [`host=${s.server.url}`]: 0 });
    expect(s.telemetry.tracker.size).toBe(0);
  });

  it("queue depth and queue wait: a second call waits for the only slot", async () => {
    const s = await open({ env: { BRUNO_CONCURRENCY: "1" }, server: { timing: { tokenDelayMs: 15 } } });
    const first = s.graph.invoke({ query: QUERY, documents: DOCS }, thread("t-q1"));
    await s.server.waitForRequests(1);
    const second = s.graph.invoke({ query: QUERY, documents: DOCS }, thread("t-q2"));
    let depth = 0;
    for (let i = 0; i < 100 && depth === 0; i += 1) {
      depth = series(await scrape(s.telemetry), M.queueDepth)[`host=${s.server.url}`] ?? 0;
      if (depth === 0) await new Promise((r) => setTimeout(r, 10));
    }
    expect(depth).toBe(1);
    expect(series(await scrape(s.telemetry), M.activeRequests)).toEqual({ [`host=${s.server.url}`]: 1 });
    await Promise.all([first, second]);
    const samples = await scrape(s.telemetry);
    // The second call waited for the first one's whole generation; a call that got its slot at once
    // may still report a 1 ms wait (clock granularity).
    expect(series(samples, `${M.queueWait}_count`)[`host=${s.server.url}`]).toBeGreaterThanOrEqual(1);
    expect(series(samples, `${M.queueWait}_sum`)[`host=${s.server.url}`]).toBeGreaterThan(0.1);
    expect(series(samples, M.queueDepth)).toEqual({ [`host=${s.server.url}`]: 0 });
  });
});

describe("the registry", () => {
  it("is the project's own, not prom-client's global one, and can join a host's registry", async () => {
    const telemetry = createTelemetry({ logLevel: "silent" });
    expect(telemetry.registry).not.toBe(register);
    expect(register.getSingleMetric(M.generationDuration)).toBeUndefined();
    telemetry.metrics.generationDuration.observe({ model: "llama3.1:8b", host: "http://gpu-a:11434" }, 1.5);
    const merged = Registry.merge([telemetry.registry, new Registry()]);
    expect(series(parseMetrics(await merged.metrics()), `${M.generationDuration}_count`)).toEqual({ "host=http://gpu-a:11434,model=llama3.1:8b": 1 });
  });

  it("two Telemetry objects on one host registry share the instruments instead of clashing", () => {
    const registry = new Registry();
    const a = createTelemetry({ registry, logLevel: "silent" });
    const b = createTelemetry({ registry, logLevel: "silent" });
    expect(b.metrics.tokens).toBe(a.metrics.tokens);
  });
});

describe("the graph embedded as a subgraph node of a parent agent", () => {
  it("reports its own run and nodes, not the parent's", async () => {
    const s = await open();
    s.server.scriptFor("sre-agent:v1.0", { content: ANSWER });
    const Agent = new StateSchema({ query: z.string(), documents: z.array(ContextDocument).default(() => []), answer: z.string().default("") });
    const agent = new StateGraph(Agent)
      .addNode("retrieve", async () => ({ documents: DOCS }))
      .addNode("generate", s.graph)
      .addEdge(START, "retrieve")
      .addEdge("retrieve", "generate")
      .addEdge("generate", END)
      .compile();
    const out = await agent.invoke({ query: QUERY }, thread("parent-1"));
    expect(out.answer).toBe(ANSWER);
    const samples = await scrape(s.telemetry);
    expect(series(samples, M.runs)).toEqual({ "error_type=none,outcome=answered,query_type=troubleshooting": 1 });
    expect(Object.keys(series(samples, `${M.nodeDuration}_count`)).sort()).toEqual(["node=buildPrompt", "node=classify", "node=generate", "node=selectModel", "node=validateCitations"]);
    expect(s.logs.lines().find((l) => l.event === "run_completed")).toMatchObject({ threadId: "parent-1", model: "sre-agent:v1.0" });
    expect(s.telemetry.tracker.size).toBe(0);
  });
});

describe("a graph compiled by the host (buildGenerationGraph)", () => {
  it("reports node and model metrics as compiled, and run metrics once wrapped with instrumentRuns", async () => {
    const s = await open();
    s.server.scriptFor("sre-agent:v1.0", { content: ANSWER }, { content: ANSWER });
    const telemetry = createTelemetry({ logger: s.logs.logger });
    const compiled = buildGenerationGraph({ config: loadConfig({ env: { OLLAMA_HOST: s.server.url, BRUNO_RETRY_ATTEMPTS: "1" } }), telemetry }).compile();
    await compiled.invoke({ query: QUERY, documents: DOCS });
    let samples = await scrape(telemetry);
    expect(series(samples, M.runs)).toEqual({});
    expect(series(samples, `${M.nodeDuration}_count`)).toMatchObject({ "node=generate": 1 });
    expect(series(samples, `${M.generationDuration}_count`)).toEqual({ [`host=${s.server.url},model=sre-agent:v1.0`]: 1 });

    const graph = instrumentRuns(compiled, telemetry);
    await graph.invoke({ query: QUERY, documents: DOCS });
    samples = await scrape(telemetry);
    expect(series(samples, M.runs)).toEqual({ "error_type=none,outcome=answered,query_type=troubleshooting": 1 });
    expect(series(samples, `${M.nodeDuration}_count`)).toMatchObject({ "node=generate": 2 });
    expect(s.logs.lines().filter((l) => l.event === "run_completed")).toHaveLength(1);
    expect(telemetry.tracker.size).toBe(0);
  });
});

describe("a cancelled run", () => {
  it("counts as cancelled, not as an Ollama error, and leaves nothing behind", async () => {
    const s = await open({ server: { timing: { tokenDelayMs: 50 } } });
    const controller = new AbortController();
    const run = s.graph.invoke({ query: QUERY, documents: DOCS }, { ...thread("t-cancel"), signal: controller.signal });
    await s.server.waitForRequests(1);
    await new Promise((r) => setTimeout(r, 120));
    controller.abort(new Error("user pressed Ctrl-C"));
    await expect(run).rejects.toThrow();
    const samples = await scrape(s.telemetry);
    expect(series(samples, M.runs)).toEqual({ "error_type=CANCELLED,outcome=cancelled,query_type=troubleshooting": 1 });
    expect(series(samples, M.errors)).toEqual({});
    expect(series(samples, M.activeRequests)).toEqual({ [`host=${s.server.url}`]: 0 });
    expect(s.telemetry.tracker.size).toBe(0);
  });
});
