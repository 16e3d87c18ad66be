import { InProcessThreadLock } from "../runtime/threadLock.js";
import { generationGraphBuilder, GRAPH_NAME, telemetryTarget } from "../graph/graph.js";
import { guardRuns } from "../graph/runGuard.js";
import { lazyDeps, registerGraphDeps, type GenerationGraphOptions } from "./deps.js";

/**
 * The uncompiled graph; compile it with your own checkpointer, or use `createGenerationGraph`.
 * Its nodes report to `options.telemetry` (durations, spans); wrap the compiled graph with
 * `instrumentRuns` for the run-level metrics, spans and log lines too.
 */
export function buildGenerationGraph(options: GenerationGraphOptions = {}) {
  return generationGraphBuilder(lazyDeps(options));
}

/**
 * The compiled graph, named, with the checkpointer of `options` (none by default). With a
 * checkpointer, turns on one `thread_id` run one at a time (see `ThreadLock`): a second turn
 * waits for the first, up to `timeouts.threadWaitMs`, then fails with THREAD_BUSY. A run
 * aborted through its `signal` rejects with `CancelledError`.
 * Its runs, nodes and model calls report to `deps.telemetry` (metrics, spans, log lines).
 */
export function createGenerationGraph(options: GenerationGraphOptions = {}) {
  const deps = lazyDeps(options);
  const checkpointer = options.database?.saver ?? options.checkpointer;
  const threadLock = options.database?.lock ?? options.threadLock;
  const compiled = generationGraphBuilder(deps).compile({
    ...(checkpointer ? { checkpointer } : {}),
    name: GRAPH_NAME,
    description: "Answers an SRE question from ranked runbook excerpts with a local Ollama model, citing them as [N].",
  });
  compiled.name = GRAPH_NAME;
  registerGraphDeps(compiled, deps);
  guardRuns(compiled, {
    lock: checkpointer ? (threadLock ?? new InProcessThreadLock()) : undefined,
    waitMs: () => deps().config.timeouts.threadWaitMs,
    strategy: () => deps().config.threads.strategy,
    telemetry: telemetryTarget(deps),
    name: GRAPH_NAME,
  });
  return compiled;
}

export type GenerationGraph = ReturnType<typeof createGenerationGraph>;
