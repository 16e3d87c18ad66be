import { traitsOf, type Complexity, type ModelCatalog, type QueryType, type RouteRole } from "../domain/index.js";

/** The latency budget under which a simple query goes to the fast model. */
export const FAST_LATENCY_MS = 2000;

export interface RouteInput {
  queryType: QueryType;
  complexity: Complexity;
  requiresCode: boolean;
  maxLatencyMs?: number | undefined;
}

export interface RouteDecision {
  role: RouteRole;
  reason: string;
}

/** The decision tree: code first, then SRE work, then fast simple answers, then general. */
export function routeRole(input: RouteInput): RouteDecision {
  if (input.requiresCode) return { role: "code", reason: "the answer needs code or config" };
  if (traitsOf(input.queryType).sreWork) return { role: "sre", reason: `${input.queryType} goes to the SRE model` };
  if (input.complexity === "simple" && input.maxLatencyMs !== undefined && input.maxLatencyMs < FAST_LATENCY_MS) {
    return { role: "fast", reason: `simple query with a latency budget of ${input.maxLatencyMs} ms (< ${FAST_LATENCY_MS} ms)` };
  }
  return { role: "general", reason: "general question" };
}

/** The catalog tag the decision tree picks. */
export function preferredModel(catalog: ModelCatalog, input: RouteInput): { tag: string; reason: string } {
  const decision = routeRole(input);
  return { tag: catalog.routes[decision.role], reason: decision.reason };
}
