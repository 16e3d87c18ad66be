/**
 * The composition entry of the `bruno` command line: everything it uses, in two parts.
 *
 * Imported at once and light (no LangChain, no model client, no SQLite): typed errors, query
 * types, settings, the result contract and the helpers that print it. That is all `bruno --help`,
 * `--version` and argument errors need.
 *
 * Loaded on first use through `loadRuntime()` (`ask`, `chat`, `serve`), `loadServe()` (`serve`)
 * and `loadModelAdmin()` (`models`):
 * the graph, the providers, telemetry and checkpointers.
 */

import { lazy } from "../runtime/lazy.js";
export { BrunoError, ConfigError, DocumentsError, InvalidInputError, ModelFileError, ModelNotFoundError, isBrunoError, isModelFileError, type BrunoErrorCode } from "../domain/errors.js";
export {
  GROUNDING_NOTICE_CODES,
  QUERY_TYPES,
  sameModelTag,
  toGenerationResult,
  type ContextDocument,
  type GenerationEvent,
  type GenerationInput,
  type GenerationResult,
  type QueryType,
} from "../domain/index.js";
export { PROVIDERS, loadConfig, ollamaHostConfigured, ollamaHostList, type BrunoConfig, type BrunoConfigInput, type Provider } from "../config/config.js";
export { formatMarkers } from "../tools/citations.js";
export type { GenerationGraph } from "./createGraph.js";
export { startTurn, streamTurn, type StartedTurn, type TurnHandlers, type TurnOptions } from "./turn.js";
export type { GenerationStateType, GenerationUpdate } from "../nodes/state.js";

async function importRuntime() {
  const [graph, classify, telemetry, embedded, engines, checkpointer] = await Promise.all([
    import("./createGraph.js"),
    import("../nodes/classify.js"),
    import("../telemetry/index.js"),
    import("../providers/embedded/provider.js"),
    import("../providers/embedded/engine.js"),
    import("../persistence/database.js"),
  ]);
  return {
    createGenerationGraph: graph.createGenerationGraph,
    parseGenerationInput: classify.parseGenerationInput,
    createCliLogger: telemetry.createCliLogger,
    flushTraces: telemetry.flushTraces,
    resolveProvider: embedded.resolveProvider,
    prepareEmbeddedModel: embedded.prepareEmbeddedModel,
    disposeEmbeddedEngines: engines.disposeEmbeddedEngines,
    /** In memory, a SQLite file or PostgreSQL, as `--db` / `BRUNO_DB` says (drivers are loaded only then). */
    openDatabase: checkpointer.openDatabase,
  };
}

/** What `ask` and `chat` run on: the graph, the providers, telemetry, checkpointers. */
export type CliRuntime = Awaited<ReturnType<typeof importRuntime>>;

const runtime = lazy(importRuntime);

/** Imports the runtime once per process (a few hundred milliseconds: LangChain, LangGraph, the Ollama client). */
export function loadRuntime(): Promise<CliRuntime> {
  return runtime.get();
}

/** The runtime if `loadRuntime()` was called and succeeded; undefined otherwise (nothing is imported). */
async function loadedRuntime(): Promise<CliRuntime | undefined> {
  return runtime.started()?.catch(() => undefined);
}

/** Frees what the runtime holds that keeps a process alive (loaded GGUF models); a no-op when it was never loaded. */
export async function releaseRuntime(): Promise<void> {
  await (await loadedRuntime())?.disposeEmbeddedEngines();
}

/** Sends the traces the runtime batched (LangSmith); a no-op when it was never loaded or tracing is off. */
export async function flushRuntimeTraces(): Promise<void> {
  await (await loadedRuntime())?.flushTraces();
}

/** `bruno serve`'s HTTP app, server and shutdown (Hono, @hono/node-server); the graph comes from `loadRuntime()`. */
export async function loadServe() {
  return import("./serve/index.js");
}

/** The Ollama admin client for `bruno models` (no graph, no LangChain). */
export async function loadModelAdmin() {
  return (await import("../providers/ollama/server.js")).createOllamaModelServer;
}

/** The pool of several Ollama hosts (`OLLAMA_HOSTS`) for `bruno models`. */
export async function loadHostPool() {
  return (await import("../providers/ollama/pool.js")).createOllamaHostPool;
}
