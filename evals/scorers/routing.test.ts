import { describe, expect, it } from "vitest";
import { QUERY_TYPES, traitsOf } from "../../src/domain/index.js";
import { familyOf, scoreRouting, type RoutingOutcome } from "./routing.js";

function outcome(id: string, expected: RoutingOutcome["expected"]["queryType"], actual: RoutingOutcome["actual"]["queryType"], modelOk = true): RoutingOutcome {
  return {
    id,
    query: id,
    expected: { queryType: expected, complexity: "simple", requiresCode: false, model: "a" },
    actual: { queryType: actual, complexity: id === "c" ? "complex" : "simple", requiresCode: false, model: modelOk ? "a" : "b" },
  };
}

describe("scoreRouting", () => {
  it("computes accuracies, the confusion matrix and per-type precision/recall from known outcomes", () => {
    const scores = scoreRouting([
      outcome("a", "chat", "chat"),
      outcome("b", "chat", "explanation", false),
      outcome("c", "explanation", "explanation"),
      outcome("d", "debug_issue", "troubleshooting", false),
    ]);
    expect(scores.items).toBe(4);
    expect(scores.queryTypeAccuracy).toBe(0.5);
    expect(scores.modelAccuracy).toBe(0.5);
    expect(scores.complexityAccuracy).toBe(0.75);
    expect(scores.requiresCodeAccuracy).toBe(1);
    expect(scores.confusion.chat.explanation).toBe(1);
    expect(scores.confusion.debug_issue.troubleshooting).toBe(1);
    expect(scores.perType.chat).toEqual({ precision: 1, recall: 0.5, support: 2 });
    expect(scores.perType.explanation).toEqual({ precision: 0.5, recall: 1, support: 1 });
    expect(scores.perType.troubleshooting).toEqual({ precision: 0, recall: 0, support: 0 });
  });

  it("scores an empty run as zero rather than NaN", () => {
    const scores = scoreRouting([]);
    expect(scores.queryTypeAccuracy).toBe(0);
    expect(Number.isNaN(scores.modelAccuracy)).toBe(false);
  });
});

describe("query families", () => {
  it("family accuracy forgives a confusion inside a family and counts one across families", () => {
    const scores = scoreRouting([
      outcome("a", "troubleshooting", "debug_issue"),
      outcome("b", "code_generation", "code_review"),
      outcome("c", "explanation", "lookup_runbook"),
      outcome("d", "chat", "troubleshooting"),
    ]);
    expect(scores.queryTypeAccuracy).toBe(0);
    expect(scores.familyAccuracy).toBe(0.5);
  });

  it("the ops family is the SRE-model types and the code family the code-deliverable types", () => {
    for (const type of QUERY_TYPES) {
      expect(familyOf(type) === "ops").toBe(traitsOf(type).sreWork);
      expect(familyOf(type) === "code").toBe(traitsOf(type).needsCode);
    }
    expect(familyOf("explanation")).toBe("explanation");
    expect(familyOf("chat")).toBe("chat");
  });
});
