import { END, START, StateGraph } from "@langchain/langgraph";
import { createBuildPromptNode } from "../nodes/buildPrompt.js";
import { createClassifyNode } from "../nodes/classify.js";
import { createGenerateNode } from "../nodes/generate.js";
import { createSelectModelNode } from "../nodes/selectModel.js";
import { createValidateCitationsNode } from "../nodes/validateCitations.js";
import { IterableReadableStream } from "@langchain/core/utils/stream";
import { InProcessThreadLock, type ThreadLock } from "../tools/threadLock.js";
import { lazyDeps, type GenerationDeps, type GenerationGraphOptions } from "./deps.js";
import { GenerationInput, GenerationOutput, GenerationState, type GenerationStateType } from "./state.js";

/** The graph's name, as Studio and traces show it. */
export const GRAPH_NAME = "bruno_generation";

/** After generate: a failed model moves to the next one; an answer goes to the citation check. */
export function routeAfterGenerate(state: GenerationStateType): "buildPrompt" | "validateCitations" {
  return state.modelsTried.at(-1)?.outcome === "failed" ? "buildPrompt" : "validateCitations";
}

/** After validateCitations: one repair round when it asked for one, else done. */
export function routeAfterValidate(state: GenerationStateType): "generate" | typeof END {
  return (state.invalidMarkers ?? []).length > 0 ? "generate" : END;
}

function buildWith(deps: () => GenerationDeps) {
  return new StateGraph({ state: GenerationState, input: GenerationInput, output: GenerationOutput })
    .addNode("classify", createClassifyNode(deps))
    .addNode("selectModel", createSelectModelNode(deps))
    .addNode("buildPrompt", createBuildPromptNode(deps))
    .addNode("generate", createGenerateNode(deps))
    .addNode("validateCitations", createValidateCitationsNode(deps))
    .addEdge(START, "classify")
    .addEdge("classify", "selectModel")
    .addEdge("selectModel", "buildPrompt")
    .addEdge("buildPrompt", "generate")
    .addConditionalEdges("generate", routeAfterGenerate, ["buildPrompt", "validateCitations"])
    .addConditionalEdges("validateCitations", routeAfterValidate, ["generate", END]);
}

/** The uncompiled graph; compile it with your own checkpointer, or use `createGenerationGraph`. */
export function buildGenerationGraph(options: GenerationGraphOptions = {}) {
  return buildWith(lazyDeps(options));
}

/**
 * The compiled graph, named, with the checkpointer of `options` (none by default). With a
 * checkpointer, turns on one `thread_id` run one at a time (see `ThreadLock`): a second turn
 * waits for the first, up to `timeouts.threadWaitMs`, then fails with THREAD_BUSY.
 */
export function createGenerationGraph(options: GenerationGraphOptions = {}) {
  const deps = lazyDeps(options);
  const compiled = buildWith(deps).compile({
    ...(options.checkpointer ? { checkpointer: options.checkpointer } : {}),
    name: GRAPH_NAME,
    description: "Answers an SRE question from ranked runbook excerpts with a local Ollama model, citing them as [N].",
  });
  compiled.name = GRAPH_NAME;
  if (options.checkpointer) serializeThreads(compiled, options.threadLock ?? new InProcessThreadLock(), () => deps().config.timeouts.threadWaitMs);
  return compiled;
}

interface Streamable {
  stream(input: never, options?: never): Promise<AsyncIterable<unknown>>;
}

/**
 * Makes every run of `graph` that names a `thread_id` hold that thread's lock until its stream
 * ends (`invoke` runs through `stream`, so it is covered too).
 */
export function serializeThreads<G extends Streamable>(graph: G, lock: ThreadLock, waitMs: () => number): G {
  const original = graph.stream.bind(graph) as (input: unknown, options?: StreamOptions) => Promise<AsyncIterable<unknown>>;
  const locked = async (input: unknown, options?: StreamOptions) => {
    const threadId = options?.configurable?.thread_id;
    if (typeof threadId !== "string" && typeof threadId !== "number") return original(input, options);
    const release = await lock.acquire(String(threadId), { timeoutMs: waitMs(), signal: options?.signal });
    let stream: AsyncIterable<unknown>;
    try {
      stream = await original(input, options);
    } catch (error) {
      release();
      throw error;
    }
    return IterableReadableStream.fromAsyncGenerator(
      (async function* releasing() {
        try {
          yield* stream;
        } finally {
          release();
        }
      })(),
    );
  };
  (graph as { stream: unknown }).stream = locked;
  return graph;
}

interface StreamOptions {
  configurable?: { thread_id?: unknown };
  signal?: AbortSignal;
}

export type GenerationGraph = ReturnType<typeof createGenerationGraph>;
