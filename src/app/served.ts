/**
 * What `langgraph.json` serves: the graph (Studio, the LangGraph API server) and the HTTP app
 * mounted next to it (`/metrics`, `/healthz`). Settings are read from the environment on the
 * graph's first run, not at import; the server supplies the checkpointer.
 */
import { createGenerationGraph } from "./createGraph.js";
import { graphDeps } from "./deps.js";
import { createTelemetryApp } from "./http.js";

export const graph = createGenerationGraph();

/** The `/metrics` and `/healthz` routes over the served graph's dependencies. */
export const app = createTelemetryApp(() => {
  const deps = graphDeps(graph);
  if (!deps) throw new Error("the served graph was not made by createGenerationGraph");
  return deps;
});
