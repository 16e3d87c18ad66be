/**
 * One turn through the graph: the output contract (happy path), routing by selectModel, and
 * input validation. Every test checks what the scripted fake model recorded as well as what the
 * caller got.
 */
import { describe, expect, it } from "vitest";
import { InvalidInputError, isInvalidInputError, isModelNotFoundError, ModelNotFoundError, NoModelAvailableError, type BrunoError } from "../../src/domain/errors.js";
import { createGenerationGraph } from "../../src/app/createGraph.js";
import { GenerationOutputState } from "../../src/nodes/state.js";
import { type ContextDocument, type GenerationInput, type QueryType } from "../../src/domain/index.js";
import { SYSTEM_PROMPT, TEMPLATE_INSTRUCTIONS } from "../../src/prompts/index.js";
import { DEFAULT_CATALOG, findModel, mergeCatalog } from "../../src/domain/catalog.js";
import { CODE_STOP_SEQUENCES, GENERATION_PROFILES } from "../../src/domain/profiles.js";
import { staticModelServer, type ModelServer } from "../../src/providers/ports.js";
import { createFakeModels, lastHuman, ollamaUsage, serverError, textOf } from "../support/fakeModels.js";
import { ALL_MODELS, CODE_QUERY, EXPLANATION_QUERY, LOKI_DOCS, makeGraph, rejectionOf, testConfig, TROUBLESHOOTING_QUERY } from "./helpers.js";

/** A clock the fake model moves forward, as if the call took that long. */
function manualClock(start: number) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

/** The output contract of the brief; the declared `GenerationOutput` may only add to it. */
const OUTPUT_KEYS = ["answer", "citations", "complexity", "model", "modelsTried", "queryType", "requiresCode", "usage", "warnings"];
/** Internal state that must never reach the caller. */
const INTERNAL_KEYS = ["query", "documents", "messages", "selection", "modelIndex", "promptMessages", "generation", "repairRound", "invalidMarkers", "startedAt", "preferences", "maxLatencyMs"];

