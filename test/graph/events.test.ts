/**
 * What the nodes report: typed events on the "custom" stream, and coded notices beside the
 * warnings. Consumers (telemetry, the CLI, HTTP) read these, never the nodes' state updates.
 */
import { describe, expect, it } from "vitest";
import { describeEvent } from "../../src/cli/session.js";
import type { GenerationEvent } from "../../src/domain/events.js";
import { isAllModelsFailedError, type GenerationResult } from "../../src/index.js";
import { serverError } from "../support/fakeModels.js";
import { GROUNDED_1, GROUNDED_2, LOKI_DOCS, makeGraph, rejectionOf, TROUBLESHOOTING_QUERY, type TestGraph } from "./helpers.js";

async function runWithEvents(setup: TestGraph, input: Parameters<TestGraph["graph"]["invoke"]>[0]): Promise<{ events: GenerationEvent[]; result: GenerationResult }> {
  const events: GenerationEvent[] = [];
  let result: GenerationResult | undefined;
  const stream = await setup.graph.stream(input, { streamMode: ["custom", "values"] });
  for await (const [mode, payload] of stream as AsyncIterable<[string, unknown]>) {
    if (mode === "custom") events.push(payload as GenerationEvent);
    else result = payload as GenerationResult;
  }
  if (!result) throw new Error("the run yielded no values");
  return { events, result };
}

const SRE = "sre-agent:v1.0";
const GENERAL = "llama3.1:8b";

