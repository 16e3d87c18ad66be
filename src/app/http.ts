/**
 * `/metrics` and `/healthz` as a Hono app. The served one (`./served.ts:app`) is mounted by the
 * LangGraph API server through `langgraph.json`, so a deployment under `langgraphjs dev` /
 * `langgraphjs up` exposes them next to the graph's own routes.
 */
import { Hono } from "hono";
import type { GenerationDeps } from "../nodes/deps.js";
import { checkHealth, healthStatusCode } from "../telemetry/health.js";

/** How long `/healthz` waits for Ollama before it reports it unreachable. */
const HEALTH_TIMEOUT_MS = 5_000;

/**
 * The routes, over the dependencies of one graph: its telemetry registry (plus Node.js process
 * metrics) and its Ollama admin and catalog. Dependencies are resolved on the first request.
 */
export function createTelemetryApp(deps: () => GenerationDeps): Hono {
  const app = new Hono();
  let processMetrics = false;
  app.get("/metrics", async (c) => {
    const { telemetry } = deps();
    if (!processMetrics) {
      telemetry.collectProcessMetrics();
      processMetrics = true;
    }
    const text = await telemetry.metricsText();
    return c.body(text, 200, { "Content-Type": telemetry.registry.contentType });
  });
  app.get("/healthz", async (c) => {
    const { admin, catalog } = deps();
    const report = await checkHealth({ admin, catalog, signal: AbortSignal.any([c.req.raw.signal, AbortSignal.timeout(HEALTH_TIMEOUT_MS)]) });
    return c.json(report, healthStatusCode(report));
  });
  return app;
}
