/**
 * Shared fixtures of the several-hosts tests (`test/hosts/*.test.ts`): the real graph with the
 * real `ChatOllama` and admin clients over HTTP against two (or more) `FakeOllama` servers named
 * in `OLLAMA_HOSTS`; each server's own request log says where every call went.
 */
import { MemorySaver } from "@langchain/langgraph";
import { createGenerationGraph, loadConfig, type GenerationGraph } from "../../src/index.js";
import type { FakeOllama } from "../../src/testing/index.js";
import { FAST_RETRY } from "../faults/helpers.js";

export { ANSWER, CATALOG_MODELS, DOCS, PRIMARY, QUERY, SECOND, THIRD, brunoError, chatModels, closeServersAfterEach, rejection, startServer, thread } from "../faults/helpers.js";

/** The graph as a host builds it, with `OLLAMA_HOSTS` naming `servers` in this order. */
export function graphOn(servers: readonly FakeOllama[], env: Record<string, string> = {}): GenerationGraph {
  return createGenerationGraph({
    config: loadConfig({ env: { OLLAMA_HOSTS: servers.map((s) => s.url).join(","), LOG_LEVEL: "silent", BRUNO_CACHE: "off", ...FAST_RETRY, ...env } }),
    checkpointer: new MemorySaver(),
  });
}

/** Runs one turn, collecting the custom events, the generate node's streamed text, and the final values. */
export async function turn(
  graph: GenerationGraph,
  input: Parameters<GenerationGraph["invoke"]>[0],
  threadId: string,
): Promise<{ events: Record<string, unknown>[]; streamed: string; values: Record<string, unknown> }> {
  const events: Record<string, unknown>[] = [];
  let streamed = "";
  let values: Record<string, unknown> = {};
  const stream = await graph.stream(input, { configurable: { thread_id: threadId }, streamMode: ["custom", "values", "messages"] });
  for await (const [mode, payload] of stream as AsyncIterable<[string, unknown]>) {
    if (mode === "custom") events.push(payload as Record<string, unknown>);
    else if (mode === "values") values = payload as Record<string, unknown>;
    else {
      const [chunk, meta] = payload as [{ content: unknown }, Record<string, unknown>];
      if (meta.langgraph_node === "generate" && typeof chunk.content === "string") streamed += chunk.content;
    }
  }
  return { events, streamed, values };
}

/** The events of one type. */
export function ofType(events: readonly Record<string, unknown>[], type: string): Record<string, unknown>[] {
  return events.filter((e) => e.type === type);
}
