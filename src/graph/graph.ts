import { END, START, StateGraph } from "@langchain/langgraph";
import { createBuildPromptNode } from "../nodes/buildPrompt.js";
import { createClassifyNode, fieldPath } from "../nodes/classify.js";
import { createGenerateNode } from "../nodes/generate.js";
import { createSelectModelNode } from "../nodes/selectModel.js";
import { createValidateCitationsNode } from "../nodes/validateCitations.js";
import { IterableReadableStream } from "@langchain/core/utils/stream";
import { CancelledError, InvalidInputError, isBrunoError, isCancelledError } from "../errors.js";
import { InProcessThreadLock, type ThreadLock } from "../tools/threadLock.js";
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { instrumentNode, type TelemetryTarget } from "../telemetry/instrument.js";
import { RUN_ID_KEY } from "../telemetry/runs.js";
import type { Telemetry } from "../telemetry/telemetry.js";
import { lazyDeps, registerGraphDeps, type GenerationDeps, type GenerationGraphOptions } from "./deps.js";
import { GenerationInput, GenerationOutput, GenerationState, type GenerationStateType } from "./state.js";

/** The graph's name, as Studio and traces show it. */
export const GRAPH_NAME = "bruno_generation";

/** After generate: a model that failed or was skipped hands over to the next one; an answer goes to the citation check. */
export function routeAfterGenerate(state: GenerationStateType): "buildPrompt" | "validateCitations" {
  return state.modelsTried.at(-1)?.outcome === "answered" ? "validateCitations" : "buildPrompt";
}

/** After buildPrompt: a prompt built for the current model goes to generate; a model whose window was too small hands over to the next. */
export function routeAfterBuildPrompt(state: GenerationStateType): "generate" | "buildPrompt" {
  return state.promptModel !== undefined && state.promptModel === state.selection?.chain[state.modelIndex ?? 0] ? "generate" : "buildPrompt";
}

/** After validateCitations: one repair round when it asked for one, else done. */
export function routeAfterValidate(state: GenerationStateType): "generate" | typeof END {
  return (state.invalidMarkers ?? []).length > 0 ? "generate" : END;
}

/** Where a graph's nodes and runs report: its deps' telemetry and logger, resolved per call. */
function telemetryTarget(deps: () => GenerationDeps): TelemetryTarget {
  return () => {
    const d = deps();
    return { telemetry: d.telemetry, logger: d.logger };
  };
}

function buildWith(deps: () => GenerationDeps) {
  const target = telemetryTarget(deps);
  return new StateGraph({ state: GenerationState, input: GenerationInput, output: GenerationOutput })
    .addNode("classify", instrumentNode("classify", target, createClassifyNode(deps)))
    .addNode("selectModel", instrumentNode("selectModel", target, createSelectModelNode(deps)))
    .addNode("buildPrompt", instrumentNode("buildPrompt", target, createBuildPromptNode(deps)))
    .addNode("generate", instrumentNode("generate", target, createGenerateNode(deps)))
    .addNode("validateCitations", instrumentNode("validateCitations", target, createValidateCitationsNode(deps)))
    .addEdge(START, "classify")
    .addEdge("classify", "selectModel")
    .addEdge("selectModel", "buildPrompt")
    .addConditionalEdges("buildPrompt", routeAfterBuildPrompt, ["generate", "buildPrompt"])
    .addConditionalEdges("generate", routeAfterGenerate, ["buildPrompt", "validateCitations"])
    .addConditionalEdges("validateCitations", routeAfterValidate, ["generate", END]);
}

/**
 * The uncompiled graph; compile it with your own checkpointer, or use `createGenerationGraph`.
 * Its nodes report to `options.telemetry` (durations, spans); wrap the compiled graph with
 * `instrumentRuns` for the run-level metrics, spans and log lines too.
 */
export function buildGenerationGraph(options: GenerationGraphOptions = {}) {
  return buildWith(lazyDeps(options));
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
  const compiled = buildWith(deps).compile({
    ...(options.checkpointer ? { checkpointer: options.checkpointer } : {}),
    name: GRAPH_NAME,
    description: "Answers an SRE question from ranked runbook excerpts with a local Ollama model, citing them as [N].",
  });
  compiled.name = GRAPH_NAME;
  registerGraphDeps(compiled, deps);
  guardRuns(compiled, {
    lock: options.checkpointer ? (options.threadLock ?? new InProcessThreadLock()) : undefined,
    waitMs: () => deps().config.timeouts.threadWaitMs,
    telemetry: telemetryTarget(deps),
    name: GRAPH_NAME,
  });
  return compiled;
}

/**
 * Reports the runs of a graph compiled by the host (`buildGenerationGraph(options).compile()`)
 * to `telemetry`: run counts and durations by outcome, the run's span (parent of its nodes'),
 * the `run_completed` / `run_failed` log line, and typed run errors (`guardRuns` without a lock).
 */
export function instrumentRuns<G extends Streamable>(graph: G, telemetry: Telemetry, options: { logger?: Logger; name?: string } = {}): G {
  return guardRuns(graph, {
    waitMs: () => 0,
    telemetry: () => ({ telemetry, logger: options.logger ?? telemetry.logger }),
    name: options.name ?? GRAPH_NAME,
  });
}

