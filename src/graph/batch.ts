import type { RunnableConfig } from "@langchain/core/runnables";
import type { BrunoError } from "../domain/errors.js";
import type { GenerationInput, GenerationResult } from "../domain/index.js";

/** One item of a batch: its answer, or the error it failed with. */
export type BatchItem = { ok: true; result: GenerationResult } | { ok: false; error: BrunoError | Error };

interface Invokable {
  invoke(input: GenerationInput, config?: RunnableConfig): Promise<GenerationResult>;
}

export interface BatchOptions {
  /** Queries run at once (default 3); the server's bulkhead still bounds what reaches Ollama. */
  concurrency?: number;
  /** Config for every run (callbacks, signal); runs get no thread, so they share no history. */
  config?: RunnableConfig;
  /** Called as each item finishes, with its index, for progress. */
  onItem?: (index: number, item: BatchItem) => void;
}

/**
 * Runs many queries through the graph with bounded concurrency and returns one item per input,
 * in input order; a failed query is an `{ ok: false, error }` item and does not stop the others.
 */
export async function generateBatch(graph: Invokable, inputs: readonly GenerationInput[], options: BatchOptions = {}): Promise<BatchItem[]> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 3));
  const items: BatchItem[] = new Array<BatchItem>(inputs.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < inputs.length; i = next++) {
      let item: BatchItem;
      try {
        item = { ok: true, result: await graph.invoke(inputs[i] as GenerationInput, options.config) };
      } catch (error) {
        item = { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
      }
      items[i] = item;
      options.onItem?.(i, item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, inputs.length) }, worker));
  return items;
}
