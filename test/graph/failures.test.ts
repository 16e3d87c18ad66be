/**
 * When things go wrong inside a turn: model fallback, the citation-repair round, and
 * cancellation through the run config's AbortSignal.
 */
import { MemorySaver } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { AllModelsFailedError, CancelledError, InvalidInputError, isAllModelsFailedError, isBrunoError, isCancelledError, type BrunoErrorCode } from "../../src/domain/errors.js";
import { DEFAULT_CATALOG, findModel, mergeCatalog } from "../../src/domain/catalog.js";
import { lastHuman, modelNotFound, promptText, responseError, serverError, textOf, type FakeStep } from "../support/fakeModels.js";
import { CODE_QUERY, GROUNDED_1, GROUNDED_2, LOKI_DOCS, makeGraph, rejectionOf, threadMessages, TROUBLESHOOTING_QUERY, until } from "./helpers.js";

describe("fallback: a failed model moves to the next one of the chain", () => {
  it("a server error on the first model → the second answers the same question", async () => {
    const { graph, fake } = makeGraph({
      script: { "sre-agent:v1.0": { error: serverError() }, "llama3.1:8b": "Raise the ingester memory limit [1]." },
    });
    const out = await graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS });

    expect(out.answer).toBe("Raise the ingester memory limit [1].");
    expect(out.model).toBe("llama3.1:8b");
    expect(out.modelsTried).toEqual([
      { model: "sre-agent:v1.0", outcome: "failed", code: "SERVER_ERROR", message: expect.any(String) },
      { model: "llama3.1:8b", outcome: "answered" },
    ]);
    expect(out.warnings).toEqual(["sre-agent:v1.0 failed (SERVER_ERROR); fell back to llama3.1:8b"]);

    expect(fake.models()).toEqual(["sre-agent:v1.0", "llama3.1:8b"]);
    const [first, second] = fake.calls;
    expect(first?.outcome).toBe("threw");
    expect(second?.outcome).toBe("answered");
    // Same prompt, same question, same profile: only the model changed.
    expect(promptText(second)).toBe(promptText(first));
    expect(lastHuman(second)).toContain(`Question: ${TROUBLESHOOTING_QUERY}`);
    expect(second?.request.profile).toEqual(first?.request.profile);
    expect(second?.request.numCtx).toBe(findModel(DEFAULT_CATALOG, "llama3.1:8b")?.contextLength);
  });

  it.each<[string, BrunoErrorCode, FakeStep]>([
    ["the ollama client's ResponseError 500", "SERVER_ERROR", { error: responseError(500, "llama runner process has terminated") }],
    ["a ResponseError 404 (model deleted since /api/tags)", "MODEL_NOT_FOUND", { error: responseError(404, "model 'sre-agent:v1.0' not found") }],
    ["a ModelNotFoundError", "MODEL_NOT_FOUND", { error: modelNotFound("sre-agent:v1.0") }],
    ["a dropped connection (ECONNRESET)", "SERVER_ERROR", { error: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), afterTokens: ["Partial "] }],
    ["an unknown error", "GENERATION_FAILED", { error: new Error("boom") }],
    ["an empty answer", "GENERATION_FAILED", ""],
    ["an answer that is only <think> reasoning", "GENERATION_FAILED", "<think>the user wants…</think>"],
  ])("%s → falls back with code %s", async (_name, code, step) => {
    const { graph, fake } = makeGraph({ script: { "sre-agent:v1.0": step, "llama3.1:8b": GROUNDED_1 } });
    const out = await graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS });
    expect(out.answer).toBe(GROUNDED_1);
    expect(out.modelsTried.map((a) => [a.model, a.outcome, a.code])).toEqual([
      ["sre-agent:v1.0", "failed", code],
      ["llama3.1:8b", "answered", undefined],
    ]);
    expect(out.warnings).toEqual([`sre-agent:v1.0 failed (${code}); fell back to llama3.1:8b`]);
    expect(fake.models()).toEqual(["sre-agent:v1.0", "llama3.1:8b"]);
  });

  it("deadlines: no first token and a stalled stream are fallback-worthy timeouts; the model sees its signal abort", async () => {
    // Every model hangs, so no success path depends on the event loop being fast: the first-token
    // deadline is generous (a stalling model's first tokens must beat it), the stall one tiny.
    const { graph, fake } = makeGraph({
      env: { BRUNO_FIRST_TOKEN_TIMEOUT_MS: "300", BRUNO_STALL_TIMEOUT_MS: "10" },
      script: {
        "sre-agent:v1.0": { hang: true },
        "llama3.1:8b": { hang: true, tokensBefore: ["Check ", "the "] },
        "llama3.2:3b": { hang: true, tokensBefore: ["Raise "] },
      },
    });
    const error = await rejectionOf(graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }));
    expect(isAllModelsFailedError(error)).toBe(true);
    expect((error as AllModelsFailedError).attempts.map((a) => [a.model, a.code])).toEqual([
      ["sre-agent:v1.0", "TIMEOUT_FIRST_TOKEN"],
      ["llama3.1:8b", "TIMEOUT_STALL"],
      ["llama3.2:3b", "TIMEOUT_STALL"],
    ]);
    // Each hanging model saw its signal abort (the deadline), so no request is left behind.
    expect(fake.calls.map((c) => [c.model, c.sawAbort, c.outcome])).toEqual([
      ["sre-agent:v1.0", true, "aborted"],
      ["llama3.1:8b", true, "aborted"],
      ["llama3.2:3b", true, "aborted"],
    ]);
  });

  it("every model fails → AllModelsFailedError listing each model and its code", async () => {
    const { graph, fake } = makeGraph({
      script: {
        "sre-agent:v1.0": { error: serverError() },
        "llama3.1:8b": { error: responseError(500, "busy") },
        "llama3.2:3b": { error: responseError(404, "model 'llama3.2:3b' not found") },
      },
    });
    const error = await rejectionOf(graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }));
    expect(error).toBeInstanceOf(AllModelsFailedError);
    expect(isAllModelsFailedError(error)).toBe(true);
    const e = error as AllModelsFailedError;
    expect(e.code).toBe("ALL_MODELS_FAILED");
    expect(e.attempts.map((a) => [a.model, a.code])).toEqual([
      ["sre-agent:v1.0", "SERVER_ERROR"],
      ["llama3.1:8b", "SERVER_ERROR"],
      ["llama3.2:3b", "MODEL_NOT_FOUND"],
    ]);
    for (const a of e.attempts) expect(a.message).not.toBe("");
    expect(e.message).toContain("sre-agent:v1.0: SERVER_ERROR");
    expect(fake.models()).toEqual(["sre-agent:v1.0", "llama3.1:8b", "llama3.2:3b"]);
  });

  it("the chain follows the catalog from the code model (numCtx per model)", async () => {
    const { graph, fake } = makeGraph({
      script: { "deepseek-coder:33b": { error: serverError() }, "codellama:34b": { error: serverError() }, "llama3.1:8b": "```promql\nup\n```" },
    });
    const out = await graph.invoke({ query: CODE_QUERY });
    expect(fake.models()).toEqual(["deepseek-coder:33b", "codellama:34b", "llama3.1:8b"]);
    expect(fake.calls.map((c) => c.request.numCtx)).toEqual([16_384, 16_384, 8192]);
    expect(new Set(fake.calls.map((c) => c.request.profile.name))).toEqual(new Set(["code"]));
    expect(out.warnings).toEqual(["deepseek-coder:33b failed (SERVER_ERROR); fell back to codellama:34b", "codellama:34b failed (SERVER_ERROR); fell back to llama3.1:8b"]);
  });

  it("a non-fallback error (INVALID_INPUT) is thrown as is, not retried on another model", async () => {
    const thrown = new InvalidInputError("messages", "the model rejected the prompt");
    const { graph, fake } = makeGraph({ script: { "sre-agent:v1.0": { error: thrown }, "llama3.1:8b": "never" } });
    const error = await rejectionOf(graph.invoke({ query: TROUBLESHOOTING_QUERY }));
    expect(error).toBe(thrown);
    expect(fake.models()).toEqual(["sre-agent:v1.0"]);
  });

  it("CANCELLED from the model is thrown as is, not retried on another model", async () => {
    const thrown = new CancelledError();
    const { graph, fake } = makeGraph({ script: { "sre-agent:v1.0": { error: thrown }, "llama3.1:8b": "never" } });
    const error = await rejectionOf(graph.invoke({ query: TROUBLESHOOTING_QUERY }));
    expect(error).toBe(thrown);
    expect((error as CancelledError).code).toBe("CANCELLED");
    expect(fake.models()).toEqual(["sre-agent:v1.0"]);
  });

  it("an explicit model falls back along its own catalog chain", async () => {
    const { graph, fake } = makeGraph({ script: { "llama3.1:8b": { error: serverError() }, "llama3.2:3b": "ok" } });
    const out = await graph.invoke({ query: TROUBLESHOOTING_QUERY, model: "llama3.1:8b" });
    expect(fake.models()).toEqual(["llama3.1:8b", "llama3.2:3b"]);
    expect(out.model).toBe("llama3.2:3b");
    expect(out.warnings).toEqual(["llama3.1:8b failed (SERVER_ERROR); fell back to llama3.2:3b"]);
  });

  it("with retries on, a transient error is retried on the same model before any fallback", async () => {
    const { graph, fake } = makeGraph({
      env: { BRUNO_RETRY_ATTEMPTS: "2", BRUNO_RETRY_INITIAL_MS: "1", BRUNO_RETRY_MAX_MS: "5" },
      script: { "sre-agent:v1.0": [{ error: serverError() }, "Second attempt [1]."], "llama3.1:8b": "never" },
    });
    const out = await graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS });
    expect(fake.models()).toEqual(["sre-agent:v1.0", "sre-agent:v1.0"]);
    expect(promptText(fake.calls[1])).toBe(promptText(fake.calls[0]));
    expect(out.answer).toBe("Second attempt [1].");
    expect(out.modelsTried).toEqual([{ model: "sre-agent:v1.0", outcome: "answered" }]);
  });

  it("a non-transient failure is not retried on the same model, even with retries on", async () => {
    const { graph, fake } = makeGraph({
      env: { BRUNO_RETRY_ATTEMPTS: "3", BRUNO_RETRY_INITIAL_MS: "1", BRUNO_RETRY_MAX_MS: "5" },
      script: { "sre-agent:v1.0": { error: responseError(404, "model 'sre-agent:v1.0' not found") }, "llama3.1:8b": "ok" },
    });
    const out = await graph.invoke({ query: TROUBLESHOOTING_QUERY });
    expect(fake.models()).toEqual(["sre-agent:v1.0", "llama3.1:8b"]);
    expect(out.modelsTried.map((a) => a.code ?? a.outcome)).toEqual(["MODEL_NOT_FOUND", "answered"]);
  });

  it("after a fallback, only the answering model's context-fitting warning remains", async () => {
    const catalog = mergeCatalog(DEFAULT_CATALOG, {
      models: [
        { tag: "sre-agent:v1.0", contextLength: 2600, speedTier: "standard", fallbacks: ["llama3.1:8b"] },
        { tag: "llama3.1:8b", contextLength: 2600, speedTier: "standard", fallbacks: [] },
      ],
    });
    const documents = Array.from({ length: 5 }, (_, i) => ({ content: `runbook line ${i} `.repeat(45), title: `D${i + 1}` }));
    const { graph } = makeGraph({ catalog, script: { "sre-agent:v1.0": { error: serverError() }, "llama3.1:8b": "ok [1]." } });
    const out = await graph.invoke({ query: TROUBLESHOOTING_QUERY, documents });
    const dropWarnings = out.warnings.filter((w) => w.startsWith("dropped"));
    expect(dropWarnings.length).toBeGreaterThan(0);
    expect(dropWarnings).toHaveLength(1);
    expect(dropWarnings[0]).toContain("llama3.1:8b");
  });

  it("when every document was dropped to fit, the strip warning does not claim none were given", async () => {
    const catalog = mergeCatalog(DEFAULT_CATALOG, {
      models: [{ tag: "sre-agent:v1.0", contextLength: 2400, speedTier: "standard", fallbacks: [] }],
    });
    const documents = Array.from({ length: 5 }, (_, i) => ({ content: `runbook line ${i} `.repeat(200), title: `D${i + 1}` }));
    const { graph } = makeGraph({ catalog, script: { "sre-agent:v1.0": "ok [1]." } });
    const out = await graph.invoke({ query: TROUBLESHOOTING_QUERY, documents });
    expect(out.warnings.some((w) => w.startsWith("dropped 5"))).toBe(true);
    expect(out.warnings.filter((w) => w.includes("removed citation [1]"))).toHaveLength(1);
    expect(out.warnings.some((w) => w.includes("no documents were given"))).toBe(false);
  });
});