describe("events of a turn", () => {
  it("each node reports what it did, in order: classified, model_selected, prompt_built, answered, grounding", async () => {
    const setup = makeGraph({ script: { [SRE]: `${GROUNDED_1} ${GROUNDED_2}` } });
    const { events, result } = await runWithEvents(setup, { query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS });

    // `queued` reports any wait for the bulkhead of 1 ms or more: timing, not part of the order.
    expect(events.map((e) => e.type).filter((t) => t !== "queued")).toEqual(["classified", "model_selected", "prompt_built", "answered", "grounding"]);
    events.splice(0, events.length, ...events.filter((e) => e.type !== "queued"));
    expect(events[0]).toEqual({ type: "classified", queryType: result.queryType, complexity: result.complexity, requiresCode: result.requiresCode });
    expect(events[1]).toMatchObject({ type: "model_selected", preferred: SRE });
    expect(events[2]).toMatchObject({ type: "prompt_built", model: SRE, documents: 2, droppedDocuments: 0, droppedTurns: 0 });
    expect(events[3]).toMatchObject({ type: "answered", model: SRE, cached: false });
    expect(events[4]).toEqual({ type: "grounding", summary: result.grounding });
  });

  it("a failed model reports one fallback with its outcome, and the answer restarts when its text had streamed", async () => {
    const setup = makeGraph({ script: { [SRE]: { error: serverError(), afterTokens: ["Loki ", "ingesters "] }, [GENERAL]: `${GROUNDED_1}` } });
    const { events, result } = await runWithEvents(setup, { query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS });

    const chain = events.filter((e) => e.type === "fallback" || e.type === "answer_restart");
    expect(chain).toEqual([
      { type: "answer_restart", model: SRE, next: GENERAL, reason: "fallback" },
      { type: "fallback", from: SRE, to: GENERAL, code: "SERVER_ERROR", outcome: "failed" },
    ]);
    expect(result.model).toBe(GENERAL);
    expect(result.notices).toEqual([{ code: "MODEL_FALLBACK", message: `${SRE} failed (SERVER_ERROR); fell back to ${GENERAL}` }]);
    expect(result.warnings).toEqual(result.notices.map((n) => n.message));
  });

  it("a circuit that opens during a turn reaches the turn's stream", async () => {
    const setup = makeGraph({ env: { BRUNO_BREAKER_THRESHOLD: "1" }, script: { [SRE]: { error: serverError() }, [GENERAL]: GROUNDED_1 } });
    const { events } = await runWithEvents(setup, { query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS });
    expect(events.filter((e) => e.type === "circuit")).toEqual([expect.objectContaining({ type: "circuit", model: SRE, state: "open" })]);
  });

  it("the turn's own deadline ends the turn with TIMEOUT_TOTAL: no retry is announced", async () => {
    // One installed model: its share of the turn is all of it.
    const setup = makeGraph({ installed: [SRE], env: { BRUNO_REQUEST_TIMEOUT_MS: "300", BRUNO_RETRY_ATTEMPTS: "3", BRUNO_RETRY_INITIAL_MS: "0" }, script: { [SRE]: { hang: true } } });
    const events: GenerationEvent[] = [];
    const run = (async () => {
      const stream = await setup.graph.stream({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, { streamMode: "custom" });
      for await (const event of stream as AsyncIterable<GenerationEvent>) events.push(event);
    })();
    const error = await rejectionOf(run);
    expect(error).toMatchObject({ code: "TIMEOUT_TOTAL", scope: "turn" });
    expect(events.filter((e) => e.type === "retry" || e.type === "fallback")).toEqual([]);
    expect(setup.fake.calls.map((c) => c.model)).toEqual([SRE]);
  });

  it("a failure before any token streamed does not restart the answer", async () => {
    const setup = makeGraph({ script: { [SRE]: { error: serverError() }, [GENERAL]: `${GROUNDED_1}` } });
    const { events } = await runWithEvents(setup, { query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS });
    expect(events.some((e) => e.type === "answer_restart")).toBe(false);
  });

  it("an out-of-range citation reports the repair round, then what was repaired", async () => {
    const setup = makeGraph({ script: { [SRE]: [`${GROUNDED_1.replace("[1]", "[7]")}`, GROUNDED_1] } });
    const { events, result } = await runWithEvents(setup, { query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS });
    expect(events.filter((e) => e.type === "repair" || e.type === "citations_checked")).toEqual([
      { type: "repair", markers: [7], documents: 2 },
      { type: "citations_checked", repaired: [7], stripped: [], newlyInvalid: [] },
    ]);
    expect(result.notices).toEqual([]);
  });

  it("a marker still invalid after the repair is stripped, reported as an event and as a CITATIONS_STRIPPED notice", async () => {
    const wrong = `${GROUNDED_1.replace("[1]", "[9]")}`;
    const setup = makeGraph({ script: { [SRE]: [wrong, wrong] } });
    const { events, result } = await runWithEvents(setup, { query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS });
    expect(events.find((e) => e.type === "citations_checked")).toEqual({ type: "citations_checked", repaired: [], stripped: [9], newlyInvalid: [] });
    expect(result.notices.map((n) => n.code)).toContain("CITATIONS_STRIPPED");
  });

  it("a preferred model that is not installed gives a MODEL_NOT_INSTALLED notice", async () => {
    const setup = makeGraph({ installed: [GENERAL], script: { [GENERAL]: GROUNDED_1 } });
    const { result } = await runWithEvents(setup, { query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS });
    expect(result.notices.map((n) => n.code)).toEqual(["MODEL_NOT_INSTALLED"]);
    expect(result.notices[0]?.message).toContain("ollama pull sre-agent:v1.0");
  });

  it("the end of the chain is ALL_MODELS_FAILED listing every attempt, the not-installed ones included", async () => {
    const setup = makeGraph({ installed: [GENERAL], script: { [GENERAL]: { error: serverError() } } });
    const error = await rejectionOf(setup.graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }));
    expect(isAllModelsFailedError(error)).toBe(true);
    if (!isAllModelsFailedError(error)) return;
    expect(error.attempts.map((a) => [a.model, a.code])).toEqual([
      [SRE, "MODEL_NOT_FOUND"],
      [GENERAL, "SERVER_ERROR"],
    ]);
  });
});

describe("the CLI's line for an event", () => {
  it.each<[GenerationEvent, string | undefined]>([
    [{ type: "answer_restart", model: SRE, next: SRE, reason: "retry" }, `answer restarts: retrying ${SRE}`],
    [{ type: "answer_restart", model: SRE, next: GENERAL, reason: "fallback" }, `answer restarts: falling back to ${GENERAL}`],
    [{ type: "circuit", host: "http://gpu:11434", model: SRE, state: "open" }, `circuit for ${SRE} on http://gpu:11434 opened`],
    [{ type: "circuit", host: "http://gpu:11434", model: SRE, state: "closed" }, undefined],
    [{ type: "fallback", from: SRE, to: GENERAL, code: "CONTEXT_OVERFLOW", outcome: "skipped" }, `${SRE} skipped (CONTEXT_OVERFLOW); trying ${GENERAL}`],
    [{ type: "repair", markers: [7, 8], documents: 2 }, "citation [7], [8] points at no document; asking the model to correct it"],
    [{ type: "classified", queryType: "chat", complexity: "simple", requiresCode: false }, undefined],
  ])("%j → %s", (event, line) => {
    expect(describeEvent(event)).toBe(line);
  });
});