describe("happy path: one turn, one model", () => {
  it("returns exactly the output contract, with citations resolved and Ollama usage mapped", async () => {
    const clock = manualClock(1_700_000_000_000);
    // A catalog with a distinctive context window for the SRE model, so numCtx provably comes from it.
    const catalog = mergeCatalog(DEFAULT_CATALOG, {
      models: [{ tag: "sre-agent:v1.0", contextLength: 12_288, speedTier: "standard", fallbacks: ["llama3.1:8b", "llama3.2:3b"] }],
    });
    const { graph, fake } = makeGraph({
      catalog,
      clock,
      env: { BRUNO_SEED: "42" },
      script: {
        "sre-agent:v1.0": () => {
          clock.advance(250);
          return {
            answer: "Ingesters exceed their memory limit [1]. Raise it in the Helm values [2].",
            ...ollamaUsage({ input: 412, output: 57, loadMs: 1200.5, promptEvalMs: 85, evalMs: 910.25 }),
          };
        },
      },
    });

    const out = await graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS });

    const keys = Object.keys(out).sort();
    expect(keys).toEqual(Object.keys(GenerationOutputState.fields).sort());
    expect(keys).toEqual(expect.arrayContaining(OUTPUT_KEYS));
    for (const key of INTERNAL_KEYS) expect(keys).not.toContain(key);
    expect(out).toMatchObject({
      answer: "Ingesters exceed their memory limit [1]. Raise it in the Helm values [2].",
      queryType: "troubleshooting",
      complexity: "simple",
      requiresCode: false,
      model: "sre-agent:v1.0",
      modelsTried: [{ model: "sre-agent:v1.0", outcome: "answered" }],
      citations: [
        { index: 1, title: "Loki OOM", source: "runbooks/loki-oom.md", valid: true },
        { index: 2, title: "Loki tuning", source: "runbooks/loki-tuning.md", valid: true },
      ],
      warnings: [],
      usage: { inputTokens: 412, outputTokens: 57, durationMs: 250, loadMs: 1200.5, promptEvalMs: 85, evalMs: 910.25 },
    });

    // What the model saw.
    expect(fake.calls).toHaveLength(1);
    const call = fake.calls[0];
    expect(call?.model).toBe("sre-agent:v1.0");
    expect(call?.request.profile).toEqual(GENERATION_PROFILES.troubleshooting);
    expect(call?.request.profile.temperature).toBe(0.3);
    expect(call?.request.numCtx).toBe(12_288);
    expect(call?.request.seed).toBe(42);
    expect(call?.stop).toBeUndefined();
    expect(call?.request.signal).toBeInstanceOf(AbortSignal);
    expect(call?.sawAbort).toBe(false);
    expect(call?.outcome).toBe("answered");
    const first = call?.messages[0];
    expect(first?.getType()).toBe("system");
    expect(textOf(first)).toContain(SYSTEM_PROMPT);
    const human = lastHuman(call);
    expect(human).toContain('<document index="1" title="Loki OOM" source="runbooks/loki-oom.md">');
    expect(human).toContain(LOKI_DOCS[1]?.content);
    expect(human.endsWith(`Question: ${TROUBLESHOOTING_QUERY}`)).toBe(true);
  });

  it("a code query streams with the code profile, the code model's numCtx and per-call stop sequences", async () => {
    const { graph, fake } = makeGraph({ script: { "deepseek-coder:33b": "```promql\nnode_filesystem_avail_bytes / node_filesystem_size_bytes < 0.1\n```" } });
    const out = await graph.invoke({ query: CODE_QUERY });
    expect(out.queryType).toBe("code_generation");
    expect(out.requiresCode).toBe(true);
    expect(out.model).toBe("deepseek-coder:33b");
    const call = fake.calls[0];
    expect(fake.models()).toEqual(["deepseek-coder:33b"]);
    expect(call?.request.profile).toEqual(GENERATION_PROFILES.code);
    expect(call?.request.numCtx).toBe(findModel(DEFAULT_CATALOG, "deepseek-coder:33b")?.contextLength);
    expect(call?.request.numCtx).toBe(16_384);
    expect(call?.stop).toEqual(CODE_STOP_SEQUENCES);
    expect(call?.request.seed).toBeUndefined();
  });

  it.each<[QueryType, keyof typeof GENERATION_PROFILES, number, boolean]>([
    ["troubleshooting", "troubleshooting", 0.3, false],
    ["debug_issue", "troubleshooting", 0.3, false],
    ["lookup_runbook", "troubleshooting", 0.3, false],
    ["code_generation", "code", 0.5, true],
    ["code_review", "code", 0.5, true],
    ["explanation", "explanation", 0.7, false],
    ["chat", "chat", 0.8, false],
  ])("query type %s reaches the factory as the %s profile (temperature %s)", async (queryType, profile, temperature, stops) => {
    const { graph, fake } = makeGraph({ fakeOptions: { fallback: "ok" } });
    const out = await graph.invoke({ query: EXPLANATION_QUERY, queryType });
    expect(out.queryType).toBe(queryType);
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]?.request.profile.name).toBe(profile);
    expect(fake.calls[0]?.request.profile.temperature).toBe(temperature);
    expect(fake.calls[0]?.stop).toEqual(stops ? CODE_STOP_SEQUENCES : undefined);
  });

  it("usage sums every model call of the turn (answer + citation repair) and converts ns to ms", async () => {
    const { graph, fake } = makeGraph({
      script: {
        "sre-agent:v1.0": [
          { answer: "See [5].", ...ollamaUsage({ input: 300, output: 10, loadMs: 2000, promptEvalMs: 40, evalMs: 100 }) },
          { answer: "See [1].", ...ollamaUsage({ input: 320, output: 12, loadMs: 0, promptEvalMs: 5.5, evalMs: 120 }) },
        ],
      },
    });
    const out = await graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS });
    expect(fake.calls).toHaveLength(2);
    expect(out.answer).toBe("See [1].");
    expect(out.usage).toMatchObject({ inputTokens: 620, outputTokens: 22, loadMs: 2000, promptEvalMs: 45.5, evalMs: 220 });
    expect(out.usage.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("a model that reports no usage yields zero counts, not NaN", async () => {
    const { graph } = makeGraph({ script: { "llama3.1:8b": "Recording rules precompute expressions [1]." } });
    const out = await graph.invoke({ query: EXPLANATION_QUERY, documents: LOKI_DOCS });
    expect(out.usage).toMatchObject({ inputTokens: 0, outputTokens: 0, loadMs: 0, promptEvalMs: 0, evalMs: 0 });
  });
});

