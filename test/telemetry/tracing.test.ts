/**
 * OpenTelemetry spans of one real graph run (ChatOllama over HTTP against the Ollama-protocol
 * test server): a host registers an SDK with an in-memory exporter, and the span tree, its
 * attributes and its fallback and retry events are asserted.
 */
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { TRACER_NAME, createTelemetry } from "../../src/telemetry/index.js";
import { DOCS, QUERY, setup, thread, type Setup } from "./helpers.js";

const ANSWER = "Raise the memory limit of the ingester StatefulSet [1].";
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

const opened: Setup[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.server.close()));
  exporter.reset();
});
afterAll(async () => {
  trace.disable();
  await provider.shutdown();
});

function childrenOf(spans: readonly ReadableSpan[], parent: ReadableSpan): ReadableSpan[] {
  return spans.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId).sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
}

describe("OpenTelemetry spans", () => {
  it("are no-ops until the host registers an SDK", () => {
    const telemetry = createTelemetry({ logLevel: "silent" });
    const span = telemetry.tracer.startSpan("probe");
    expect(span.isRecording()).toBe(false);
    span.end();
  });

  it("form one tree per run: the graph, its nodes, the model calls, with the seed's attributes and fallback and retry events", async () => {
    // The graph and its Telemetry exist before the SDK is registered, as in a host that sets up tracing later.
    const s = await setup({ env: { BRUNO_RETRY_ATTEMPTS: "2", BRUNO_RETRY_INITIAL_MS: "1", BRUNO_RETRY_MAX_MS: "1" } });
    opened.push(s);
    expect(trace.setGlobalTracerProvider(provider)).toBe(true);
    s.server.scriptFor("sre-agent:v1.0", { kind: "status", status: 500, error: "boom" }, { kind: "status", status: 500, error: "boom" });
    s.server.scriptFor("llama3.1:8b", { content: ANSWER, promptEvalCount: 321, evalCount: 9 });

    const out = await s.graph.invoke({ query: QUERY, documents: DOCS }, thread("trace-1"));
    expect(out.model).toBe("llama3.1:8b");

    const spans = exporter.getFinishedSpans();
    expect(new Set(spans.map((x) => x.spanContext().traceId)).size).toBe(1);
    expect(spans.every((x) => x.instrumentationScope.name === TRACER_NAME)).toBe(true);

    const roots = spans.filter((x) => x.parentSpanContext === undefined);
    expect(roots.map((r) => r.name)).toEqual(["bruno_generation"]);
    const root = roots[0] as ReadableSpan;
    expect(root.attributes).toMatchObject({ "bruno.thread_id": "trace-1", "bruno.query_type": "troubleshooting", "bruno.model": "llama3.1:8b" });
    expect(typeof root.attributes["bruno.run_id"]).toBe("string");
    expect(root.status.code).not.toBe(SpanStatusCode.ERROR);

    const nodes = childrenOf(spans, root);
    expect(nodes.map((n) => n.name)).toEqual(["classify", "selectModel", "buildPrompt", "generate", "buildPrompt", "generate", "validateCitations"]);
    for (const node of nodes) expect(node.attributes["langgraph.node"]).toBe(node.name);
    expect(nodes[2]?.attributes["documents.count"]).toBe(2);

    // The first generate: two failed attempts on the primary, a retry between them, then the fallback.
    const failed = nodes[3] as ReadableSpan;
    const attempts = childrenOf(spans, failed);
    expect(attempts.map((a) => a.name)).toEqual(["chat sre-agent:v1.0", "chat sre-agent:v1.0"]);
    for (const a of attempts) {
      expect(a.status.code).toBe(SpanStatusCode.ERROR);
      expect(a.attributes).toMatchObject({ model: "sre-agent:v1.0", "error.type": "ResponseError" });
    }
    // (A "queued" event joins them when a call waited a millisecond or more for its slot.)
    expect(failed.events.filter((e) => e.name !== "queued").map((e) => [e.name, e.attributes])).toEqual([
      ["retry", { model: "sre-agent:v1.0", attempt: 1, delay_ms: expect.any(Number), "error.type": "SERVER_ERROR" }],
      ["fallback", { from: "sre-agent:v1.0", to: "llama3.1:8b", reason: "SERVER_ERROR" }],
    ]);

    // The second generate: one model call with model, parameters, sizes and Ollama's token counts.
    const answered = nodes[5] as ReadableSpan;
    const [chat, ...more] = childrenOf(spans, answered);
    expect(more).toEqual([]);
    expect(chat?.name).toBe("chat llama3.1:8b");
    expect(chat?.kind).toBe(SpanKind.CLIENT);
    expect(chat?.status.code).toBe(SpanStatusCode.OK);
    expect(chat?.attributes).toMatchObject({
      model: "llama3.1:8b",
      temperature: 0.3,
      "response.length": ANSWER.length,
      "tokens.input": 321,
      "tokens.output": 9,
      "tokens.total": 330,
      max_tokens: 1500,
      num_ctx: 8192,
      "documents.count": 2,
      "gen_ai.system": "ollama",
      "gen_ai.request.model": "llama3.1:8b",
      "gen_ai.usage.input_tokens": 321,
      "gen_ai.usage.output_tokens": 9,
    });
    expect(chat?.attributes["prompt.length"]).toBeGreaterThan(QUERY.length + (DOCS[0]?.content.length ?? 0));
    expect(chat?.events.map((e) => e.name)).toEqual(["first_token"]);
    expect(answered.events.filter((e) => e.name !== "queued")).toEqual([]);

    // Nothing else: no stray spans for prompt templates or routing lambdas.
    expect(spans).toHaveLength(1 + nodes.length + attempts.length + 1);
    expect(s.telemetry.tracker.size).toBe(0);
  });

  it("mark a failed run: the error on the node and the root span", async () => {
    const s = await setup({ server: { models: [{ name: "sre-agent:v1.0" }] } });
    opened.push(s);
    trace.setGlobalTracerProvider(provider);
    s.server.scriptFor("sre-agent:v1.0", { kind: "status", status: 500, error: "boom" });
    await expect(s.graph.invoke({ query: QUERY, documents: DOCS }, thread("trace-2"))).rejects.toThrow(/every model failed/);
    const spans = exporter.getFinishedSpans();
    const root = spans.find((x) => x.name === "bruno_generation");
    expect(root?.status.code).toBe(SpanStatusCode.ERROR);
    expect(root?.attributes["error.type"]).toBe("ALL_MODELS_FAILED");
    const generate = spans.find((x) => x.name === "generate");
    expect(generate?.status.code).toBe(SpanStatusCode.ERROR);
    expect(root?.events.map((e) => e.name)).toEqual(["exception"]);
  });
});
