/** Observability of the generation stage: Prometheus metrics, structured logs, traces. */
export { Telemetry, createTelemetry, type ModelCallObserver, type TelemetryOptions } from "./telemetry.js";
export { METRIC_NAMES, GENERATION_BUCKETS, FIRST_TOKEN_BUCKETS, NODE_BUCKETS, QUEUE_WAIT_BUCKETS, createBrunoMetrics, type BrunoMetrics } from "./metrics.js";
export { REDACT_PATHS, createCliLogger, createTelemetryLogger, truncate, type CliLoggerSettings, type TelemetryLoggerSettings } from "./logging.js";
export { SPAN_ATTRIBUTES, TRACER_NAME, documentLabel, flushTraces, langSmithTracingEnabled, modelCallTraceConfig, type ModelCallFacts } from "./tracing.js";
export { RUN_ID_KEY, errorType, type ModelCallEnd, type ModelCallStart, type RunInfo } from "./runs.js";
export { metricsFetchHandler, metricsRequestHandler } from "./handlers.js";
export { checkHealth, healthStatusCode, type HealthReport } from "./health.js";