const COMPLEX_EXPLANATION = "compare prometheus recording rules versus alerting rules and the trade-offs of each";

describe("routing: selectModel against the installed models", () => {
  it.each<[string, GenerationInput, string]>([
    ["troubleshooting → the SRE model", { query: TROUBLESHOOTING_QUERY }, "sre-agent:v1.0"],
    ["code → the code model", { query: CODE_QUERY }, "deepseek-coder:33b"],
    ["explanation → the general model", { query: EXPLANATION_QUERY }, "llama3.1:8b"],
    ["simple + budget 1500 ms → the fast model", { query: EXPLANATION_QUERY, maxLatencyMs: 1500 }, "llama3.2:3b"],
    ["simple + budget 2000 ms → the general model", { query: EXPLANATION_QUERY, maxLatencyMs: 2000 }, "llama3.1:8b"],
    ["complex + budget 500 ms → the general model", { query: COMPLEX_EXPLANATION, maxLatencyMs: 500 }, "llama3.1:8b"],
    ["troubleshooting + budget 500 ms → still the SRE model", { query: TROUBLESHOOTING_QUERY, maxLatencyMs: 500 }, "sre-agent:v1.0"],
  ])("%s", async (_name, input, expected) => {
    const { graph, fake } = makeGraph({ fakeOptions: { fallback: "answer" } });
    const out = await graph.invoke(input);
    expect(fake.models()).toEqual([expected]);
    expect(out.model).toBe(expected);
    expect(out.modelsTried).toEqual([{ model: expected, outcome: "answered" }]);
    expect(out.warnings).toEqual([]);
  });

  it("a missing preferred model is skipped with a pull hint, and never called", async () => {
    const installed = ALL_MODELS.filter((m) => m !== "sre-agent:v1.0");
    const { graph, fake } = makeGraph({ installed, script: { "llama3.1:8b": "Raise the memory limit [1]." } });
    const out = await graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS });
    expect(fake.models()).toEqual(["llama3.1:8b"]);
    expect(out.model).toBe("llama3.1:8b");
    expect(out.modelsTried).toEqual([
      { model: "sre-agent:v1.0", outcome: "skipped", code: "MODEL_NOT_FOUND", message: expect.stringContaining("not installed") },
      { model: "llama3.1:8b", outcome: "answered" },
    ]);
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toContain("ollama pull sre-agent:v1.0");
    expect(out.warnings[0]).toContain("llama3.1:8b");
    // The SRE profile is kept: the profile follows the query type, not the model.
    expect(fake.calls[0]?.request.profile.name).toBe("troubleshooting");
    expect(fake.calls[0]?.request.numCtx).toBe(8192);
  });

  it("every missing model before the first installed one is skipped, in chain order", async () => {
    const { graph, fake } = makeGraph({ installed: ["llama3.2:3b", "llama3.1:8b"], fakeOptions: { fallback: "```promql\nup == 0\n```" } });
    const out = await graph.invoke({ query: CODE_QUERY });
    expect(fake.models()).toEqual(["llama3.1:8b"]);
    expect(out.modelsTried.map((a) => [a.model, a.outcome])).toEqual([
      ["deepseek-coder:33b", "skipped"],
      ["codellama:34b", "skipped"],
      ["llama3.1:8b", "answered"],
    ]);
    expect(out.warnings.filter((w) => w.includes("ollama pull deepseek-coder:33b"))).toHaveLength(1);
    expect(out.warnings.filter((w) => w.includes("ollama pull codellama:34b"))).toHaveLength(1);
    // Still a code answer: code profile and stop sequences on the fallback model.
    expect(fake.calls[0]?.stop).toEqual(CODE_STOP_SEQUENCES);
  });

  it("the skip warning names the model that actually answered", async () => {
    const installed = ALL_MODELS.filter((m) => m !== "sre-agent:v1.0");
    const { graph } = makeGraph({ installed, script: { "llama3.1:8b": { error: serverError() }, "llama3.2:3b": "ok [1]." } });
    const out = await graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS });
    expect(out.model).toBe("llama3.2:3b");
    expect(out.warnings.some((w) => w.includes("answered with llama3.1:8b"))).toBe(false);
  });

  it("an explicit model is used, whatever the decision tree says", async () => {
    const { graph, fake } = makeGraph({ script: { "llama3.2:3b": "Raise the limit [1]." } });
    const out = await graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS, model: "llama3.2:3b" });
    expect(fake.models()).toEqual(["llama3.2:3b"]);
    expect(out.model).toBe("llama3.2:3b");
    expect(out.modelsTried).toEqual([{ model: "llama3.2:3b", outcome: "answered" }]);
    expect(out.warnings).toEqual([]);
    expect(fake.calls[0]?.request.profile.name).toBe("troubleshooting");
  });

  it("an explicit model that is not installed fails with ModelNotFoundError, before any model call", async () => {
    const { graph, fake } = makeGraph({ installed: ["llama3.1:8b"], fakeOptions: { fallback: "never" } });
    const error = await rejectionOf(graph.invoke({ query: TROUBLESHOOTING_QUERY, model: "mixtral:8x7b" }));
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect(isModelNotFoundError(error)).toBe(true);
    const e = error as ModelNotFoundError;
    expect(e.code).toBe("MODEL_NOT_FOUND");
    expect(e.model).toBe("mixtral:8x7b");
    expect(e.message).toContain("ollama pull mixtral:8x7b");
    expect(e.message).toContain("llama3.1:8b");
    expect(fake.calls).toHaveLength(0);
  });

  it("nothing installed → NoModelAvailableError (NO_MODEL_AVAILABLE), before any model call", async () => {
    const { graph, fake } = makeGraph({ installed: [], fakeOptions: { fallback: "never" } });
    const error = await rejectionOf(graph.invoke({ query: TROUBLESHOOTING_QUERY }));
    expect(error).toBeInstanceOf(NoModelAvailableError);
    expect((error as BrunoError).code).toBe("NO_MODEL_AVAILABLE");
    expect((error as BrunoError).message).toContain("ollama pull sre-agent:v1.0");
    expect(fake.calls).toHaveLength(0);
  });

  it("only models outside the catalog installed → NO_MODEL_AVAILABLE", async () => {
    const { graph, fake } = makeGraph({ installed: ["mistral:7b", "qwen2.5:14b"], fakeOptions: { fallback: "never" } });
    const error = await rejectionOf(graph.invoke({ query: EXPLANATION_QUERY }));
    expect((error as BrunoError).code).toBe("NO_MODEL_AVAILABLE");
    expect(fake.calls).toHaveLength(0);
  });

  it("an upstream queryType wins over the rules: route, profile and prompt template follow it", async () => {
    const { graph, fake } = makeGraph({ fakeOptions: { fallback: "answer" } });
    const out = await graph.invoke({ query: EXPLANATION_QUERY, queryType: "debug_issue" });
    expect(out.queryType).toBe("debug_issue");
    expect(fake.models()).toEqual(["sre-agent:v1.0"]);
    expect(fake.calls[0]?.request.profile.name).toBe("troubleshooting");
    expect(textOf(fake.calls[0]?.messages[0])).toContain(TEMPLATE_INSTRUCTIONS.troubleshooting);
  });

  it("an upstream code type makes the turn a code turn (requiresCode, code model, stop sequences)", async () => {
    const { graph, fake } = makeGraph({ fakeOptions: { fallback: "looks fine" } });
    const out = await graph.invoke({ query: TROUBLESHOOTING_QUERY, queryType: "code_review" });
    expect(out).toMatchObject({ queryType: "code_review", requiresCode: true, model: "deepseek-coder:33b" });
    expect(fake.calls[0]?.stop).toEqual(CODE_STOP_SEQUENCES);
    expect(textOf(fake.calls[0]?.messages[0])).toContain(TEMPLATE_INSTRUCTIONS.code_review);
  });
});

