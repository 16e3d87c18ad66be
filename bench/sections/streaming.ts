/**
 * 2. Streaming: time to the first token out of `graph.stream(…, { streamMode: "messages" })`
 * (the first non-empty chunk from the node `generate`) vs the first non-empty chunk of a bare
 * `ChatOllama.stream` sending the same request; and that every token arrives (same count).
 */
import type { BaseMessage } from "@langchain/core/messages";
import { benchGraph, INPUT, now, settle } from "../lib/fixtures.js";
import { roundSummary, summarize, type Summary } from "../lib/stats.js";
import type { ModelProfile, SyntheticOllama } from "../lib/synthetic.js";
import { bareFor } from "./overhead.js";

export interface StreamingOptions {
  warmup: number;
  iterations: number;
}

export interface StreamingResult {
  profile: ModelProfile;
  iterations: number;
  bareTtft: Summary;
  graphTtft: Summary;
  /** Paired: graph TTFT − bare TTFT. */
  extraMs: Summary;
  /** Whole stream, call to last chunk. */
  bareTotal: Summary;
  graphTotal: Summary;
  /** Non-empty content chunks per run: the model's tokens. */
  expectedTokens: number;
  bareTokens: { min: number; max: number };
  graphTokens: { min: number; max: number };
  /** Every run of both clients delivered exactly `expectedTokens` non-empty chunks, and the graph's joined to the answer. */
  allTokensArrived: boolean;
  /** Chunks the graph's "messages" stream carried from nodes other than `generate` (should be 0: the final messages are not re-streamed). */
  otherNodeChunks: number;
  errors: number;
}

function textOf(message: BaseMessage): string {
  return typeof message.content === "string" ? message.content : "";
}

function isStreamTuple(value: unknown): value is [BaseMessage, Record<string, unknown>] {
  return Array.isArray(value) && value.length === 2 && typeof value[1] === "object" && value[1] !== null;
}

export async function runStreaming(syn: SyntheticOllama, profile: ModelProfile, options: StreamingOptions): Promise<StreamingResult> {
  syn.use(profile);
  const graph = benchGraph(syn.url);
  const bare = await bareFor(syn, graph);
  const { callOptions } = bare;
  const expected = syn.answer;
  let otherNodeChunks = 0;
  let errors = 0;

  const runBare = async (): Promise<{ ttft: number; total: number; tokens: number; text: string }> => {
    const t0 = now();
    let ttft = Number.NaN;
    let tokens = 0;
    let text = "";
    for await (const chunk of await bare.model.stream(bare.messages, callOptions)) {
      const t = textOf(chunk);
      if (t === "") continue;
      if (tokens === 0) ttft = now() - t0;
      tokens += 1;
      text += t;
    }
    return { ttft, total: now() - t0, tokens, text };
  };
  const runGraph = async (): Promise<{ ttft: number; total: number; tokens: number; text: string }> => {
    const t0 = now();
    let ttft = Number.NaN;
    let tokens = 0;
    let text = "";
    for await (const item of await graph.stream(INPUT, { streamMode: "messages" })) {
      if (!isStreamTuple(item)) continue;
      const [message, metadata] = item;
      const t = textOf(message);
      if (t === "") continue;
      if (metadata.langgraph_node !== "generate") {
        otherNodeChunks += 1;
        continue;
      }
      if (tokens === 0) ttft = now() - t0;
      tokens += 1;
      text += t;
    }
    return { ttft, total: now() - t0, tokens, text };
  };

  for (let i = 0; i < options.warmup; i += 1) {
    await runBare();
    await runGraph();
  }
  otherNodeChunks = 0;
  await settle();
  const bareRuns: Awaited<ReturnType<typeof runBare>>[] = [];
  const graphRuns: Awaited<ReturnType<typeof runGraph>>[] = [];
  for (let i = 0; i < options.iterations; i += 1) {
    const order = i % 2 === 0 ? [runBare, runGraph] : [runGraph, runBare];
    for (const run of order) {
      try {
        const r = await run();
        (run === runBare ? bareRuns : graphRuns).push(r);
      } catch {
        errors += 1;
      }
    }
  }
  const n = Math.min(bareRuns.length, graphRuns.length);
  const counts = (runs: { tokens: number }[]) => ({ min: Math.min(...runs.map((r) => r.tokens)), max: Math.max(...runs.map((r) => r.tokens)) });
  const allTokensArrived = errors === 0 && bareRuns.every((r) => r.tokens === profile.tokens && r.text === expected) && graphRuns.every((r) => r.tokens === profile.tokens && r.text === expected);
  return {
    profile,
    iterations: options.iterations,
    bareTtft: summarize(bareRuns.map((r) => r.ttft)),
    graphTtft: summarize(graphRuns.map((r) => r.ttft)),
    extraMs: summarize(Array.from({ length: n }, (_, i) => (graphRuns[i]?.ttft ?? 0) - (bareRuns[i]?.ttft ?? 0))),
    bareTotal: summarize(bareRuns.map((r) => r.total)),
    graphTotal: summarize(graphRuns.map((r) => r.total)),
    expectedTokens: profile.tokens,
    bareTokens: counts(bareRuns),
    graphTokens: counts(graphRuns),
    allTokensArrived,
    otherNodeChunks,
    errors,
  };
}

export function streamingJson(r: StreamingResult): Record<string, unknown> {
  return {
    ...r,
    bareTtft: roundSummary(r.bareTtft),
    graphTtft: roundSummary(r.graphTtft),
    extraMs: roundSummary(r.extraMs),
    bareTotal: roundSummary(r.bareTotal),
    graphTotal: roundSummary(r.graphTotal),
  };
}
