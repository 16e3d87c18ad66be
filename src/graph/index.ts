/** The graph: its state channels, wiring and routers, and the run guard. Importing it builds nothing. */
export { generationGraphBuilder, GRAPH_NAME, routeAfterBuildPrompt, routeAfterGenerate, routeAfterValidate } from "./graph.js";
export { DEFAULT_DURABILITY, guardRuns, instrumentRuns, withDefaultDurability } from "./runGuard.js";
export { generateBatch, type BatchItem, type BatchOptions } from "./batch.js";
export * from "../nodes/state.js";
