import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { loadConfig, type BrunoConfig } from "../config.js";
import type { ModelCatalog } from "../tools/catalog.js";
import { createOllamaChatModelFactory, type ChatModelFactory } from "../tools/chatModels.js";
import { systemClock, type Clock } from "../tools/clock.js";
import { createLogger, type Logger } from "../tools/logger.js";
import { createOllamaAdmin, type OllamaAdmin } from "../tools/ollamaAdmin.js";
import { Resilience } from "../tools/resilience.js";
import type { ThreadLock } from "../tools/threadLock.js";
import { TokenEstimator } from "../tools/tokens.js";

/** What the nodes use from the world outside the graph. */
export interface GenerationDeps {
  config: BrunoConfig;
  catalog: ModelCatalog;
  admin: OllamaAdmin;
  chatModelFactory: ChatModelFactory;
  logger: Logger;
  clock: Clock;
  /** Retry, circuit breakers and the per-server concurrency limit. */
  resilience: Resilience;
  /** Prompt-size estimates for context fitting, calibrated from Ollama's counts. */
  tokenEstimator: TokenEstimator;
}

/** Options of `createGenerationGraph`; anything left out is built from settings on first use. */
export interface GenerationGraphOptions {
  /** Settings; `loadConfig()` (environment and defaults) when omitted. */
  config?: BrunoConfig;
  /** Overrides the catalog of `config`. */
  catalog?: ModelCatalog;
  /** Overrides `config.ollamaHost` for the default admin and chat model factory. */
  ollamaHost?: string;
  /** Where the installed models come from; the Ollama server by default. */
  admin?: OllamaAdmin;
  /** Builds the chat model for each call; ChatOllama by default. */
  chatModelFactory?: ChatModelFactory;
  logger?: Logger;
  clock?: Clock;
  /** Shared resilience policies (e.g. one per process across several graphs). */
  resilience?: Resilience;
  tokenEstimator?: TokenEstimator;
  /** Serializes turns per thread when a checkpointer is set; in-process by default. */
  threadLock?: ThreadLock;
  /** Persists threads; none by default (hosts such as the LangGraph server bring their own). */
  checkpointer?: BaseCheckpointSaver | false;
}

/** Resolves dependencies lazily and once, so importing the graph connects to nothing. */
export function lazyDeps(options: GenerationGraphOptions): () => GenerationDeps {
  let deps: GenerationDeps | undefined;
  return () => {
    if (deps) return deps;
    const base = options.config ?? loadConfig();
    const config: BrunoConfig = {
      ...base,
      ...(options.ollamaHost ? { ollamaHost: options.ollamaHost } : {}),
      ...(options.catalog ? { catalog: options.catalog } : {}),
    };
    deps = {
      config,
      catalog: config.catalog,
      clock: options.clock ?? systemClock,
      logger: options.logger ?? createLogger({ level: config.logLevel }),
      admin:
        options.admin ??
        createOllamaAdmin({
          host: config.ollamaHost,
          timeoutMs: config.timeouts.adminMs,
          tagsTtlMs: config.tagsTtlMs,
          ...(options.clock ? { clock: options.clock } : {}),
        }),
      resilience: options.resilience ?? new Resilience(config),
      tokenEstimator: options.tokenEstimator ?? new TokenEstimator(),
      chatModelFactory: options.chatModelFactory ?? createOllamaChatModelFactory({ host: config.ollamaHost, keepAlive: config.keepAlive }),
    };
    return deps;
  };
}
