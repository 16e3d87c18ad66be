import { describe, expect, it } from "vitest";
import type { Complexity, QueryType } from "../../src/domain/index.js";
import { ALL_QUERY_TYPES as QUERY_TYPES } from "./queryTypes.js";
import { DEFAULT_CATALOG, type ModelCatalog, type RouteRole } from "../../src/domain/catalog.js";
import { FAST_LATENCY_MS, preferredModel, routeRole, type RouteInput } from "../../src/tools/router.js";

const SRE_TYPES: readonly QueryType[] = ["troubleshooting", "lookup_runbook", "debug_issue"];
const COMPLEXITIES: readonly Complexity[] = ["simple", "complex"];
const LATENCIES: ReadonlyArray<number | undefined> = [undefined, 1, 500, 1999, 2000, 2001, 10_000];

/** The decision tree as specified, written independently of the implementation. */
function expectedRole(input: RouteInput): RouteRole {
  if (input.requiresCode) return "code";
  if (SRE_TYPES.includes(input.queryType)) return "sre";
  if (input.complexity === "simple" && input.maxLatencyMs !== undefined && input.maxLatencyMs < 2000) return "fast";
  return "general";
}

const ALL: Array<[QueryType, Complexity, boolean, number | undefined, RouteRole]> = [];
for (const queryType of QUERY_TYPES)
  for (const complexity of COMPLEXITIES)
    for (const requiresCode of [false, true])
      for (const maxLatencyMs of LATENCIES)
        ALL.push([queryType, complexity, requiresCode, maxLatencyMs, expectedRole({ queryType, complexity, requiresCode, maxLatencyMs })]);

describe("routeRole: the whole decision tree", () => {
  it("covers every query type × complexity × requiresCode × latency", () => {
    expect(ALL).toHaveLength(QUERY_TYPES.length * 2 * 2 * LATENCIES.length);
  });

  it.each(ALL)("%s / %s / requiresCode=%s / maxLatencyMs=%s → %s", (queryType, complexity, requiresCode, maxLatencyMs, role) => {
    const decision = routeRole({ queryType, complexity, requiresCode, maxLatencyMs });
    expect(decision.role).toBe(role);
    expect(decision.reason).not.toBe("");
  });
});

describe("routeRole: named rules", () => {
  it.each<[string, RouteInput, RouteRole]>([
    ["requiresCode beats an SRE type", { queryType: "troubleshooting", complexity: "simple", requiresCode: true, maxLatencyMs: 100 }, "code"],
    ["requiresCode beats a tight latency budget", { queryType: "explanation", complexity: "simple", requiresCode: true, maxLatencyMs: 100 }, "code"],
    ["troubleshooting → sre", { queryType: "troubleshooting", complexity: "complex", requiresCode: false }, "sre"],
    ["lookup_runbook → sre even when simple and urgent", { queryType: "lookup_runbook", complexity: "simple", requiresCode: false, maxLatencyMs: 100 }, "sre"],
    ["debug_issue → sre", { queryType: "debug_issue", complexity: "simple", requiresCode: false }, "sre"],
    ["simple + 1999 ms → fast", { queryType: "explanation", complexity: "simple", requiresCode: false, maxLatencyMs: 1999 }, "fast"],
    ["simple + exactly 2000 ms → general", { queryType: "explanation", complexity: "simple", requiresCode: false, maxLatencyMs: FAST_LATENCY_MS }, "general"],
    ["simple without a budget → general", { queryType: "chat", complexity: "simple", requiresCode: false }, "general"],
    ["complex + low latency → general", { queryType: "explanation", complexity: "complex", requiresCode: false, maxLatencyMs: 100 }, "general"],
    ["chat + low latency → fast", { queryType: "chat", complexity: "simple", requiresCode: false, maxLatencyMs: 500 }, "fast"],
    ["code type without requiresCode falls through to general", { queryType: "code_review", complexity: "complex", requiresCode: false }, "general"],
  ])("%s", (_name, input, role) => {
    expect(routeRole(input).role).toBe(role);
  });

  it("FAST_LATENCY_MS is 2000", () => {
    expect(FAST_LATENCY_MS).toBe(2000);
  });

  it("the fast reason names the budget", () => {
    expect(routeRole({ queryType: "chat", complexity: "simple", requiresCode: false, maxLatencyMs: 750 }).reason).toContain("750");
  });
});

describe("preferredModel", () => {
  const custom: ModelCatalog = {
    models: ["c", "s", "f", "g"].map((tag) => ({ tag, contextLength: 4096, speedTier: "standard" as const, fallbacks: [] })),
    routes: { code: "c", sre: "s", fast: "f", general: "g" },
  };
  it.each(ALL)("%s / %s / requiresCode=%s / maxLatencyMs=%s → the %s route's tag", (queryType, complexity, requiresCode, maxLatencyMs, role) => {
    const input = { queryType, complexity, requiresCode, maxLatencyMs };
    expect(preferredModel(DEFAULT_CATALOG, input).tag).toBe(DEFAULT_CATALOG.routes[role]);
    const picked = preferredModel(custom, input);
    expect(picked.tag).toBe(custom.routes[role]);
    expect(picked.reason).toBe(routeRole(input).reason);
  });
});
