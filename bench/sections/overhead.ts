/**
 * 1. Overhead: `graph.invoke` vs a bare `ChatOllama.invoke` sending the very same request body
 * (captured from the graph's request to the server and replayed), same server, same process,
 * interleaved iterations in a rotating order.
 */
import type { ChatOllama } from "@langchain/ollama";
import type { BaseMessage } from "@langchain/core/messages";
import { bareChatModel, bodyDifference, benchGraph, chars, cpuMsSince, INPUT, memoryGraph, messagesFromBody, now, settle } from "../lib/fixtures.js";
import { roundSummary, summarize, type Summary } from "../lib/stats.js";
import type { ModelProfile, SyntheticOllama } from "../lib/synthetic.js";
import type { ChatRequestBody } from "../../src/testing/index.js";

export interface OverheadOptions {
  warmup: number;
  iterations: number;
  /** Also run the graph with a MemorySaver (a new thread per turn). */
  withMemorySaver: boolean;
}

export interface OverheadResult {
  profile: ModelProfile;
  iterations: number;
  warmup: number;
  /** Whether the bare client's request body equals the graph's (messages, options, keep_alive, think). */
  sameRequestBody: boolean;
  bodyDifference?: string | undefined;
  promptChars: number;
  promptMessages: number;
  bare: Summary;
  /** The graph without a checkpointer. */
  graph: Summary;
  /** The graph with a MemorySaver, a new thread per turn (so the prompt stays the same). */
  graphMemorySaver: Summary;
  /** Per-iteration graph − bare (paired). */
  extraMs: Summary;
  extraMsMemorySaver: Summary;
  /** Process CPU time per turn (the fake server's share included, the same for every variant). */
  cpuBare: Summary;
  cpuGraph: Summary;
  /** Per-iteration CPU graph − bare (paired). */
  cpuExtraMs: Summary;
  /** Per-iteration graph ÷ bare (paired). */
  ratio: Summary;
  ratioMemorySaver: Summary;
  /** p50(graph) ÷ p50(bare). */
  ratioOfMedians: number;
  /** Requests the server saw during the measured iterations, by path (admin calls are cached: tags for BRUNO_TAGS_TTL_MS, show per process). */
  serverRequests: Record<string, number>;
  errors: number;
}

type Variant = "bare" | "graph" | "graphMemorySaver";

export async function captureGraphRequest(syn: SyntheticOllama, run: () => Promise<unknown>): Promise<ChatRequestBody> {
  const mark = syn.server.requests.length;
  await run();
  const bodies = syn.server.requests
    .slice(mark)
    .filter((r) => r.path === "/api/chat")
    .map((r) => r.body as ChatRequestBody);
  const body = bodies.at(-1);
  if (!body || bodies.length !== 1) throw new Error(`expected exactly one /api/chat request from one graph turn, saw ${bodies.length}`);
  return body;
}

/** A bare client replaying a request, with the call options (`stop`) it needs, checked to send the identical body. */
export interface BareReplay {
  model: ChatOllama;
  messages: BaseMessage[];
  callOptions: { stop?: string[] };
  /** Where the replayed body differs from the graph's, if anywhere. */
  difference: string | undefined;
}

export async function bareReplay(syn: SyntheticOllama, body: ChatRequestBody): Promise<BareReplay> {
  const { model, stop } = bareChatModel(syn.url, body);
  const messages = messagesFromBody(body);
  const callOptions = stop.length > 0 ? { stop } : {};
  const mark = syn.server.requests.length;
  await model.invoke(messages, callOptions);
  const replayed = syn.server.requests.slice(mark).find((r) => r.path === "/api/chat")?.body;
  return { model, messages, callOptions, difference: bodyDifference(body, replayed) };
}

/** One turn of `graph` (its request captured), then a bare client replaying that request. */
export async function bareFor(syn: SyntheticOllama, graph: { invoke(input: typeof INPUT): Promise<unknown> }): Promise<BareReplay & { body: ChatRequestBody }> {
  const body = await captureGraphRequest(syn, () => graph.invoke(INPUT));
  return { ...(await bareReplay(syn, body)), body };
}

