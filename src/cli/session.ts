import type { AIMessageChunk } from "@langchain/core/messages";
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { MemorySaver } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { BrunoConfig } from "../config.js";
import { ConfigError } from "../errors.js";
import type { GenerationGraph } from "../graph/graph.js";
import { toGenerationResult, type GenerationInput, type GenerationResult, type GenerationStateType, type GenerationUpdate, type ModelAttempt } from "../graph/state.js";
import { formatSources, formatSummary } from "./render.js";

/** MemorySaver, or a SQLite file when `--db` / `BRUNO_DB` names one. */
export function openCheckpointer(config: BrunoConfig): BaseCheckpointSaver {
  if (!config.dbPath) return new MemorySaver();
  try {
    mkdirSync(dirname(config.dbPath), { recursive: true });
    return SqliteSaver.fromConnString(config.dbPath);
  } catch (cause) {
    throw new ConfigError(`cannot open the conversation database '${config.dbPath}' (--db / BRUNO_DB): ${(cause as Error).message}`, { cause });
  }
}

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
  | ["values", Partial<GenerationStateType>];

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
    streamMode: ["messages", "updates", "values"],
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
    } else if (render) {
      const update = event[1];
      const gen = update.generate;
      const attempt = gen?.modelsTried as ModelAttempt | ModelAttempt[] | undefined;
      const failed = Array.isArray(attempt) ? attempt.at(-1) : attempt;
      if (failed?.outcome === "failed") {
        if (streamed) stdout.write("\n");
        stderr.write(`[${failed.model} failed: ${failed.code}; trying the next model]\n`);
      }
      const repair = update.validateCitations;
      const invalid = repair?.invalidMarkers as number[] | undefined;
      if (repair?.repairRound && invalid && invalid.length > 0) {
        stdout.write("\n");
        stderr.write(`[citation ${invalid.map((n) => `[${n}]`).join(", ")} points at no document; asking the model to correct it]\n`);
      }
    }
  }
  const result = toGenerationResult(last);
  if (render) {
    if (streamed.trim() !== result.answer.trim()) {
      stdout.write(`\n\n[answer with invalid citations removed]\n${result.answer}`);
    }
    stdout.write("\n\n");
    stdout.write(formatSources(input.documents ?? [], result));
    for (const w of result.warnings) stderr.write(`warning: ${w}\n`);
    stderr.write(`${formatSummary(result)}\n`);
  }
  return result;
}
