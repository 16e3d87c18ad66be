/**
 * Follows the LangChain runs of each graph run (the graph, its nodes, the model calls) as the
 * callback handler reports them, and turns them into metrics, spans and log lines. Nodes find
 * their graph run from their own config (`runInfo`, `nodeSpan`) to log and annotate in context.
 */
import type { BaseMessage } from "@langchain/core/messages";
import type { LLMResult } from "@langchain/core/outputs";
import type { RunnableConfig } from "@langchain/core/runnables";
import { SpanKind, SpanStatusCode, context, trace, type Attributes, type Span, type Tracer } from "@opentelemetry/api";
import type { Logger } from "pino";
import { isBrunoError } from "../errors.js";
import { truncate } from "./logging.js";
import type { BrunoMetrics } from "./metrics.js";
import { SPAN_ATTRIBUTES as A } from "./tracing.js";

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

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

/** The graph run a node belongs to. */
export interface RunInfo {
  /** The graph run's id (LangSmith's trace id, the LangGraph API's run id). */
  runId?: string;
  threadId?: string;
}

interface RootFacts {
  threadId?: string;
  queryType?: string;
  model?: string;
  /** Invalid markers sent to the repair round, to tell repaired from stripped ones. */
  pendingInvalid: number[];
}

interface NodeFacts {
  documentsIn?: number;
  /** The model of the chain this node works for, and the next one. */
  model?: string;
  next?: string;
}

interface ModelFacts {
  model: string;
  firstTokenAt?: number;
}

interface RunRecord {
  id: string;
  parentId?: string;
  rootId: string;
  kind: "root" | "node" | "model" | "other";
  name: string;
  startedAt: number;
  span?: Span;
  root?: RootFacts;
  node?: NodeFacts;
  model?: ModelFacts;
}

/** Most runs followed at once; beyond it the oldest are forgotten (runs whose end never came). */
const MAX_TRACKED_RUNS = 10_000;

function parentRunIdOf(config: RunnableConfig | undefined): string | undefined {
  const callbacks: unknown = config?.callbacks;
  if (isRecord(callbacks) && "getParentRunId" in callbacks && typeof callbacks.getParentRunId === "function") {
    return str(callbacks.getParentRunId());
  }
  return undefined;
}

function messageText(message: BaseMessage): string {
  return typeof message.content === "string" ? message.content : JSON.stringify(message.content);
}

export class RunTracker {
  private readonly runs = new Map<string, RunRecord>();

  constructor(
    private readonly metrics: BrunoMetrics,
    private readonly tracer: Tracer,
  ) {}

  /** Runs currently followed (for tests and leak checks). */
  get size(): number {
    return this.runs.size;
  }

  private ancestor(id: string | undefined, match: (run: RunRecord) => boolean): RunRecord | undefined {
    let run = id ? this.runs.get(id) : undefined;
    for (let depth = 0; run && depth < 64; depth += 1) {
      if (match(run)) return run;
      run = run.parentId ? this.runs.get(run.parentId) : undefined;
    }
    return undefined;
  }

  private contextOf(parentId: string | undefined) {
    const parent = this.ancestor(parentId, (r) => r.span !== undefined);
    return parent?.span ? trace.setSpan(context.active(), parent.span) : context.active();
  }

  private add(run: RunRecord): void {
    if (this.runs.size >= MAX_TRACKED_RUNS) {
      const oldest = this.runs.keys().next().value;
      if (oldest !== undefined) this.runs.delete(oldest);
    }
    this.runs.set(run.id, run);
  }

  /** The graph run of a node, from the node's config. */
  runInfo(config: RunnableConfig | undefined): RunInfo {
    const root = this.ancestor(parentRunIdOf(config), (r) => r.kind === "root");
    const threadId = root?.root?.threadId ?? str(config?.configurable?.thread_id);
    return { ...(root ? { runId: root.id } : {}), ...(threadId !== undefined ? { threadId } : {}) };
  }

