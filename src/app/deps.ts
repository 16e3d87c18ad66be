import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { loadConfig, ollamaHostList, withOllamaCredentials, type BrunoConfig } from "../config/config.js";
import type { ModelCatalog } from "../domain/catalog.js";
import { createOllamaChatModelFactory } from "../providers/ollama/chatModel.js";
import { type ChatModelFactory } from "../providers/ports.js";
import { systemClock, type Clock } from "../runtime/clock.js";
import type { Logger } from "pino";
import { createOllamaModelServer } from "../providers/ollama/server.js";
import { createOllamaHostPool } from "../providers/ollama/pool.js";
import { type ModelServer } from "../providers/ports.js";
import { createEmbeddedProvider } from "../providers/embedded/provider.js";
import { Resilience } from "../runtime/resilience.js";
import type { ThreadLock } from "../runtime/threadLock.js";
import type { Database } from "../persistence/database.js";
import { TokenEstimator } from "../tools/tokens.js";
import { BoundedMemoryCache, type ResponseCache } from "../runtime/responseCache.js";
import { createTelemetry, type Telemetry } from "../telemetry/index.js";
import type { GenerationDeps } from "../nodes/deps.js";

export type { GenerationDeps } from "../nodes/deps.js";

/** Options of `createGenerationGraph`; anything left out is built from settings on first use. */
export interface GenerationGraphOptions {
  /** Settings; `loadConfig()` (environment and defaults) when omitted. */
  config?: BrunoConfig;
  /** Overrides the catalog of `config`. */
  catalog?: ModelCatalog;
  /** Overrides `config.ollamaHost` (and `config.ollamaHosts`: one server) for the default admin and chat model factory. */
  ollamaHost?: string;
  /** Where the installed models come from; the Ollama server, or the embedded engine's GGUF files when `embedded.provider` is "embedded". */
  admin?: ModelServer;
  /** Builds the chat model for each call; ChatOllama, or ChatLlamaCpp when `embedded.provider` is "embedded" (`auto` counts as Ollama here: see `resolveProvider`). */
  chatModelFactory?: ChatModelFactory;
  logger?: Logger;
  clock?: Clock;
  /** Shared resilience policies (e.g. one per process across several graphs). */
  resilience?: Resilience;
  tokenEstimator?: TokenEstimator;
  /** Shared answer cache; a bounded in-memory one by default. */
  responseCache?: ResponseCache;
  /**
   * Metrics, traces and logs; one per process is typical (its registry is what `/metrics`
   * serves). Created from settings (`LOG_LEVEL`) with a registry of its own when omitted.
   */
  telemetry?: Telemetry;
  /** Serializes turns per thread when a checkpointer is set; in-process by default (the database's own lock with `database`). */
  threadLock?: ThreadLock;
  /** Persists threads; none by default (hosts such as the LangGraph server bring their own). */
  checkpointer?: BaseCheckpointSaver | false;
  /**
   * The conversation database from `openDatabase` (memory, SQLite or PostgreSQL): its checkpointer
   * and its thread lock, shared with every process that opens the same database. Wins over
   * `checkpointer` and `threadLock`.
   */
  database?: Database;
}

/** Resolves dependencies lazily and once, so importing the graph connects to nothing. */
export function lazyDeps(options: GenerationGraphOptions): () => GenerationDeps {
  let deps: GenerationDeps | undefined;
  return () => {
    if (deps) return deps;
    const base = options.config ?? loadConfig();
    const config: BrunoConfig = {
      ...base,
      // Credentials go with their address: another address brings its own, or none.
      ...(options.ollamaHost ? withOllamaCredentials({ ollamaHost: options.ollamaHost, ollamaCredentials: undefined, ollamaHosts: undefined }) : {}),
      ...(options.catalog ? { catalog: options.catalog } : {}),
    };
    const telemetry = options.telemetry ?? createTelemetry({ ...(options.logger ? { logger: options.logger } : {}), logLevel: config.logLevel });
    const logger = options.logger ?? telemetry.logger;
    const embedded = config.embedded.provider === "embedded" && !(options.admin && options.chatModelFactory) ? createEmbeddedProvider(config, logger) : undefined;
    // OLLAMA_HOSTS: one client per server behind a pool; one server: its client alone, as ever.
    const hosts = ollamaHostList(config);
    const primary = hosts[0] as (typeof hosts)[number];
    const ollamaServer = (address: string, credentials: BrunoConfig["ollamaCredentials"]) =>
      telemetry.instrumentModelServer(
        createOllamaModelServer({ host: address, credentials, timeoutMs: config.timeouts.adminMs, tagsTtlMs: config.tagsTtlMs, ...(options.clock ? { clock: options.clock } : {}) }),
        logger,
      );
    const admin =
      options.admin ??
      (embedded
        ? telemetry.instrumentModelServer(embedded.admin, logger)
        : hosts.length > 1
          ? createOllamaHostPool({ servers: hosts.map((h) => ollamaServer(h.address, h.credentials)), tagsTtlMs: config.tagsTtlMs, ...(options.clock ? { clock: options.clock } : {}) })
          : ollamaServer(primary.address, primary.credentials));
    const resilience = options.resilience ?? new Resilience(config);
    for (const host of admin.addresses ?? [admin.host]) telemetry.watchResilience(resilience, host);
    deps = {
      config,
      catalog: config.catalog,
      clock: options.clock ?? systemClock,
      logger,
      admin,
      telemetry,
      resilience,
      tokenEstimator: options.tokenEstimator ?? new TokenEstimator(),
      responseCache: options.responseCache ?? new BoundedMemoryCache({ maxEntries: config.cache.maxEntries, ttlMs: config.cache.ttlMs, ...(options.clock ? { clock: options.clock } : {}) }),
      chatModelFactory:
        options.chatModelFactory ?? embedded?.chatModelFactory ?? createOllamaChatModelFactory({ host: primary.address, credentials: primary.credentials, hosts, keepAlive: config.keepAlive }),
    };
    return deps;
  };
}

const depsOfGraph = new WeakMap<object, () => GenerationDeps>();

/** Remembers how a compiled graph resolves its dependencies (see `graphDeps`). */
export function registerGraphDeps(graph: object, deps: () => GenerationDeps): void {
  depsOfGraph.set(graph, deps);
}

/**
 * The dependencies of a graph made by `createGenerationGraph` (resolving them if no run has yet),
 * e.g. for a host serving its telemetry; undefined for any other object.
 */
export function graphDeps(graph: object): GenerationDeps | undefined {
  return depsOfGraph.get(graph)?.();
}
