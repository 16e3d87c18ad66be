import { formatMarkers, GROUNDING_NOTICE_CODES, streamTurn, type GenerationEvent, type GenerationGraph, type GenerationInput, type GenerationResult } from "../app/index.js";
import { formatSources, formatSummary, formatUnsupported } from "./render.js";

export interface Output {
  write(text: string): void;
}

export interface TurnOptions {
  threadId: string;
  signal: AbortSignal;
  /** What to do when the thread is answering another turn; the setting when unset. */
  strategy?: "enqueue" | "reject" | undefined;
  stdout: Output;
  stderr: Output;
  /** Stream tokens and print sources (false: collect silently, for --json). */
  render: boolean;
}

/**
 * Runs one turn, printing tokens as the generate node streams them, then the sources, the
 * warnings and a summary line. What happened on the way (retries, fallbacks, a restarted answer,
 * the citation repair) comes from the turn's events. Returns the output contract.
 */
export async function runTurn(graph: GenerationGraph, input: GenerationInput, options: TurnOptions): Promise<GenerationResult> {
  const { stdout, stderr, render } = options;
  /** Text of the current answer attempt printed so far. */
  let streamed = "";
  const result = await streamTurn(graph, input, {
    threadId: options.threadId,
    signal: options.signal,
    strategy: options.strategy,
    onToken: (text) => {
      streamed += text;
      if (render) stdout.write(text);
    },
    onEvent: (turnEvent) => {
      const restarts = turnEvent.type === "answer_restart" || turnEvent.type === "repair";
      if (restarts) {
        if (render && streamed) stdout.write("\n");
        streamed = "";
      }
      if (render) {
        const note = describeEvent(turnEvent);
        if (note) stderr.write(`[${note}]\n`);
      }
    },
  });
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
    for (const n of result.notices) if (!unsupported || !GROUNDING_NOTICE_CODES.has(n.code)) stderr.write(`warning: ${n.message}\n`);
    stderr.write(`${formatSummary(result)}\n`);
  }
  return result;
}

/** A one-line notice for what a turn did on the way; undefined for events not worth showing. */
export function describeEvent(event: GenerationEvent): string | undefined {
  switch (event.type) {
    case "retry":
      return `${event.model}: ${event.code}; retry ${event.attempt} in ${(event.delayMs / 1000).toFixed(1)} s`;
    case "fallback":
      return `${event.from} ${event.outcome === "skipped" ? "skipped" : "failed"} (${event.code}); trying ${event.to}`;
    case "skipped":
      return `${event.model} skipped (${event.code})`;
    case "circuit":
      return event.state === "open" ? `circuit for ${event.model} on ${event.host} opened` : undefined;
    case "queued":
      return event.waitMs >= 1000 ? `waited ${(event.waitMs / 1000).toFixed(1)} s for a free slot on ${event.host}` : undefined;
    case "answer_restart":
      if (event.reason === "failover") return `answer restarts: ${event.model} on another host`;
      return event.reason === "retry" ? `answer restarts: retrying ${event.model}` : `answer restarts: falling back to ${event.next}`;
    case "failover":
      return `${event.model} on ${event.from}: ${event.code}; trying ${event.to}`;
    case "repair":
      return `citation ${formatMarkers(event.markers)} points at no document; asking the model to correct it`;
    case "repair_failed":
    case "classified":
    case "model_selected":
    case "prompt_built":
    case "answered":
    case "citations_checked":
    case "grounding":
      return undefined;
  }
}