  /** The span of the node whose config this is, if it is being traced. */
  nodeSpan(config: RunnableConfig | undefined): Span | undefined {
    return this.ancestor(parentRunIdOf(config), (r) => r.kind === "node")?.span;
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

  chainStart(inputs: unknown, runId: string, parentRunId: string | undefined, tags: string[] | undefined, metadata: Json | undefined, runName: string | undefined): void {
    const parent = parentRunId ? this.runs.get(parentRunId) : undefined;
    const name = runName ?? "graph";
    if (!parent) {
      // The first run this handler sees: the graph itself (or the graph as a parent's subgraph node).
      const threadId = str(metadata?.thread_id);
      const attributes: Attributes = { [A.runId]: runId, ...(threadId !== undefined ? { [A.threadId]: threadId } : {}) };
      const span = this.tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes }, context.active());
      this.add({ id: runId, rootId: runId, kind: "root", name, startedAt: now(), span, root: { ...(threadId !== undefined ? { threadId } : {}), pendingInvalid: [] } });
      return;
    }
    const hidden = tags?.includes("langsmith:hidden") ?? false;
    const isNode = parent.kind === "root" && !hidden && metadata?.langgraph_node === runName;
    if (!isNode) {
      this.add({ id: runId, parentId: parent.id, rootId: parent.rootId, kind: "other", name, startedAt: now() });
      return;
    }
    const state = isRecord(inputs) ? inputs : {};
    const selection = isRecord(state.selection) ? state.selection : {};
    const chain = Array.isArray(selection.chain) ? selection.chain : [];
    const index = num(state.modelIndex) ?? 0;
    const model = str(chain[index]);
    const next = str(chain[index + 1]);
    const documentsIn = Array.isArray(state.documents) ? state.documents.length : undefined;
    const step = num(metadata?.langgraph_step);
    const span = this.tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes: { [A.node]: name, ...(step !== undefined ? { [A.step]: step } : {}) } }, this.contextOf(parent.id));
    this.add({
      id: runId,
      parentId: parent.id,
      rootId: parent.rootId,
      kind: "node",
      name,
      startedAt: now(),
      span,
      node: { ...(documentsIn !== undefined ? { documentsIn } : {}), ...(model !== undefined ? { model } : {}), ...(next !== undefined ? { next } : {}) },
    });
  }

  chainEnd(outputs: unknown, runId: string, logger: Logger): void {
    const run = this.runs.get(runId);
    if (!run) return;
    if (run.kind === "root") return this.finishRoot(run, isRecord(outputs) ? outputs : {}, undefined, logger);
    this.runs.delete(runId);
    if (run.kind !== "node") return;
    this.metrics.nodeDuration.observe({ node: run.name }, (now() - run.startedAt) / 1000);
    this.observeNodeUpdate(run, isRecord(outputs) ? outputs : {}, logger);
    run.span?.end();
  }

  chainError(error: unknown, runId: string, logger: Logger): void {
    const run = this.runs.get(runId);
    if (!run) return;
    if (run.kind === "root") return this.finishRoot(run, {}, error, logger);
    this.runs.delete(runId);
    if (run.kind !== "node") return;
    this.metrics.nodeDuration.observe({ node: run.name }, (now() - run.startedAt) / 1000);
    failSpan(run.span, error);
  }

  /** What the nodes' updates tell: query type, documents dropped, citations fixed or removed. */
  private observeNodeUpdate(run: RunRecord, update: Json, logger: Logger): void {
    const root = this.runs.get(run.rootId)?.root;
    switch (run.name) {
      case "classify": {
        const queryType = str(update.queryType);
        if (root && queryType !== undefined) root.queryType = queryType;
        if (queryType !== undefined) this.runs.get(run.rootId)?.span?.setAttribute(A.queryType, queryType);
        break;
      }
      case "buildPrompt": {
        // A model whose context window cannot hold the question hands over to the next one here,
        // without reaching generate (which reports the other fallbacks itself).
        const skipped = isRecord(update.modelsTried) ? update.modelsTried : undefined;
        if (skipped?.outcome === "skipped" && run.node?.model !== undefined && run.node.next !== undefined) {
          const reason = str(skipped.code) ?? "UNKNOWN";
          const { model: from, next: to } = run.node;
          this.metrics.fallbacks.inc({ from, to, reason });
          run.span?.addEvent("fallback", { from, to, reason });
          logger.child({ ...this.runFields(this.runs.get(run.rootId)), model: from }).warn({ event: "fallback", from, to, reason }, "primary failed, using fallback");
          break;
        }
        const used = num(update.documentsUsed);
        const given = run.node?.documentsIn;
        if (used !== undefined && given !== undefined && given > used) {
          this.metrics.documentsDropped.inc({ model: run.node?.model ?? "unknown" }, given - used);
          run.span?.setAttribute("documents.dropped", given - used);
        }
        if (used !== undefined) run.span?.setAttribute(A.documents, used);
        break;
      }
      case "generate": {
        const generation = isRecord(update.generation) ? update.generation : undefined;
        const model = str(generation?.model);
        if (root && model !== undefined) root.model = model;
        break;
      }
      case "validateCitations": {
        const markers = Array.isArray(update.invalidMarkers) ? update.invalidMarkers.filter((n): n is number => typeof n === "number") : [];
        if (markers.length > 0 && update.repairRound !== undefined) {
          // First check: out-of-range markers, sent to the repair round.
          this.metrics.citations.inc({ outcome: "invalid" }, markers.length);
          if (root) root.pendingInvalid = markers;
          run.span?.addEvent("citations.invalid", { markers: markers.join(",") });
          break;
        }
        if (!Array.isArray(update.citations)) break;
        const stripped = [...new Set(update.citations.filter((c): c is Json => isRecord(c) && c.valid === false).map((c) => num(c.index) ?? 0))];
        const pending = root?.pendingInvalid ?? [];
        const fresh = stripped.filter((n) => !pending.includes(n));
        const repaired = pending.filter((n) => !stripped.includes(n));
        if (fresh.length > 0) this.metrics.citations.inc({ outcome: "invalid" }, fresh.length);
        if (repaired.length > 0) this.metrics.citations.inc({ outcome: "repaired" }, repaired.length);
        if (stripped.length > 0) {
          this.metrics.citations.inc({ outcome: "stripped" }, stripped.length);
          run.span?.addEvent("citations.stripped", { markers: stripped.join(",") });
        }
        if (root) root.pendingInvalid = [];
        break;
      }
    }
  }

  private finishRoot(run: RunRecord, output: Json, error: unknown, logger: Logger): void {
    const facts = run.root ?? { pendingInvalid: [] };
    const queryType = facts.queryType ?? str(output.queryType) ?? "unknown";
    const model = facts.model ?? str(output.model);
    if (model !== undefined) facts.model = model;
    const type = error === undefined ? "none" : errorType(error);
    const outcome = error === undefined ? "answered" : type === "CANCELLED" ? "cancelled" : "failed";
    const seconds = (now() - run.startedAt) / 1000;
    this.metrics.runs.inc({ query_type: queryType, outcome, error_type: type });
    this.metrics.runDuration.observe({ query_type: queryType, outcome }, seconds);
    const log = logger.child(this.runFields(run));
    const durationMs = Math.round(seconds * 1000);
    if (error === undefined) {
      const usage = isRecord(output.usage) ? output.usage : {};
      log.info({ event: "run_completed", durationMs, inputTokens: num(usage.inputTokens), outputTokens: num(usage.outputTokens) }, "run completed");
      if (model !== undefined) run.span?.setAttribute(A.answerModel, model);
      run.span?.setAttribute(A.queryType, queryType);
      run.span?.end();
    } else {
      (outcome === "cancelled" ? log.info.bind(log) : log.warn.bind(log))({ event: outcome === "cancelled" ? "run_cancelled" : "run_failed", durationMs, code: type, err: errorMessage(error) }, outcome === "cancelled" ? "run cancelled" : "run failed");
      failSpan(run.span, error);
    }
    for (const [id, other] of this.runs) if (other.rootId === run.id) this.runs.delete(id);
    this.runs.delete(run.id);
  }

  modelStart(messages: BaseMessage[][], runId: string, parentRunId: string | undefined, extraParams: Json | undefined, metadata: Json | undefined, logger: Logger): void {
    const parent = parentRunId ? this.runs.get(parentRunId) : undefined;
    if (!parent) return;
    const params = isRecord(extraParams?.invocation_params) ? extraParams.invocation_params : {};
    const options = isRecord(params.options) ? params.options : {};
    const model = str(metadata?.ls_model_name) ?? str(params.model) ?? "unknown";
    const temperature = num(metadata?.ls_temperature) ?? num(options.temperature) ?? num(params.temperature);
    const maxTokens = num(metadata?.ls_max_tokens) ?? num(options.num_predict);
    const numCtx = num(options.num_ctx) ?? num(metadata?.num_ctx);
    const documents = Array.isArray(metadata?.documents) ? metadata.documents.length : undefined;
    const prompt = messages[0] ?? [];
    const promptLength = prompt.reduce((n, m) => n + messageText(m).length, 0);
    const attributes: Attributes = {
      [A.model]: model,
      [A.promptLength]: promptLength,
      [A.genAiSystem]: "ollama",
      [A.genAiOperation]: "chat",
      [A.genAiRequestModel]: model,
      ...(temperature !== undefined ? { [A.temperature]: temperature, [A.genAiTemperature]: temperature } : {}),
      ...(maxTokens !== undefined ? { [A.maxTokens]: maxTokens } : {}),
      ...(numCtx !== undefined ? { [A.numCtx]: numCtx } : {}),
      ...(documents !== undefined ? { [A.documents]: documents } : {}),
    };
    const span = this.tracer.startSpan(`chat ${model}`, { kind: SpanKind.CLIENT, attributes }, this.contextOf(parent.id));
    this.add({ id: runId, parentId: parent.id, rootId: parent.rootId, kind: "model", name: model, startedAt: now(), span, model: { model } });
    if (logger.isLevelEnabled("debug")) {
      const root = this.runs.get(parent.rootId);
      logger.child({ ...this.runFields(root), model }).debug(
        { event: "model_request", promptLength, messages: prompt.map((m) => ({ role: m.getType(), content: truncate(messageText(m)) })) },
        "model request",
      );
    }
  }

  modelToken(token: string, runId: string): void {
    const run = this.runs.get(runId);
    if (!run?.model || run.model.firstTokenAt !== undefined || token === "") return;
    run.model.firstTokenAt = now();
    const seconds = (run.model.firstTokenAt - run.startedAt) / 1000;
    this.metrics.timeToFirstToken.observe({ model: run.model.model }, seconds);
    run.span?.addEvent("first_token", { "time_to_first_token_ms": Math.round(seconds * 1000) });
  }

  modelEnd(output: LLMResult, runId: string, logger: Logger): void {
    const run = this.runs.get(runId);
    if (!run?.model) return;
    this.runs.delete(runId);
    const generation: unknown = output.generations[0]?.[0];
    const text = isRecord(generation) ? (str(generation.text) ?? "") : "";
    const message = isRecord(generation) && isRecord(generation.message) ? generation.message : {};
    const usage = isRecord(message.usage_metadata) ? message.usage_metadata : {};
    const legacy = isRecord(output.llmOutput?.tokenUsage) ? output.llmOutput.tokenUsage : {};
    const input = num(usage.input_tokens) ?? num(legacy.promptTokens);
    const outputTokens = num(usage.output_tokens) ?? num(legacy.completionTokens);
    const span = run.span;
    span?.setAttribute(A.responseLength, text.length);
    if (input !== undefined) span?.setAttributes({ [A.tokensInput]: input, [A.genAiInputTokens]: input });
    if (outputTokens !== undefined) span?.setAttributes({ [A.tokensOutput]: outputTokens, [A.genAiOutputTokens]: outputTokens });
    if (input !== undefined && outputTokens !== undefined) span?.setAttribute(A.tokensTotal, input + outputTokens);
    span?.setStatus({ code: SpanStatusCode.OK });
    span?.end();
    if (logger.isLevelEnabled("debug")) {
      logger.child({ ...this.runFields(this.runs.get(run.rootId)), model: run.model.model }).debug(
        { event: "model_response", responseLength: text.length, answer: truncate(text), inputTokens: input, outputTokens },
        "model response",
      );
    }
  }

  modelError(error: unknown, runId: string): void {
    const run = this.runs.get(runId);
    if (!run) return;
    this.runs.delete(runId);
    // The client's own error (e.g. ResponseError) before the node maps it to a code.
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