interface Streamable {
  stream(input: never, options?: never): Promise<AsyncIterable<unknown>>;
}

const SCHEMA_VALIDATION = /^Validation failed for field "([^"]+)": ([\s\S]*)$/;

/**
 * Errors a caller can act on, typed: an abort by the caller as `CancelledError`, and LangGraph's
 * own input-schema rejection (a wrong type for a field) as `InvalidInputError` naming the field.
 */
function typedRunError(error: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted && !isCancelledError(error)) return new CancelledError(undefined, { cause: error });
  const match = error instanceof Error && !isBrunoError(error) ? SCHEMA_VALIDATION.exec(error.message) : null;
  if (match) {
    let detail = match[2] ?? "";
    try {
      const issues = JSON.parse(detail) as { message?: string; path?: (string | number)[] }[];
      const first = issues[0];
      return new InvalidInputError(fieldPath([match[1] ?? "input", ...(first?.path ?? [])]), first?.message ?? detail, { cause: error });
    } catch {
      detail = detail.slice(0, 200);
    }
    return new InvalidInputError(match[1] ?? "input", detail, { cause: error });
  }
  return error;
}

/**
 * How often a run writes checkpoints when its caller does not say (`durability`): once, when the
 * turn ends ("exit"). A turn is short and never resumed half-way (a failed or cancelled turn is
 * asked again), so a checkpoint per step ("async", LangGraph's default) only costs: one write of
 * the whole state per step instead of one per turn. A run nested in a parent graph keeps the
 * parent's setting.
 */
export const DEFAULT_DURABILITY = "exit" as const;

/** The run options with `durability` defaulted, unless the caller or a parent graph chose one. */
export function withDefaultDurability<O extends StreamOptions>(options: O | undefined): O | (O & { durability: typeof DEFAULT_DURABILITY }) | undefined {
  if (options?.durability !== undefined || options?.checkpointDuring !== undefined) return options;
  if (options?.configurable?.["__pregel_durability"] !== undefined) return options;
  return { ...(options ?? ({} as O)), durability: DEFAULT_DURABILITY };
}

/**
 * Wraps `graph.stream` (which `invoke` runs through): a run aborted by the caller rejects with
 * `CancelledError`, and with a `lock`, every run that names a `thread_id` holds that thread's
 * lock until its stream ends, so turns of one thread never interleave. Runs checkpoint once per
 * turn unless told otherwise (`DEFAULT_DURABILITY`).
 */
export function guardRuns<G extends Streamable>(graph: G, options: GuardOptions): G {
  const original = graph.stream.bind(graph) as (input: unknown, options?: StreamOptions) => Promise<AsyncIterable<unknown>>;
  const guarded = async (input: unknown, runOptions?: StreamOptions) => {
    const signal = runOptions?.signal;
    const rawThreadId = runOptions?.configurable?.thread_id;
    const threadId = typeof rawThreadId === "string" || typeof rawThreadId === "number" ? String(rawThreadId) : undefined;
    const release = options.lock && threadId !== undefined ? await options.lock.acquire(threadId, { timeoutMs: options.waitMs(), signal }) : () => undefined;
    const target = options.telemetry?.();
    const runId = typeof runOptions?.runId === "string" ? runOptions.runId : randomUUID();
    const run = target?.telemetry.tracker.startRun({
      runId,
      name: typeof runOptions?.runName === "string" ? runOptions.runName : (options.name ?? GRAPH_NAME),
      threadId,
    });
    const end = (error: unknown) => {
      if (run && target) target.telemetry.tracker.endRun(run, error, target.logger);
    };
    const withRun = run ? { ...runOptions, configurable: { ...runOptions?.configurable, [RUN_ID_KEY]: runId } } : runOptions;
    let stream: AsyncIterable<unknown>;
    try {
      stream = await original(input, withDefaultDurability(withRun));
    } catch (error) {
      release();
      const typed = typedRunError(error, signal);
      end(typed);
      throw typed;
    }
    return IterableReadableStream.fromAsyncGenerator(
      (async function* guardedRun() {
        let outcome: { error: unknown } | undefined;
        try {
          yield* stream;
          outcome = { error: undefined };
        } catch (error) {
          const typed = typedRunError(error, signal);
          outcome = { error: typed };
          throw typed;
        } finally {
          release();
          end(outcome ? outcome.error : new CancelledError("the caller stopped reading the run's stream"));
        }
      })(),
    );
  };
  (graph as { stream: unknown }).stream = guarded;
  return graph;
}

interface GuardOptions {
  /** Serializes the turns of a thread; none without a checkpointer. */
  lock?: ThreadLock | undefined;
  /** How long a turn waits for its thread's previous turn. */
  waitMs: () => number;
  /** Where runs report (metrics, spans, log lines); none when unset. */
  telemetry?: TelemetryTarget;
  /** The run's name in spans, unless the caller gives `runName`. */
  name?: string;
}

interface StreamOptions {
  configurable?: { thread_id?: unknown; [key: string]: unknown };
  signal?: AbortSignal;
  runId?: unknown;
  runName?: unknown;
  durability?: "exit" | "async" | "sync";
  checkpointDuring?: boolean;
}

export type GenerationGraph = ReturnType<typeof createGenerationGraph>;
