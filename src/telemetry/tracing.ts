/**
 * Traces: OpenTelemetry spans through `@opentelemetry/api` (a no-op until the host registers an
 * SDK) and the metadata LangSmith runs carry. LangSmith itself is LangChain's: it traces when
 * `LANGSMITH_TRACING=true` (or `LANGCHAIN_TRACING_V2=true`) and sends nothing otherwise.
 */
import { awaitAllCallbacks } from "@langchain/core/callbacks/promises";
import { trace, type Tracer } from "@opentelemetry/api";
import type { ContextDocument } from "../domain/index.js";
import type { GenerationProfile } from "../domain/profiles.js";

/** The instrumentation scope of our spans. */
export const TRACER_NAME = "bruno-generation";

/** The global tracer (a proxy: spans become real once the host registers a tracer provider). */
export function defaultTracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** Span attribute names (the seed's, plus OpenTelemetry's GenAI ones for generic backends). */
export const SPAN_ATTRIBUTES = {
  model: "model",
  temperature: "temperature",
  promptLength: "prompt.length",
  responseLength: "response.length",
  tokensInput: "tokens.input",
  tokensOutput: "tokens.output",
  tokensTotal: "tokens.total",
  maxTokens: "max_tokens",
  numCtx: "num_ctx",
  documents: "documents.count",
  node: "langgraph.node",
  step: "langgraph.step",
  runId: "bruno.run_id",
  threadId: "bruno.thread_id",
  queryType: "bruno.query_type",
  answerModel: "bruno.model",
  errorType: "error.type",
  genAiSystem: "gen_ai.system",
  genAiOperation: "gen_ai.operation.name",
  genAiRequestModel: "gen_ai.request.model",
  genAiTemperature: "gen_ai.request.temperature",
  genAiInputTokens: "gen_ai.usage.input_tokens",
  genAiOutputTokens: "gen_ai.usage.output_tokens",
} as const;

/** Environment variables any of which, set to "true", turns LangChain's LangSmith tracing on. */
export const LANGSMITH_TRACING_VARIABLES = ["LANGSMITH_TRACING_V2", "LANGCHAIN_TRACING_V2", "LANGSMITH_TRACING", "LANGCHAIN_TRACING"] as const;

/** Whether LangChain will send runs to LangSmith under `env` (its own rule, `isTracingEnabled`). */
export function langSmithTracingEnabled(env: Record<string, string | undefined>): boolean {
  return LANGSMITH_TRACING_VARIABLES.some((name) => env[name] === "true");
}

/** How a document is named in trace metadata: its number, title and source, never its content. */
export function documentLabel(document: ContextDocument, index: number): string {
  const title = document.title ?? "untitled";
  return `[${index + 1}] ${title}${document.source ? ` (${document.source})` : ""}`;
}

export interface ModelCallFacts {
  model: string;
  profile: GenerationProfile;
  numCtx: number;
  seed?: number | undefined;
  /** Position of the model in the fallback chain, from 1. */
  attempt: number;
  repairRound: number;
  /** The documents in the prompt, cited as [1]..[k]. */
  documents: readonly ContextDocument[];
}

/**
 * Run name and metadata of one model call, for LangSmith (and any LangChain tracer): the model,
 * its sampling parameters and the [N] documents by title and source. Token usage comes with
 * the run's output.
 */
export function modelCallTraceConfig(facts: ModelCallFacts): { runName: string; metadata: Record<string, unknown> } {
  const p = facts.profile;
  return {
    runName: `${facts.repairRound > 0 ? "citation repair" : "answer"} (${facts.model})`,
    metadata: {
      model: facts.model,
      temperature: p.temperature,
      top_p: p.topP,
      top_k: p.topK,
      repeat_penalty: p.repeatPenalty,
      max_tokens: p.maxTokens,
      num_ctx: facts.numCtx,
      ...(facts.seed !== undefined ? { seed: facts.seed } : {}),
      attempt: facts.attempt,
      repair_round: facts.repairRound,
      documents: facts.documents.map(documentLabel),
    },
  };
}

/**
 * Waits until LangChain's callbacks have run and LangSmith's pending trace batches are sent
 * (nothing to wait for when tracing is off). Call before a short-lived process exits.
 */
export async function flushTraces(): Promise<void> {
  await awaitAllCallbacks();
}
