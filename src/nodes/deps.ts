import type { Logger } from "pino";
import type { BrunoConfig } from "../config/config.js";
import type { ModelCatalog } from "../domain/index.js";
import type { ChatModelFactory, ModelServer } from "../providers/ports.js";
import type { Clock } from "../runtime/clock.js";
import type { Resilience } from "../runtime/resilience.js";
import type { ResponseCache } from "../runtime/responseCache.js";
import type { Telemetry } from "../telemetry/telemetry.js";
import type { TokenEstimator } from "../tools/tokens.js";

/** What the nodes use from the world outside the graph. */
export interface GenerationDeps {
  config: BrunoConfig;
  catalog: ModelCatalog;
  /** Which models are installed and how large their context is. */
  admin: ModelServer;
  chatModelFactory: ChatModelFactory;
  logger: Logger;
  clock: Clock;
  /** Retry, circuit breakers and the per-server concurrency limit. */
  resilience: Resilience;
  /** Prompt-size estimates for context fitting, calibrated from Ollama's counts. */
  tokenEstimator: TokenEstimator;
  /** Answers of identical calls (see `cache` settings); LangChain's cache interface. */
  responseCache: ResponseCache;
  /** Metrics registry and instruments, tracer and logger. */
  telemetry: Telemetry;
}
