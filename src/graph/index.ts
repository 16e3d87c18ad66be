import { createGenerationGraph } from "./graph.js";

export { buildGenerationGraph, createGenerationGraph, DEFAULT_DURABILITY, GRAPH_NAME, instrumentRuns, routeAfterGenerate, routeAfterValidate, type GenerationGraph } from "./graph.js";
export type { GenerationDeps, GenerationGraphOptions } from "./deps.js";
export { generateBatch, type BatchItem, type BatchOptions } from "./batch.js";
export * from "./state.js";

/**
 * The graph served by the LangGraph dev server and Studio (`langgraph.json`). Settings are read
 * from the environment on its first run, not at import; the server supplies the checkpointer.
 */
export const graph = createGenerationGraph();
