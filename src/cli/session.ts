import type { AIMessageChunk } from "@langchain/core/messages";
import type { GenerationGraph } from "../app/createGraph.js";
import { toGenerationResult, type GenerationInput, type GenerationResult } from "../domain/index.js";
import { type GenerationStateType, type GenerationUpdate } from "../graph/state.js";
import type { GenerateStreamEvent } from "../domain/events.js";
import { isGroundingWarning } from "../tools/grounding/index.js";
import { formatSources, formatSummary, formatUnsupported } from "./render.js";
import { formatMarkers } from "../tools/citations.js";

export interface Output {
  write(text: string): void;
}

export interface TurnOptions {
  threadId: string;
  signal: AbortSignal;
  stdout: Output;
  stderr: Output;
  /** Stream tokens and print sources (false: collect silently, for --json). */
  render: boolean;
}

type StreamEvent =
  | ["messages", [AIMessageChunk, Record<string, unknown>]]
  | ["updates", Record<string, GenerationUpdate>]
  | ["values", Partial<GenerationStateType>]
  | ["custom", GenerateStreamEvent];

/**
 * Runs one turn, printing tokens as the generate node streams them, then the sources, the
 * warnings and a summary line. Returns the output contract.
 */
export async function runTurn(graph: GenerationGraph, input: GenerationInput, options: TurnOptions): Promise<GenerationResult> {
  const { stdout, stderr, render } = options;
  let last: Partial<GenerationStateType> = {};
  let streamed = "";
  let step: unknown;
  const stream = await graph.stream(input, {
    configurable: { thread_id: options.threadId },
    signal: options.signal,
    streamMode: ["messages", "updates", "values", "custom"],
  });
  for await (const event of stream as AsyncIterable<StreamEvent>) {
    if (event[0] === "values") {
      last = event[1];
    } else if (event[0] === "messages") {
      const [chunk, meta] = event[1];
      if (meta.langgraph_node !== "generate" || typeof chunk.content !== "string" || chunk.content === "") continue;
      if (meta.langgraph_step !== step) {
        step = meta.langgraph_step;
        streamed = "";
      }
      streamed += chunk.content;
      if (render) stdout.write(chunk.content);
    } else if (event[0] === "custom") {
      if (event[1].type === "retry" || event[1].type === "fallback") {
        if (render && streamed) stdout.write("\n");
        streamed = "";
      }
      if (render) {
        const note = describeEvent(event[1]);
        if (note) stderr.write(`[${note}]\n`);
      }
    } else if (render) {
      const update = event[1];
      const repair = update.validateCitations;
      const invalid = repair?.invalidMarkers as number[] | undefined;
      if (repair?.repairRound && invalid && invalid.length > 0) {
        stdout.write("\n");
        stderr.write(`[citation ${formatMarkers(invalid)} points at no document; asking the model to correct it]\n`);
      }
    }
  }
  const result = toGenerationResult(last);
  if (render) {
    if (streamed === "") {
      stdout.write(result.answer);
    } else if (streamed.trim() !== result.answer.trim()) {
      stdout.write(`\n\n[answer with invalid citations removed]\n${result.answer}`);
    }
    stdout.write("\n\n");
    // Unsupported and uncited sentences are shown plainly under the answer, not as warnings.
    const unsupported = formatUnsupported(result);
    if (unsupported) stdout.write(`${unsupported}\n`);
    stdout.write(formatSources(input.documents ?? [], result));
    for (const w of result.warnings) if (!unsupported || !isGroundingWarning(w)) stderr.write(`warning: ${w}\n`);
    stderr.write(`${formatSummary(result)}\n`);
  }
  return result;
}

/** A one-line notice for a retry, fallback or skipped model; undefined for events not worth showing. */
export function describeEvent(event: GenerateStreamEvent): string | undefined {
  switch (event.type) {
    case "retry":
      return `${event.model}: ${event.code}; retry ${event.attempt} in ${(event.delayMs / 1000).toFixed(1)} s`;
    case "fallback":
      return `${event.from} failed (${event.code}); trying ${event.to}`;
    case "skipped":
      return `${event.model} skipped (${event.code})`;
    case "circuit":
      return event.state === "open" ? `circuit for ${event.model} opened` : undefined;
    case "queued":
      return event.waitMs >= 1000 ? `waited ${(event.waitMs / 1000).toFixed(1)} s for a free slot on ${event.host}` : undefined;
  }
}
