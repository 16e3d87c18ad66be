/**
 * The LangChain callback handler that feeds `Telemetry` from a graph run: node start and end
 * (`metadata.langgraph_node`), model calls with their first token and usage, the graph run
 * itself. Attached to the compiled graph by `createGenerationGraph`.
 */
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { Serialized } from "@langchain/core/load/serializable";
import type { BaseMessage } from "@langchain/core/messages";
import type { LLMResult } from "@langchain/core/outputs";
import type { ChainValues } from "@langchain/core/utils/types";
import type { Logger } from "pino";
import type { RunTracker } from "./runs.js";

/** Where the handler reports to; resolved on the first event, so building a graph stays free. */
export interface CallbackTarget {
  tracker: RunTracker;
  logger: Logger;
}

/**
 * Observes a graph run. It awaits nothing slow, so it runs inline (`awaitHandlers`): metrics
 * are recorded before `invoke` returns, and first-token times are not delayed by a queue.
 * It never throws into the run.
 */
export class TelemetryCallbackHandler extends BaseCallbackHandler {
  name = "bruno_telemetry";
  private readonly target: () => CallbackTarget | undefined;

  constructor(target: () => CallbackTarget | undefined) {
    super({ _awaitHandler: true });
    this.target = target;
  }

  private safely(fn: (target: CallbackTarget) => void): void {
    let target: CallbackTarget | undefined;
    try {
      target = this.target();
      if (target) fn(target);
    } catch (error) {
      target?.logger.debug({ event: "telemetry_error", err: error instanceof Error ? error.message : String(error) }, "telemetry callback failed");
    }
  }

  // LangChain calls chain starts as (chain, inputs, runId, parentRunId, tags, metadata, runType,
  // runName), as its BaseTracer declares; the handler interface's declaration orders them differently.
  override handleChainStart(
    _chain: Serialized,
    inputs: ChainValues,
    runId: string,
    parentRunId?: string,
    tags?: string[],
    metadata?: Record<string, unknown>,
    _runType?: string,
    runName?: string,
  ): void {
    this.safely((t) => t.tracker.chainStart(inputs, runId, parentRunId, tags, metadata, runName));
  }

  override handleChainEnd(outputs: ChainValues, runId: string): void {
    this.safely((t) => t.tracker.chainEnd(outputs, runId, t.logger));
  }

  override handleChainError(error: Error, runId: string): void {
    this.safely((t) => t.tracker.chainError(error, runId, t.logger));
  }

  override handleChatModelStart(
    _llm: Serialized,
    messages: BaseMessage[][],
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
  ): void {
    this.safely((t) => t.tracker.modelStart(messages, runId, parentRunId, extraParams, metadata, t.logger));
  }

  override handleLLMNewToken(token: string, _idx: unknown, runId: string): void {
    this.safely((t) => t.tracker.modelToken(token, runId));
  }

  override handleLLMEnd(output: LLMResult, runId: string): void {
    this.safely((t) => t.tracker.modelEnd(output, runId, t.logger));
  }

  override handleLLMError(error: Error, runId: string): void {
    this.safely((t) => t.tracker.modelError(error, runId));
  }
}
