/**
 * Where the graph's overhead goes: a ladder of clients between the bare ChatOllama call and the
 * full graph, all sending the same request to the same synthetic model, interleaved. Each rung
 * adds one layer, so the difference between neighbouring rungs is that layer's cost.
 *
 *   bare.invoke            ChatOllama.invoke (the baseline of section 1)
 *   bare.stream+concat     ChatOllama.stream, chunks concatenated (what the generate node does)
 *   langgraph 5 nodes      a StateGraph of the same shape (4 no-op nodes + 1 calling the stream loop)
 *   graph, compiled        our graph as `buildGenerationGraph().compile()` (nodes and model calls report
 *                          to telemetry; no run-level wrapper)
 *   graph                  `createGenerationGraph`: the same plus `guardRuns` (run telemetry, thread lock,
 *                          typed errors, durability default), what a host runs
 *   + a callback           the graph with one no-op callback handler in the run's config (what any
 *                          LangChain callback, e.g. a tracer or an old-style telemetry handler, costs:
 *                          every runnable of the run then builds run managers and ids)
 */
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { AIMessageChunk, BaseMessage } from "@langchain/core/messages";
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import type { ChatOllama } from "@langchain/ollama";
import { buildGenerationGraph } from "../../src/index.js";
import { benchConfig, benchGraph, cpuMsSince, INPUT, now, settle } from "../lib/fixtures.js";
import { roundSummary, summarize, type Summary } from "../lib/stats.js";
import type { ModelProfile, SyntheticOllama } from "../lib/synthetic.js";
import { bareFor } from "./overhead.js";

export interface BreakdownOptions {
  warmup: number;
  iterations: number;
}

export interface Rung {
  name: string;
  /** Wall time per turn. */
  ms: Summary;
  /** Paired: this rung − bare.invoke. */
  extraMs: Summary;
  /** Paired: this rung − the previous rung. */
  stepMs: Summary;
  /** Process CPU time per turn. */
  cpuMs: Summary;
  /** Paired CPU: this rung − the previous rung. */
  cpuStepMs: Summary;
}

export interface BreakdownResult {
  profile: ModelProfile;
  iterations: number;
  rungs: Rung[];
  errors: number;
}

async function streamConcat(model: ChatOllama, messages: BaseMessage[], callbacks?: Parameters<ChatOllama["stream"]>[1]): Promise<string> {
  let final: AIMessageChunk | undefined;
  for await (const chunk of await model.stream(messages, callbacks)) final = final ? final.concat(chunk) : chunk;
  return typeof final?.content === "string" ? final.content : "";
}

export async function runBreakdown(syn: SyntheticOllama, profile: ModelProfile, options: BreakdownOptions): Promise<BreakdownResult> {
  syn.use(profile);
  const graph = benchGraph(syn.url);
  const bare = await bareFor(syn, graph);
  const compiled = buildGenerationGraph({ config: benchConfig(syn.url) }).compile();
  const noopHandler = new (class extends BaseCallbackHandler {
    name = "bench_noop";
  })({ _awaitHandler: true });
  const expected = syn.answer;

  const Shape = Annotation.Root({ text: Annotation<string>() });
  const noop = async () => ({});
  const framework = new StateGraph(Shape)
    .addNode("classify", noop)
    .addNode("selectModel", noop)
    .addNode("buildPrompt", noop)
    .addNode("generate", async () => ({ text: await streamConcat(bare.model, bare.messages) }))
    .addNode("validateCitations", noop)
    .addEdge(START, "classify")
    .addEdge("classify", "selectModel")
    .addEdge("selectModel", "buildPrompt")
    .addEdge("buildPrompt", "generate")
    .addEdge("generate", "validateCitations")
    .addEdge("validateCitations", END)
    .compile();

  let errors = 0;
  const check = (text: string) => {
    if (text !== expected) errors += 1;
  };
  const rungs: { name: string; run: () => Promise<void> }[] = [
    { name: "bare.invoke", run: async () => check(String((await bare.model.invoke(bare.messages)).content)) },
    { name: "bare.stream+concat", run: async () => check(await streamConcat(bare.model, bare.messages)) },
    { name: "langgraph 5 nodes", run: async () => check((await framework.invoke({ text: "" })).text) },
    { name: "graph, compiled", run: async () => check((await compiled.invoke(INPUT)).answer) },
    { name: "graph", run: async () => check((await graph.invoke(INPUT)).answer) },
    { name: "+ a callback", run: async () => check((await graph.invoke(INPUT, { callbacks: [noopHandler] })).answer) },
  ];
  for (let i = 0; i < options.warmup; i += 1) for (const r of rungs) await r.run();
  errors = 0;
  await settle();
  const times = rungs.map(() => [] as number[]);
  const cpu = rungs.map(() => [] as number[]);
  for (let i = 0; i < options.iterations; i += 1) {
    for (let k = 0; k < rungs.length; k += 1) {
      const idx = (i + k) % rungs.length;
      const c0 = process.cpuUsage();
      const t0 = now();
      try {
        await (rungs[idx] as (typeof rungs)[number]).run();
      } catch {
        errors += 1;
      }
      (times[idx] as number[]).push(now() - t0);
      (cpu[idx] as number[]).push(cpuMsSince(c0));
    }
    if (i % 50 === 49) syn.clearRequests();
  }
  const base = times[0] as number[];
  return {
    profile,
    iterations: options.iterations,
    errors,
    rungs: rungs.map((r, k) => {
      const t = times[k] as number[];
      const prevIndex = Math.max(0, k - 1);
      const prev = times[prevIndex] as number[];
      const c = cpu[k] as number[];
      const cprev = cpu[prevIndex] as number[];
      return {
        name: r.name,
        ms: summarize(t),
        extraMs: summarize(t.map((x, i) => x - (base[i] as number))),
        stepMs: summarize(t.map((x, i) => x - (prev[i] as number))),
        cpuMs: summarize(c),
        cpuStepMs: summarize(c.map((x, i) => x - (cprev[i] as number))),
      };
    }),
  };
}

export function breakdownJson(r: BreakdownResult): Record<string, unknown> {
  return {
    profile: r.profile,
    iterations: r.iterations,
    errors: r.errors,
    rungs: r.rungs.map((x) => ({
      name: x.name,
      ms: roundSummary(x.ms),
      extraMs: roundSummary(x.extraMs),
      stepMs: roundSummary(x.stepMs),
      cpuMs: roundSummary(x.cpuMs),
      cpuStepMs: roundSummary(x.cpuStepMs),
    })),
  };
}