export async function runOverhead(syn: SyntheticOllama, profile: ModelProfile, options: OverheadOptions): Promise<OverheadResult> {
  syn.use(profile);
  const graph = benchGraph(syn.url);
  const graphMem = memoryGraph(syn.url);
  const expected = syn.answer;
  let thread = 0;
  let errors = 0;

  const bare = await bareFor(syn, graph);
  const { body, callOptions } = bare;

  const runs: Record<Variant, () => Promise<void>> = {
    bare: async () => {
      const out = await bare.model.invoke(bare.messages, callOptions);
      if (out.content !== expected) errors += 1;
    },
    graph: async () => {
      const out = await graph.invoke(INPUT);
      if (out.model !== body.model || out.answer !== expected) errors += 1;
    },
    graphMemorySaver: async () => {
      thread += 1;
      const out = await graphMem.invoke(INPUT, { configurable: { thread_id: `overhead-${profile.label}-${thread}` } });
      if (out.model !== body.model || out.answer !== expected) errors += 1;
    },
  };
  const order: Variant[] = options.withMemorySaver ? ["bare", "graph", "graphMemorySaver"] : ["bare", "graph"];
  for (let i = 0; i < options.warmup; i += 1) {
    for (const v of order) await runs[v]();
  }
  errors = 0;
  await settle();
  const times: Record<Variant, number[]> = { bare: [], graph: [], graphMemorySaver: [] };
  const cpu: Record<Variant, number[]> = { bare: [], graph: [], graphMemorySaver: [] };
  const mark = syn.server.requests.length;
  for (let i = 0; i < options.iterations; i += 1) {
    // Rotate the order so no variant always runs right after another (caches, GC, timers).
    for (let k = 0; k < order.length; k += 1) {
      const v = order[(i + k) % order.length] as Variant;
      const c0 = process.cpuUsage();
      const t0 = now();
      try {
        await runs[v]();
      } catch {
        errors += 1;
      }
      times[v].push(now() - t0);
      cpu[v].push(cpuMsSince(c0));
    }
  }
  const serverRequests = syn.countRequests(mark);
  const paired = (v: Variant, f: (g: number, b: number) => number) => times[v].map((g, i) => f(g, times.bare[i] as number));
  const bareS = summarize(times.bare);
  const graphS = summarize(times.graph);
  return {
    profile,
    iterations: options.iterations,
    warmup: options.warmup,
    sameRequestBody: bare.difference === undefined,
    bodyDifference: bare.difference,
    promptChars: chars(body),
    promptMessages: body.messages.length,
    bare: bareS,
    graph: graphS,
    graphMemorySaver: summarize(times.graphMemorySaver),
    extraMs: summarize(paired("graph", (g, b) => g - b)),
    cpuBare: summarize(cpu.bare),
    cpuGraph: summarize(cpu.graph),
    cpuExtraMs: summarize(cpu.graph.map((g, i) => g - (cpu.bare[i] as number))),
    extraMsMemorySaver: summarize(paired("graphMemorySaver", (g, b) => g - b)),
    ratio: summarize(paired("graph", (g, b) => g / b)),
    ratioMemorySaver: summarize(paired("graphMemorySaver", (g, b) => g / b)),
    ratioOfMedians: graphS.p50 / bareS.p50,
    serverRequests,
    errors,
  };
}

export function overheadJson(r: OverheadResult): Record<string, unknown> {
  return {
    ...r,
    bare: roundSummary(r.bare),
    graph: roundSummary(r.graph),
    graphMemorySaver: roundSummary(r.graphMemorySaver),
    extraMs: roundSummary(r.extraMs),
    extraMsMemorySaver: roundSummary(r.extraMsMemorySaver),
    cpuBare: roundSummary(r.cpuBare),
    cpuGraph: roundSummary(r.cpuGraph),
    cpuExtraMs: roundSummary(r.cpuExtraMs),
    ratio: roundSummary(r.ratio, 4),
    ratioMemorySaver: roundSummary(r.ratioMemorySaver, 4),
    ratioOfMedians: Math.round(r.ratioOfMedians * 10000) / 10000,
  };
}

export interface ColdStartResult {
  profile: ModelProfile;
  reps: number;
  /** First request after the model was unloaded: bare and graph, paired. */
  bare: Summary;
  graph: Summary;
  extraMs: Summary;
  /** The load delay reported back in `usage.loadMs` by the graph (Ollama's load_duration). */
  graphLoadMs: number;
}

/** A cold model (the synthetic load delay on the first request per model) through the graph and bare. */
export async function runColdStart(syn: SyntheticOllama, profile: ModelProfile, reps: number): Promise<ColdStartResult> {
  syn.use(profile);
  const graph = benchGraph(syn.url);
  const bare = await bareFor(syn, graph);
  const bareTimes: number[] = [];
  const graphTimes: number[] = [];
  let graphLoadMs = 0;
  for (let i = 0; i < reps; i += 1) {
    const order = i % 2 === 0 ? ["bare", "graph"] : ["graph", "bare"];
    for (const v of order) {
      syn.unloadAll();
      const t0 = now();
      if (v === "bare") {
        await bare.model.invoke(bare.messages);
        bareTimes.push(now() - t0);
      } else {
        const out = await graph.invoke(INPUT);
        graphTimes.push(now() - t0);
        graphLoadMs = out.usage.loadMs;
      }
    }
  }
  return {
    profile,
    reps,
    bare: summarize(bareTimes),
    graph: summarize(graphTimes),
    extraMs: summarize(graphTimes.map((g, i) => g - (bareTimes[i] as number))),
    graphLoadMs,
  };
}

export function coldStartJson(r: ColdStartResult): Record<string, unknown> {
  return { ...r, bare: roundSummary(r.bare), graph: roundSummary(r.graph), extraMs: roundSummary(r.extraMs) };
}
