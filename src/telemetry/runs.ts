/**
 * Follows each graph run (the run, its nodes, the model calls) and turns it into metrics, spans
 * and log lines. The run wrapper (`instrumentRuns`), the node wrapper (`instrumentNode`) and the
 * generate node report to it directly, without LangChain callbacks: a callback in a run's config
 * makes every runnable of the run build run managers, which costs more than the graph's nodes.
 * Nodes find their run from their config (`RUN_ID_KEY`) to log and annotate in context.
 */
import type { BaseMessage } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import { SpanKind, SpanStatusCode, context, trace, type Attributes, type Span, type Tracer } from "@opentelemetry/api";
import type { Logger } from "pino";
import { isBrunoError } from "../domain/errors.js";
import type { GenerationEvent } from "../domain/events.js";
import { messageText } from "../tools/usage.js";
import { truncate } from "./logging.js";
import type { BrunoMetrics } from "./metrics.js";
import { SPAN_ATTRIBUTES as A } from "./tracing.js";

type Json = Record<string, unknown>;

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function now(): number {
  return performance.now();
}

/**
 * A bounded label for an error: its BrunoError code, CANCELLED for aborts (LangGraph's runner
 * rejects a run whose signal fired with `Error("Abort")`), else UNKNOWN.
 */
export function errorType(error: unknown): string {
  if (isBrunoError(error)) return error.code;
  if (error instanceof Error && (error.name === "AbortError" || error.name === "CancelledError" || (error.name === "Error" && error.message === "Abort"))) return "CANCELLED";
  return "UNKNOWN";
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The `configurable` key that carries a run's id to its nodes (a string: configs get copied and shown). */
export const RUN_ID_KEY = "__bruno_run_id";

/** The graph run a node belongs to. */
export interface RunInfo {
  /** The graph run's id (the caller's `runId`, e.g. the LangGraph API's run id, or a fresh UUID). */
  runId?: string;
  threadId?: string;
}

interface RootFacts {
  threadId?: string;
  queryType?: string;
  model?: string;
  inputTokens: number;
  outputTokens: number;
  /** The node running now, by name (the graph runs one node at a time). */
  nodes: Map<string, RunRecord>;
}

interface ModelFacts {
  model: string;
  /** The server's printable address (the `host` label). */
  host: string;
  firstTokenAt?: number;
}

/** One followed run: the graph run (`root`), a node execution (`node`) or a model call (`model`). */
interface RunRecord {
  /** The graph run's id; for a node or a model call, a label within its run. */
  id: string;
  rootId?: string;
  name: string;
  startedAt: number;
  span?: Span;
  root?: RootFacts;
  model?: ModelFacts;
}

/** Most graph runs followed at once; beyond it the oldest are forgotten (runs whose end never came). */
const MAX_TRACKED_RUNS = 10_000;

/** The run id a node's config carries, if its run is followed. */
function runIdOf(config: RunnableConfig | undefined): string | undefined {
  return str(config?.configurable?.[RUN_ID_KEY]);
}

/** What a model call is: its model, request settings and prompt. */
export interface ModelCallStart {
  model: string;
  /** The server the call goes to, as printed (never credentials); a bounded metric label. */
  host?: string | undefined;
  messages: readonly BaseMessage[];
  temperature?: number | undefined;
  maxTokens?: number | undefined;
  numCtx?: number | undefined;
  documents?: number | undefined;
}

/** How a model call ended. */
export interface ModelCallEnd {
  text: string;
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
}

export class RunTracker {
  private readonly runs = new Map<string, RunRecord>();

  constructor(
    private readonly metrics: BrunoMetrics,
    private readonly tracer: Tracer,
  ) {}

  /** Runs and model calls currently followed (for tests and leak checks). */
  get size(): number {
    let n = this.runs.size;
    for (const run of this.runs.values()) n += run.root?.nodes.size ?? 0;
    return n + this.openModelCalls;
  }

  private openModelCalls = 0;

  /** The graph run of a node, from the node's config. */
  runInfo(config: RunnableConfig | undefined): RunInfo {
    const runId = runIdOf(config);
    const root = runId !== undefined ? this.runs.get(runId) : undefined;
    const threadId = root?.root?.threadId ?? str(config?.configurable?.thread_id);
    return { ...(root ? { runId: root.id } : {}), ...(threadId !== undefined ? { threadId } : {}) };
  }

  /** The node running under `config` (its span and facts), if its run is followed. */
  nodeOf(config: RunnableConfig | undefined): RunRecord | undefined {
    const runId = runIdOf(config);
    const name = str(config?.metadata?.langgraph_node);
    if (runId === undefined || name === undefined) return undefined;
    return this.runs.get(runId)?.root?.nodes.get(name);
  }

  /** The span of the node whose config this is, if it is being traced. */
  nodeSpan(config: RunnableConfig | undefined): Span | undefined {
    return this.nodeOf(config)?.span;
  }

  /** Logger fields of a graph run. */
  private runFields(root: RunRecord | undefined): Json {
    const facts = root?.root;
    return {
      ...(root ? { runId: root.id } : {}),
      ...(facts?.threadId !== undefined ? { threadId: facts.threadId } : {}),
      ...(facts?.model !== undefined ? { model: facts.model } : {}),
      ...(facts?.queryType !== undefined ? { queryType: facts.queryType } : {}),
    };
  }

  /** A graph run starts (the graph itself, or the graph as a parent graph's node). */
  startRun(options: { runId: string; name: string; threadId?: string | undefined }): RunRecord {
    const { runId, name, threadId } = options;
    const attributes: Attributes = { [A.runId]: runId, ...(threadId !== undefined ? { [A.threadId]: threadId } : {}) };
    const span = this.tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes }, context.active());
    const run: RunRecord = {
      id: runId,
      name,
      startedAt: now(),
      span,
      root: { ...(threadId !== undefined ? { threadId } : {}), inputTokens: 0, outputTokens: 0, nodes: new Map() },
    };
    if (this.runs.size >= MAX_TRACKED_RUNS) {
      const oldest = this.runs.keys().next().value;
      if (oldest !== undefined) this.runs.delete(oldest);
    }
    this.runs.set(runId, run);
    return run;
  }

  /** A node starts. Without a followed run it still gets its duration metric. */
  startNode(config: RunnableConfig | undefined, name: string): RunRecord {
    const runId = runIdOf(config);
    const root = runId !== undefined ? this.runs.get(runId) : undefined;
    const step = num(config?.metadata?.langgraph_step);
    const parent = root?.span ? trace.setSpan(context.active(), root.span) : context.active();
    const span = this.tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes: { [A.node]: name, ...(step !== undefined ? { [A.step]: step } : {}) } }, parent);
    const node: RunRecord = {
      id: `${runId ?? "-"}:${name}`,
      ...(root ? { rootId: root.id } : {}),
      name,
      startedAt: now(),
      span,
    };
    root?.root?.nodes.set(name, node);
    return node;
  }

  /** A node returned. */
  endNode(node: RunRecord): void {
    this.closeNode(node);
    node.span?.end();
  }

  /** A node threw. */
  failNode(node: RunRecord, error: unknown): void {
    this.closeNode(node);
    failSpan(node.span, error);
  }

  /** Records the node's duration and stops following it. */
  private closeNode(node: RunRecord): void {
    this.metrics.nodeDuration.observe({ node: node.name }, (now() - node.startedAt) / 1000);
    const nodes = node.rootId !== undefined ? this.runs.get(node.rootId)?.root?.nodes : undefined;
    if (nodes?.get(node.name) === node) nodes.delete(node.name);
  }

  /**
   * What a node reported (see `GenerationEvent`): the run's query type and answering model,
   * tokens, documents dropped, citations repaired or removed; span events of the node.
   */
  recordEvent(config: RunnableConfig | undefined, event: GenerationEvent): void {
    const node = this.nodeOf(config);
    const rootRun = node?.rootId !== undefined ? this.runs.get(node.rootId) : undefined;
    const root = rootRun?.root;
    const span = node?.span;
    switch (event.type) {
      case "classified":
        if (root) root.queryType = event.queryType;
        rootRun?.span?.setAttribute(A.queryType, event.queryType);
        break;
      case "prompt_built":
        if (event.droppedDocuments > 0) {
          this.metrics.documentsDropped.inc({ model: event.model }, event.droppedDocuments);
          span?.setAttribute("documents.dropped", event.droppedDocuments);
        }
        span?.setAttribute(A.documents, event.documents);
        break;
      case "answered":
        if (root) {
          root.model = event.model;
          root.inputTokens += event.usage.inputTokens;
          root.outputTokens += event.usage.outputTokens;
        }
        break;
      case "repair":
        this.metrics.citations.inc({ outcome: "invalid" }, event.markers.length);
        span?.addEvent("citations.invalid", { markers: event.markers.join(",") });
        break;
      case "citations_checked":
        if (event.newlyInvalid.length > 0) this.metrics.citations.inc({ outcome: "invalid" }, event.newlyInvalid.length);
        if (event.repaired.length > 0) this.metrics.citations.inc({ outcome: "repaired" }, event.repaired.length);
        if (event.stripped.length > 0) {
          this.metrics.citations.inc({ outcome: "stripped" }, event.stripped.length);
          span?.addEvent("citations.stripped", { markers: event.stripped.join(",") });
        }
        break;
      case "fallback":
        this.metrics.fallbacks.inc({ from: event.from, to: event.to, reason: event.code });
        span?.addEvent("fallback", { from: event.from, to: event.to, reason: event.code });
        break;
      case "failover":
        this.metrics.failovers.inc({ model: event.model, from: event.from, to: event.to, reason: event.code });
        span?.addEvent("failover", { model: event.model, from: event.from, to: event.to, reason: event.code });
        break;
      case "skipped":
        span?.addEvent("skipped", { model: event.model, reason: event.code });
        break;
      case "retry":
        span?.addEvent("retry", { model: event.model, attempt: event.attempt, delay_ms: event.delayMs, "error.type": event.code });
        break;
      case "queued":
        span?.addEvent("queued", { wait_ms: event.waitMs });
        break;
      case "circuit":
        span?.addEvent("circuit", { model: event.model, state: event.state });
        break;
      case "answer_restart":
        span?.addEvent("answer_restart", { model: event.model, next: event.next, reason: event.reason });
        break;
      case "repair_failed":
        span?.addEvent("repair_failed", { "error.type": event.code });
        break;
      case "model_selected":
      case "grounding":
        break;
    }
  }

  /** The run ended: answered when `error` is undefined, else failed or cancelled. */
  endRun(run: RunRecord, error: unknown, logger: Logger): void {
    if (this.runs.get(run.id) !== run) return;
    this.runs.delete(run.id);
    const facts = run.root ?? { inputTokens: 0, outputTokens: 0, nodes: new Map<string, RunRecord>() };
    for (const node of facts.nodes.values()) failSpan(node.span, error ?? new Error("the run ended while the node ran"));
    facts.nodes.clear();
    const queryType = facts.queryType ?? "unknown";
    const type = error === undefined ? "none" : errorType(error);
    const outcome = error === undefined ? "answered" : type === "CANCELLED" ? "cancelled" : "failed";
    const seconds = (now() - run.startedAt) / 1000;
    this.metrics.runs.inc({ query_type: queryType, outcome, error_type: type });
    this.metrics.runDuration.observe({ query_type: queryType, outcome }, seconds);
    const log = logger.child(this.runFields(run));
    const durationMs = Math.round(seconds * 1000);
    if (error === undefined) {
      log.info({ event: "run_completed", durationMs, inputTokens: facts.inputTokens, outputTokens: facts.outputTokens }, "run completed");
      if (facts.model !== undefined) run.span?.setAttribute(A.answerModel, facts.model);
      run.span?.setAttribute(A.queryType, queryType);
      run.span?.end();
    } else {
      (outcome === "cancelled" ? log.info.bind(log) : log.warn.bind(log))(
        { event: outcome === "cancelled" ? "run_cancelled" : "run_failed", durationMs, code: type, err: errorMessage(error) },
        outcome === "cancelled" ? "run cancelled" : "run failed",
      );
      failSpan(run.span, error);
    }
  }

  /** A model call (one attempt) starts under the node of `config`. */
  startModelCall(config: RunnableConfig | undefined, call: ModelCallStart, logger: Logger): RunRecord {
    const node = this.nodeOf(config);
    const root = node?.rootId !== undefined ? this.runs.get(node.rootId) : undefined;
    const promptLength = call.messages.reduce((n, m) => n + messageText(m).length, 0);
    const attributes: Attributes = {
      [A.model]: call.model,
      [A.promptLength]: promptLength,
      [A.genAiSystem]: "ollama",
      [A.genAiOperation]: "chat",
      [A.genAiRequestModel]: call.model,
      ...(call.temperature !== undefined ? { [A.temperature]: call.temperature, [A.genAiTemperature]: call.temperature } : {}),
      ...(call.maxTokens !== undefined ? { [A.maxTokens]: call.maxTokens } : {}),
      ...(call.numCtx !== undefined ? { [A.numCtx]: call.numCtx } : {}),
      ...(call.documents !== undefined ? { [A.documents]: call.documents } : {}),
    };
    const parent = node?.span ? trace.setSpan(context.active(), node.span) : context.active();
    const span = this.tracer.startSpan(`chat ${call.model}`, { kind: SpanKind.CLIENT, attributes }, parent);
    this.openModelCalls += 1;
    const run: RunRecord = { id: `${node?.id ?? "-"}:model`, ...(root ? { rootId: root.id } : {}), name: call.model, startedAt: now(), span, model: { model: call.model, host: call.host ?? "" } };
    if (logger.isLevelEnabled("debug")) {
      logger
        .child({ ...this.runFields(root), model: call.model })
        .debug({ event: "model_request", promptLength, messages: call.messages.map((m) => ({ role: m.getType(), content: truncate(messageText(m)) })) }, "model request");
    }
    return run;
  }

  /** A chunk with text arrived; the first one is the time to first token. */
  modelToken(run: RunRecord): void {
    if (!run.model || run.model.firstTokenAt !== undefined) return;
    run.model.firstTokenAt = now();
    const seconds = (run.model.firstTokenAt - run.startedAt) / 1000;
    this.metrics.timeToFirstToken.observe({ model: run.model.model, host: run.model.host }, seconds);
    run.span?.addEvent("first_token", { time_to_first_token_ms: Math.round(seconds * 1000) });
  }

  /** The model call answered. */
  endModelCall(run: RunRecord, result: ModelCallEnd, logger: Logger): void {
    if (!run.model) return;
    this.openModelCalls -= 1;
    const { inputTokens: input, outputTokens } = result;
    const span = run.span;
    span?.setAttribute(A.responseLength, result.text.length);
    if (input !== undefined) span?.setAttributes({ [A.tokensInput]: input, [A.genAiInputTokens]: input });
    if (outputTokens !== undefined) span?.setAttributes({ [A.tokensOutput]: outputTokens, [A.genAiOutputTokens]: outputTokens });
    if (input !== undefined && outputTokens !== undefined) span?.setAttribute(A.tokensTotal, input + outputTokens);
    span?.setStatus({ code: SpanStatusCode.OK });
    span?.end();
    run.model = undefined;
    if (logger.isLevelEnabled("debug")) {
      const root = run.rootId !== undefined ? this.runs.get(run.rootId) : undefined;
      logger
        .child({ ...this.runFields(root), model: run.name })
        .debug({ event: "model_response", responseLength: result.text.length, answer: truncate(result.text), inputTokens: input, outputTokens }, "model response");
    }
  }

  /** The model call failed; the span's `error.type` is the client's own error (e.g. ResponseError), before the node maps it to a code. */
  failModelCall(run: RunRecord, error: unknown): void {
    if (!run.model) return;
    this.openModelCalls -= 1;
    run.model = undefined;
    failSpan(run.span, error, isBrunoError(error) || !(error instanceof Error) ? errorType(error) : error.name);
  }
}

function failSpan(span: Span | undefined, error: unknown, type = errorType(error)): void {
  if (!span) return;
  span.setAttribute(A.errorType, type);
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
  span.end();
}
