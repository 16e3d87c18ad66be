import type { Complexity, QueryType } from "../graph/state.js";
import type { ModelCatalog, RouteRole } from "./catalog.js";

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
  switch (input.queryType) {
    case "troubleshooting":
    case "lookup_runbook":
    case "debug_issue":
      return { role: "sre", reason: `${input.queryType} goes to the SRE model` };
    case "code_generation":
    case "code_review":
    case "explanation":
    case "chat":
      break;
  }
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
