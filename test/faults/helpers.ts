/**
 * Shared fixtures of the fault matrix (`test/faults/*.test.ts`): every test drives the real
 * graph (`createGenerationGraph` + `loadConfig({ env })` + `MemorySaver`) with the real
 * `ChatOllama` and the real admin client over HTTP against `FakeOllama`, and asserts both what
 * the server saw and what the caller got.
 */
import type { BaseMessage } from "@langchain/core/messages";
import { MemorySaver } from "@langchain/langgraph";
import { afterEach } from "vitest";
import { createGenerationGraph, isBrunoError, loadConfig, type BrunoError, type ContextDocument, type GenerationGraph } from "../../src/index.js";
import type { GenerationGraphOptions } from "../../src/app/deps.js";
import { CATALOG_MODELS, FakeOllama, type ChatRequestBody, type FakeOllamaOptions } from "../../src/testing/index.js";
export { CATALOG_MODELS } from "../../src/testing/index.js";
export { closedPort } from "../support/net.js";

/** A troubleshooting query: routed to sre-agent:v1.0 → llama3.1:8b → llama3.2:3b. */
export const QUERY = "Loki pods are crashing";
export const PRIMARY = "sre-agent:v1.0";
export const SECOND = "llama3.1:8b";
export const THIRD = "llama3.2:3b";

export const DOCS: ContextDocument[] = [
  { title: "Loki crash loop", source: "runbooks/loki-crashloop.md", content: "Ingesters OOMKilled after an upgrade: raise the memory limit of the loki-ingester StatefulSet." },
  { title: "Pod OOMKilled", source: "runbooks/pod-oomkilled.md", content: "Exit code 137 with reason OOMKilled means the container exceeded its memory limit." },
];

export const ANSWER = "Raise the ingester memory limit [1].";

/** Fast backoff so retries cost milliseconds, not seconds. */
export const FAST_RETRY = { BRUNO_RETRY_INITIAL_MS: "1", BRUNO_RETRY_MAX_MS: "5" } as const;

const servers: FakeOllama[] = [];

/** Registers the per-file cleanup; call once at the top level of a test file. */
export function closeServersAfterEach(): void {
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
}

export async function startServer(options: FakeOllamaOptions = {}): Promise<FakeOllama> {
  const server = await FakeOllama.start({ models: CATALOG_MODELS, ...options });
  servers.push(server);
  return server;
}

/** The graph as a host builds it: settings from an environment, a MemorySaver, nothing faked. */
export function graphFor(host: string, env: Record<string, string> = {}, extra: Partial<GenerationGraphOptions> = {}): GenerationGraph {
  return createGenerationGraph({
    config: loadConfig({ env: { OLLAMA_HOST: host, LOG_LEVEL: "silent", ...FAST_RETRY, ...env } }),
    checkpointer: new MemorySaver(),
    ...extra,
  });
}

export function thread(id: string): { configurable: { thread_id: string } } {
  return { configurable: { thread_id: id } };
}

export async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The rejection of a promise that must reject, and how long it took. */
export async function rejection(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  try {
    await promise;
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
  throw new Error("expected the promise to reject");
}

export function brunoError(error: unknown): BrunoError {
  if (!isBrunoError(error)) throw new Error(`expected a BrunoError, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  return error;
}

/** Models of the `/api/chat` requests the server received, in order. */
export function chatModels(server: FakeOllama): string[] {
  return server.chatRequests().map((b) => b.model);
}

export function chatsFor(server: FakeOllama, model: string): ChatRequestBody[] {
  return server.chatRequests().filter((b) => b.model === model);
}

export function lastUser(body: ChatRequestBody): string {
  const user = body.messages.filter((m) => m.role === "user").at(-1);
  if (!user) throw new Error("no user message in the request");
  return user.content;
}

export function textOf(message: BaseMessage): string {
  return typeof message.content === "string" ? message.content : JSON.stringify(message.content);
}

export async function threadMessages(graph: GenerationGraph, threadId: string): Promise<BaseMessage[]> {
  const state = await graph.getState(thread(threadId));
  return (state.values as { messages?: BaseMessage[] }).messages ?? [];
}

/** Runs `graph.stream` with the custom mode and collects the generate node's events. */
export async function invokeWithEvents(
  graph: GenerationGraph,
  input: Parameters<GenerationGraph["invoke"]>[0],
  threadId: string,
): Promise<{ events: Record<string, unknown>[]; values: Record<string, unknown> }> {
  const events: Record<string, unknown>[] = [];
  let values: Record<string, unknown> = {};
  const stream = await graph.stream(input, { ...thread(threadId), streamMode: ["custom", "values"] });
  for await (const [mode, payload] of stream as AsyncIterable<[string, Record<string, unknown>]>) {
    if (mode === "custom") events.push(payload);
    else values = payload;
  }
  return { events, values };
}
