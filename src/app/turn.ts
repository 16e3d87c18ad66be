/**
 * One turn of the graph as its callers consume it: the answer's tokens as the generate node
 * streams them, the turn's events (retries, fallbacks, a restarted answer…), and at the end the
 * output contract (`GenerationResult`, what `bruno ask --json` prints and `POST /v1/generate`
 * answers). The CLI and `bruno serve` both run turns through this, so both return the same object.
 */
import type { AIMessageChunk } from "@langchain/core/messages";
import type { ThreadStrategy } from "../config/settings.js";
import { toGenerationResult, type GenerationEvent, type GenerationInput, type GenerationResult } from "../domain/index.js";
import type { GenerationStateType } from "../nodes/state.js";
import type { GenerationGraph } from "./createGraph.js";

export interface TurnOptions {
  threadId: string;
  /** Cancels the turn (the run rejects with CANCELLED; nothing of it is saved). */
  signal: AbortSignal;
  /** What to do when the thread is answering another turn; the setting (`BRUNO_THREAD_STRATEGY`) when unset. */
  strategy?: ThreadStrategy | undefined;
}

export interface TurnHandlers {
  /** A piece of the answer being written (only the generate node's tokens). */
  onToken?(text: string): void;
  /** Something the turn did on the way; `answer_restart` and `repair` mean the tokens so far are replaced. */
  onEvent?(event: GenerationEvent): void;
}

/** A turn that holds its thread and is ready to be read. */
export interface StartedTurn {
  /** Reads the run to its end, calling `handlers`; resolves with the output contract. */
  consume(handlers?: TurnHandlers): Promise<GenerationResult>;
}

type StreamEvent = ["messages", [AIMessageChunk, Record<string, unknown>]] | ["values", Partial<GenerationStateType>] | ["custom", GenerationEvent];

/**
 * Starts a turn: resolves once the thread is this turn's (so THREAD_BUSY, a bad strategy or a
 * cancelled wait reject here, before anything is streamed).
 */
export async function startTurn(graph: GenerationGraph, input: GenerationInput, options: TurnOptions): Promise<StartedTurn> {
  const stream = await graph.stream(input, {
    configurable: { thread_id: options.threadId, ...(options.strategy ? { multitask_strategy: options.strategy } : {}) },
    signal: options.signal,
    streamMode: ["messages", "values", "custom"],
  });
  return {
    async consume(handlers = {}) {
      let last: Partial<GenerationStateType> = {};
      for await (const event of stream as AsyncIterable<StreamEvent>) {
        if (event[0] === "values") {
          last = event[1];
        } else if (event[0] === "messages") {
          const [chunk, meta] = event[1];
          if (meta.langgraph_node !== "generate" || typeof chunk.content !== "string" || chunk.content === "") continue;
          handlers.onToken?.(chunk.content);
        } else {
          handlers.onEvent?.(event[1]);
        }
      }
      return toGenerationResult(last);
    },
  };
}

/** Runs one turn to its end: `startTurn` then `consume`. */
export async function streamTurn(graph: GenerationGraph, input: GenerationInput, options: TurnOptions & TurnHandlers): Promise<GenerationResult> {
  const turn = await startTurn(graph, input, options);
  return turn.consume(options);
}