const isRepair = (text: string) => text.startsWith("Your previous answer cites");

describe("citation repair: one corrective round for out-of-range markers", () => {
  it("[7] with 2 documents → exactly one repair call; a valid repair is kept without a warning", async () => {
    const { graph, fake } = makeGraph({
      script: { "sre-agent:v1.0": ["The ingesters are OOMKilled [7].", "The ingesters are OOMKilled [1]."] },
    });
    const out = await graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS });

    expect(out.answer).toBe("The ingesters are OOMKilled [1].");
    expect(out.citations).toMatchObject([{ index: 1, title: "Loki OOM", source: "runbooks/loki-oom.md", valid: true }]);
    expect(out.warnings).toEqual([]);
    expect(out.modelsTried).toEqual([{ model: "sre-agent:v1.0", outcome: "answered" }]);

    expect(fake.models()).toEqual(["sre-agent:v1.0", "sre-agent:v1.0"]);
    const [first, repair] = fake.calls;
    const instruction = lastHuman(repair);
    expect(instruction).toContain("[7]");
    expect(instruction).toContain("[1] to [2]");
    expect(isRepair(instruction)).toBe(true);
    // The repair call is the original prompt + the faulty answer + the instruction.
    const firstMessages = first?.messages ?? [];
    const repairMessages = repair?.messages ?? [];
    expect(repairMessages).toHaveLength(firstMessages.length + 2);
    expect(repairMessages.slice(0, firstMessages.length).map(textOf)).toEqual(firstMessages.map(textOf));
    expect(repairMessages.at(-2)?.getType()).toBe("ai");
    expect(textOf(repairMessages.at(-2))).toBe("The ingesters are OOMKilled [7].");
    expect(repairMessages.at(-1)?.getType()).toBe("human");
    // Same model settings for the repair.
    expect(repair?.request.profile).toEqual(first?.request.profile);
    expect(repair?.request.numCtx).toBe(first?.request.numCtx);
  });

  it("a repair that is still invalid → the marker is stripped and a warning says so; still 2 calls", async () => {
    const { graph, fake } = makeGraph({
      script: {
        "sre-agent:v1.0": [`The ingesters run out of memory [7]. ${GROUNDED_2}`, "The ingesters run out of memory [7]. Raise ingester memory limits in the Helm values [2, 9]."],
      },
    });
    const out = await graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS });
    expect(fake.calls).toHaveLength(2);
    expect(out.answer).toBe(`The ingesters run out of memory. ${GROUNDED_2}`);
    const stripped = out.warnings.filter((w) => w.includes("removed citation"));
    expect(stripped).toHaveLength(1);
    expect(stripped[0]).toContain("removed citation [7], [9]");
    expect(stripped[0]).toContain("[1]-[2]");
    expect(out.citations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ index: 2, title: "Loki tuning", source: "runbooks/loki-tuning.md", valid: true }),
        expect.objectContaining({ index: 7, valid: false }),
        expect.objectContaining({ index: 9, valid: false }),
      ]),
    );
    expect(new Set(out.citations.map((c) => c.index))).toEqual(new Set([2, 7, 9]));
  });

  it("is bounded: a model that never fixes its citations is called at most twice", async () => {
    const { graph, fake } = makeGraph({ script: { "sre-agent:v1.0": "Always [9]." } });
    const out = await graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS });
    expect(fake.calls).toHaveLength(2);
    expect(fake.calls.filter((c) => isRepair(lastHuman(c)))).toHaveLength(1);
    expect(out.answer).toBe("Always.");
    expect(out.warnings.some((w) => w.includes("removed citation [9]"))).toBe(true);
    // After stripping nothing valid is left: the "cites none" warning too.
    expect(out.warnings.some((w) => w.includes("cites none of the 2 documents"))).toBe(true);
  });

  it("a failed repair call keeps the first answer (stripped), warns, and does not try another model", async () => {
    const { graph, fake } = makeGraph({
      script: { "sre-agent:v1.0": ["Raise the limit [2]. See [4].", { error: serverError() }], "llama3.1:8b": "never" },
    });
    const out = await graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS });
    expect(fake.models()).toEqual(["sre-agent:v1.0", "sre-agent:v1.0"]);
    expect(out.answer).toBe("Raise the limit [2]. See.");
    expect(out.model).toBe("sre-agent:v1.0");
    expect(out.modelsTried).toEqual([{ model: "sre-agent:v1.0", outcome: "answered" }]);
    expect(out.warnings).toEqual(expect.arrayContaining([expect.stringContaining("citation repair round failed (SERVER_ERROR)"), expect.stringContaining("removed citation [4]")]));
  });

  it.each<[string, FakeStep]>([
    ["the server is saturated (503)", { error: responseError(503, "server busy, please try again") }],
    ["the server went away", { error: Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } }) }],
  ])("a repair call that fails because %s still keeps the first answer: the repair is optional", async (_name, step) => {
    const { graph } = makeGraph({ script: { "sre-agent:v1.0": ["Raise the limit [2]. See [4].", step] } });
    const out = await graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS });
    expect(out.answer).toBe("Raise the limit [2]. See.");
    expect(out.notices.map((n) => n.code)).toContain("REPAIR_FAILED");
  });

  it("an answer citing nothing while documents were given → a warning, and no repair call", async () => {
    const { graph, fake } = makeGraph({ script: { "sre-agent:v1.0": "Restart the pods." } });
    const out = await graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS });
    expect(fake.calls).toHaveLength(1);
    expect(out.citations).toEqual([]);
    expect(out.warnings).toEqual([expect.stringContaining("cites none of the 2 documents")]);
  });

  it("no documents and no citations → no warning", async () => {
    const { graph, fake } = makeGraph({ script: { "sre-agent:v1.0": "Restart the pods." } });
    const out = await graph.invoke({ query: TROUBLESHOOTING_QUERY });
    expect(fake.calls).toHaveLength(1);
    expect(out.warnings).toEqual([]);
  });

  it("a citation with no documents at all gets the no-documents instruction", async () => {
    const { graph, fake } = makeGraph({ script: { "sre-agent:v1.0": ["See the runbook [1].", "See the runbook."] } });
    const out = await graph.invoke({ query: TROUBLESHOOTING_QUERY });
    expect(fake.calls).toHaveLength(2);
    const instruction = lastHuman(fake.calls[1]);
    expect(instruction).toContain("[1]");
    expect(instruction).toContain("no documents were provided");
    expect(out.answer).toBe("See the runbook.");
    expect(out.warnings).toEqual([]);
  });

  it("markers inside code are not citations and trigger no repair", async () => {
    const answer = "Check the array index `arr[7]` and\n```\nx[9] = 1\n```\nas documented [1].";
    const { graph, fake } = makeGraph({ script: { "sre-agent:v1.0": answer } });
    const out = await graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS });
    expect(fake.calls).toHaveLength(1);
    expect(out.answer).toBe(answer);
    expect(out.citations.map((c) => c.index)).toEqual([1]);
  });
});

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("cancellation through the run config's AbortSignal", () => {
  it("aborts a hanging model promptly: the model sees its signal abort, invoke rejects, no fallback", async () => {
    const { graph, fake } = makeGraph({
      checkpointer: new MemorySaver(),
      script: { "sre-agent:v1.0": { hang: true, tokensBefore: ["Half ", "an ", "answer "] }, "llama3.1:8b": "never", "llama3.2:3b": "never" },
    });
    const controller = new AbortController();
    const cfg = { configurable: { thread_id: "t-cancel" } };
    const pending = graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, { ...cfg, signal: controller.signal });
    const call = await fake.waitForCall(0);
    await until(() => call.emitted.length === 3); // the first tokens streamed
    expect(call.emitted).toEqual(["Half ", "an ", "answer "]);

    const reason = new Error("user pressed Ctrl-C");
    const abortedAt = performance.now();
    controller.abort(reason);
    const error = await rejectionOf(pending);
    const latency = performance.now() - abortedAt;

    expect(latency).toBeLessThan(1000);
    // The typed cancellation, never a fallback or ALL_MODELS_FAILED.
    expect(isCancelledError(error)).toBe(true);
    expect((error as CancelledError).code).toBe("CANCELLED");
    expect(isAllModelsFailedError(error)).toBe(false);

    expect(call.sawAbort).toBe(true);
    expect(call.request.signal.aborted).toBe(true);
    expect(call.callSignal?.aborted).toBe(true);
    expect(call.outcome).toBe("aborted");

    await tick(20); // nothing runs on behind the caller's back
    expect(fake.models()).toEqual(["sre-agent:v1.0"]);

    // The thread holds no half answer, and the next turn starts clean.
    const messages = await threadMessages(graph, "t-cancel");
    expect(messages).toHaveLength(0);
  });

  it("after a cancelled turn the thread is usable and the half answer never reaches a prompt", async () => {
    const { graph, fake } = makeGraph({
      checkpointer: new MemorySaver(),
      script: { "sre-agent:v1.0": [{ hang: true, tokensBefore: ["Half ", "answer "] }, GROUNDED_1] },
    });
    const controller = new AbortController();
    const cfg = { configurable: { thread_id: "t-after-cancel" } };
    const pending = graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, { ...cfg, signal: controller.signal });
    await fake.waitForCall(0);
    controller.abort();
    const error = await rejectionOf(pending);
    expect(isBrunoError(error) && error.code).toBe("CANCELLED");

    const out = await graph.invoke({ query: "loki ingesters crashing again", documents: LOKI_DOCS }, cfg);
    expect(out.answer).toBe(GROUNDED_1);
    expect(out.warnings).toEqual([]);
    expect(promptText(fake.calls[1])).not.toContain("Half answer");
    expect(promptText(fake.calls[1])).not.toContain(TROUBLESHOOTING_QUERY);
    const messages = await threadMessages(graph, "t-after-cancel");
    expect(messages.map(textOf)).toEqual(["loki ingesters crashing again", GROUNDED_1]);
  });

  it("an already-aborted signal rejects without calling any model", async () => {
    const { graph, fake } = makeGraph({ fakeOptions: { fallback: "never" } });
    const controller = new AbortController();
    controller.abort();
    await expect(graph.invoke({ query: TROUBLESHOOTING_QUERY }, { signal: controller.signal })).rejects.toMatchObject({ code: "CANCELLED" });
    await tick(10);
    expect(fake.calls).toHaveLength(0);
  });

  it("cancelling during the citation-repair call keeps nothing either", async () => {
    const { graph, fake } = makeGraph({
      checkpointer: new MemorySaver(),
      script: { "sre-agent:v1.0": ["Wrong [9].", { hang: true }] },
    });
    const controller = new AbortController();
    const cfg = { configurable: { thread_id: "t-cancel-repair" } };
    const pending = graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, { ...cfg, signal: controller.signal });
    const repair = await fake.waitForCall(1);
    controller.abort();
    expect(await rejectionOf(pending)).toMatchObject({ code: "CANCELLED" });
    expect(repair.sawAbort).toBe(true);
    expect(fake.calls).toHaveLength(2);
    expect(await threadMessages(graph, "t-cancel-repair")).toHaveLength(0);
  });
});