/** The graph with a fake factory and an admin that counts how often it was asked. */
function setup(env: Record<string, string> = {}) {
  const fake = createFakeModels({}, { fallback: "should never be called" });
  const base = staticModelServer(ALL_MODELS);
  const admin: ModelServer & { listed: number } = {
    host: base.host,
    listed: 0,
    listModels: (options) => {
      admin.listed += 1;
      return base.listModels(options);
    },
    showModel: (name, options) => base.showModel(name, options),
    version: (options) => base.version(options),
  };
  const graph = createGenerationGraph({ config: testConfig(env), admin, chatModelFactory: fake.factory });
  return { graph, fake, admin };
}

const doc = (content: string): ContextDocument => ({ content, title: "t" });

describe("input validation: typed errors naming the field, before any model call", () => {
  it.each<[string, string, GenerationInput, Record<string, string>]>([
    ["an empty query", "query", { query: "" }, {}],
    ["a whitespace-only query", "query", { query: "  \n\t " }, {}],
    ["a query over limits.maxQueryChars", "query", { query: "why is loki crashing again?" }, { BRUNO_MAX_QUERY_CHARS: "20" }],
    ["too many documents", "documents", { query: "why is loki crashing?", documents: [doc("a"), doc("b"), doc("c")] }, { BRUNO_MAX_DOCUMENTS: "2" }],
    ["an empty document content", "documents[1].content", { query: "why is loki crashing?", documents: [doc("fine"), doc("   ")] }, {}],
    ["a document over limits.maxDocumentChars", "documents[0].content", { query: "why is loki crashing?", documents: [doc("x".repeat(101))] }, { BRUNO_MAX_DOCUMENT_CHARS: "100" }],
    ["an empty explicit model", "model", { query: "why is loki crashing?", model: "" }, {}],
  ])("%s → InvalidInputError(%s)", async (_name, field, input, env) => {
    const { graph, fake, admin } = setup(env);
    const error = await rejectionOf(graph.invoke(input));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(isInvalidInputError(error)).toBe(true);
    const e = error as InvalidInputError;
    expect(e.code).toBe("INVALID_INPUT");
    expect(e.field).toBe(field);
    expect(e.details.field).toBe(field);
    expect(e.message).toContain(field);
    expect(fake.calls).toHaveLength(0);
    expect(admin.listed).toBe(0);
  });

  it("limits at exactly the maximum are accepted", async () => {
    const { graph, fake } = setup({ BRUNO_MAX_QUERY_CHARS: "21", BRUNO_MAX_DOCUMENTS: "2", BRUNO_MAX_DOCUMENT_CHARS: "100" });
    const out = await graph.invoke({ query: "why is loki crashing?", documents: [doc("x".repeat(100)), doc("y")] });
    expect(out.answer).toBe("should never be called");
    expect(fake.calls).toHaveLength(1);
  });

  it("a query without a question field at all → InvalidInputError(query)", async () => {
    const { graph, fake } = setup();
    const error = await rejectionOf(graph.invoke({} as GenerationInput));
    expect((error as InvalidInputError).field).toBe("query");
    expect(fake.calls).toHaveLength(0);
  });

  it("wrong-typed input is rejected before any model or admin call (today as LangGraph's plain validation Error)", async () => {
    const { graph, fake, admin } = setup();
    const bad = [{ query: 42 }, { query: "x", queryType: "bogus" }, { query: "x", documents: [LOKI_DOCS[0], { title: "no content" }] }, { query: "x", maxLatencyMs: -5 }];
    for (const input of bad) {
      await expect(graph.invoke(input as unknown as GenerationInput)).rejects.toThrow();
    }
    expect(fake.calls).toHaveLength(0);
    expect(admin.listed).toBe(0);
  });

  it.each<[string, string, unknown]>([
    ["a non-string query", "query", { query: 42 }],
    ["an unknown queryType", "queryType", { query: "x", queryType: "bogus" }],
    ["a document without content", "documents[1].content", { query: "x", documents: [{ content: "a" }, { title: "no content" }] }],
    ["a negative latency budget", "maxLatencyMs", { query: "x", maxLatencyMs: -5 }],
  ])("%s → InvalidInputError(%s)", async (_name, field, input) => {
    const { graph } = setup();
    const error = await rejectionOf(graph.invoke(input as GenerationInput));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).code).toBe("INVALID_INPUT");
    expect((error as InvalidInputError).field).toBe(field);
  });
});
