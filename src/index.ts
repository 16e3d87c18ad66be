/**
 * The public entry of `bruno-generation`: the contract (schemas, types, errors), the graph and
 * how to build it, the providers, and telemetry. Importing it connects to nothing.
 */
export * from "./domain/index.js";
export * from "./graph/index.js";
export { buildGenerationGraph, createGenerationGraph, type GenerationGraph } from "./app/createGraph.js";
export { graphDeps, type GenerationDeps, type GenerationGraphOptions } from "./app/deps.js";
export { openCheckpointer, openDatabase, isPostgresUrl, type Database, type DatabaseKind } from "./persistence/database.js";
export { migrateDatabase, type MigrationOutcome } from "./persistence/pgMigrate.js";
export { createTelemetryApp } from "./app/http.js";
export { createServeApp, type ServeApp, type ServeAppOptions } from "./app/serve/app.js";
export { startTurn, streamTurn, type StartedTurn, type TurnHandlers, type TurnOptions } from "./app/turn.js";
export {
  loadConfig,
  normalizeOllamaHost,
  ollamaHostConfigured,
  ollamaHostList,
  readOllamaHosts,
  type OllamaHostEntry,
  ConfigSchema,
  DEFAULT_OLLAMA_HOST,
  PROVIDERS,
  type BrunoConfig,
  type BrunoConfigInput,
  type LoadConfigOptions,
} from "./config/config.js";
export { classifyQuery, type Classification } from "./tools/classifier.js";
export { routeRole, preferredModel, FAST_LATENCY_MS } from "./tools/router.js";
export { checkCitations, findCitationMarkers, formatMarkers, stripInvalidCitations } from "./tools/citations.js";
export { createOllamaModelServer } from "./providers/ollama/server.js";
export { createOllamaHostPool, type OllamaPoolOptions } from "./providers/ollama/pool.js";
export { createOllamaChatModelFactory } from "./providers/ollama/chatModel.js";
export { staticModelServer, type ChatModelFactory, type ChatModelRequest, type HostStatus, type InstalledModel, type ModelDetails, type ModelServer } from "./providers/ports.js";
export * from "./providers/embedded/index.js";
export { Resilience } from "./runtime/resilience.js";
export { FAILURE_POLICY, failureKind, failureRule, failsOver, handsOver, isRetryable, countsAgainstCircuit, type FailureKind, type FailureRule, type OnExhausted } from "./runtime/failurePolicy.js";
export { InProcessThreadLock, type ThreadLock } from "./runtime/threadLock.js";
export { parseGenerationInput } from "./nodes/classify.js";
export { createTelemetryLogger as createLogger } from "./telemetry/logging.js";
export * from "./telemetry/index.js";
