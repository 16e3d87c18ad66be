/**
 * `/metrics` and `/healthz` as a Hono app. The served one (`./served.ts:app`) is mounted by the
 * LangGraph API server through `langgraph.json`, so a deployment under `langgraphjs dev` /
 * `langgraphjs up` exposes them next to the graph's own routes. `bruno serve` mounts the same
 * `/metrics` handler (`metricsHandler`).
 */
import { Hono, type Handler } from "hono";
import type { GenerationDeps } from "../nodes/deps.js";
import { checkHealth, healthStatusCode } from "../telemetry/health.js";

/** How long `/healthz` waits for Ollama before it reports it unreachable. */
const HEALTH_TIMEOUT_MS = 5_000;

/**
 * `GET /metrics`: the Prometheus text of the graph's telemetry registry, with the Node.js
 * process metrics (collected from the first scrape on). Dependencies are resolved on the first request.
 */
export function metricsHandler(deps: () => GenerationDeps): Handler {
  let processMetrics = false;
  return async (c) => {
    const { telemetry } = deps();
    if (!processMetrics) {
      telemetry.collectProcessMetrics();
      processMetrics = true;
    }
    const text = await telemetry.metricsText();
    return c.body(text, 200, { "Content-Type": telemetry.registry.contentType });
  };
}

/**
 * The routes, over the dependencies of one graph: its telemetry registry (plus Node.js process
 * metrics) and its Ollama admin and catalog. Dependencies are resolved on the first request.
 */
export function createTelemetryApp(deps: () => GenerationDeps): Hono {
  const app = new Hono();
  app.get("/metrics", metricsHandler(deps));
  app.get("/healthz", async (c) => {
    const { admin, catalog } = deps();
    const report = await checkHealth({ admin, catalog, signal: AbortSignal.any([c.req.raw.signal, AbortSignal.timeout(HEALTH_TIMEOUT_MS)]) });
    return c.json(report, healthStatusCode(report));
  });
  return app;
}
