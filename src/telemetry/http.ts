/**
 * `/metrics` and `/healthz` as a Hono app, mounted by the LangGraph API server through
 * `langgraph.json` (`"http": { "app": "./src/telemetry/http.ts:app" }`), so a deployment under
 * `langgraphjs dev` / `langgraphjs up` exposes them next to the graph's own routes.
 */
import { Hono } from "hono";
import { graphDeps, type GenerationDeps } from "../graph/deps.js";
import { graph } from "../graph/index.js";
import { checkHealth, healthStatusCode } from "./health.js";

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

function servedGraphDeps(): GenerationDeps {
  const deps = graphDeps(graph);
  if (!deps) throw new Error("the served graph was not made by createGenerationGraph");
  return deps;
}

/** The app of the graph `langgraph.json` serves (`src/graph/index.ts:graph`). */
export const app = createTelemetryApp(servedGraphDeps);
