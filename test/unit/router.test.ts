/**
 * Model routing as the README's routing table states it: code first, then SRE work, then simple
 * queries under a tight budget, then the general model. Named cases with the model each one
 * must get; a few go through the classifier first, as a real query does.
 */
import { describe, expect, it } from "vitest";
import { QUERY_TYPES, type QueryType } from "../../src/domain/index.js";
import { DEFAULT_CATALOG, type ModelCatalog } from "../../src/domain/catalog.js";
import { classifyQuery } from "../../src/tools/classifier.js";
import { preferredModel, routeRole, type RouteInput } from "../../src/tools/router.js";

const CODE_MODEL = "deepseek-coder:33b";
const SRE_MODEL = "sre-agent:v1.0";
const FAST_MODEL = "llama3.2:3b";
const GENERAL_MODEL = "llama3.1:8b";

function modelFor(input: RouteInput): string {
  return preferredModel(DEFAULT_CATALOG, input).tag;
}

describe("routing with the default catalog", () => {
  it.each<[string, RouteInput, string]>([
    ["a simple explanation with a 1,500 ms budget goes to the fast model", { queryType: "explanation", complexity: "simple", requiresCode: false, maxLatencyMs: 1500 }, FAST_MODEL],
    ["a simple chat with a 500 ms budget goes to the fast model", { queryType: "chat", complexity: "simple", requiresCode: false, maxLatencyMs: 500 }, FAST_MODEL],
    ["a budget of 1,999 ms is tight enough for the fast model", { queryType: "explanation", complexity: "simple", requiresCode: false, maxLatencyMs: 1999 }, FAST_MODEL],
    ["a budget of exactly 2,000 ms is not: the general model", { queryType: "explanation", complexity: "simple", requiresCode: false, maxLatencyMs: 2000 }, GENERAL_MODEL],
    ["a simple chat without a budget goes to the general model", { queryType: "chat", complexity: "simple", requiresCode: false }, GENERAL_MODEL],
    ["a complex explanation goes to the general model even with a 100 ms budget", { queryType: "explanation", complexity: "complex", requiresCode: false, maxLatencyMs: 100 }, GENERAL_MODEL],
    ["troubleshooting goes to the SRE model", { queryType: "troubleshooting", complexity: "complex", requiresCode: false }, SRE_MODEL],
    ["a runbook look-up goes to the SRE model even when simple and urgent", { queryType: "lookup_runbook", complexity: "simple", requiresCode: false, maxLatencyMs: 100 }, SRE_MODEL],
    ["debugging goes to the SRE model", { queryType: "debug_issue", complexity: "simple", requiresCode: false }, SRE_MODEL],
    ["troubleshooting that needs code goes to the code model, not the SRE model", { queryType: "troubleshooting", complexity: "simple", requiresCode: true, maxLatencyMs: 100 }, CODE_MODEL],
    ["an explanation that needs code goes to the code model despite a tight budget", { queryType: "explanation", complexity: "simple", requiresCode: true, maxLatencyMs: 100 }, CODE_MODEL],
    ["a code type whose answer needs no code falls through to the general model", { queryType: "code_review", complexity: "complex", requiresCode: false }, GENERAL_MODEL],
  ])("%s", (_name, input, model) => {
    expect(modelFor(input)).toBe(model);
  });

  it.each([
    ["simple", "review this: `replicas: 1`"],
    ["complex", "review this deployment and its service and its ingress:\nreplicas: 1\nimage: loki:2.9\nports:\n  - 3100\nresources:\n  limits:\n    memory: 1Gi"],
  ] as const)("code_review goes to the code model whatever its complexity (%s)", (complexity, query) => {
    const classified = classifyQuery(query, "code_review");
    expect(classified.complexity).toBe(complexity);
    expect(modelFor({ ...classified, maxLatencyMs: 100 })).toBe(CODE_MODEL);
  });

  it("a pasted crash-loop question is routed to the SRE model straight from its text", () => {
    const classified = classifyQuery("loki-ingester-0 is in CrashLoopBackOff after the upgrade, how do I fix it?");
    expect(modelFor(classified)).toBe(SRE_MODEL);
  });

  it("asking for YAML while troubleshooting goes to the code model", () => {
    const classified = classifyQuery("loki ingesters keep getting OOMKilled, give me the yaml for a bigger memory limit");
    expect(classified.requiresCode).toBe(true);
    expect(modelFor(classified)).toBe(CODE_MODEL);
  });

  it("the reason of a fast route names the budget", () => {
    expect(routeRole({ queryType: "chat", complexity: "simple", requiresCode: false, maxLatencyMs: 750 }).reason).toContain("750");
  });

  it("every query type, complexity, code need and budget gets a catalog model and a reason", () => {
    const tags = new Set(DEFAULT_CATALOG.models.map((m) => m.tag));
    for (const queryType of QUERY_TYPES as readonly QueryType[])
      for (const complexity of ["simple", "complex"] as const)
        for (const requiresCode of [false, true])
          for (const maxLatencyMs of [undefined, 100, 5000]) {
            const picked = preferredModel(DEFAULT_CATALOG, { queryType, complexity, requiresCode, maxLatencyMs });
            expect(tags.has(picked.tag), `${queryType}/${complexity}/${requiresCode}/${maxLatencyMs}`).toBe(true);
            expect(picked.reason).not.toBe("");
          }
  });
});

describe("routing with another catalog", () => {
  const custom: ModelCatalog = {
    models: ["coder", "oncall", "tiny", "big"].map((tag) => ({ tag, contextLength: 4096, speedTier: "standard" as const, fallbacks: [] })),
    routes: { code: "coder", sre: "oncall", fast: "tiny", general: "big" },
  };

  it.each<[RouteInput, string]>([
    [{ queryType: "code_generation", complexity: "simple", requiresCode: true }, "coder"],
    [{ queryType: "troubleshooting", complexity: "complex", requiresCode: false }, "oncall"],
    [{ queryType: "chat", complexity: "simple", requiresCode: false, maxLatencyMs: 300 }, "tiny"],
    [{ queryType: "explanation", complexity: "complex", requiresCode: false }, "big"],
  ])("%o → the catalog's %s, with the same reason as the default catalog gives", (input, tag) => {
    const picked = preferredModel(custom, input);
    expect(picked.tag).toBe(tag);
    expect(picked.reason).toBe(preferredModel(DEFAULT_CATALOG, input).reason);
  });
});
