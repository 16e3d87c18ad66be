import { describe, expect, it } from "vitest";
import { EMPTY_GROUNDING, type GenerationResult } from "../../src/domain/index.js";
import type { GenerationItem } from "../datasets/schema.js";
import { citationCoverage, factsStated, generationHeadline, scoreGenerationItem, summarizeGeneration, type RunOutcome } from "./generation.js";
import { mean, percentile, ratio, round } from "./stats.js";

const ITEM: GenerationItem = {
  id: "t1",
  query: "loki ingesters oomkilled",
  queryType: "troubleshooting",
  expectedModel: "sre-agent:v1.0",
  documents: [
    { title: "A", source: "a.md", content: "Ingesters exceed their memory limit and exit with code 137." },
    { title: "B", source: "b.md", content: "Raise the limit to 4Gi in the Helm values." },
    { title: "C", source: "c.md", content: "Unrelated dashboard notes." },
  ],
  mustCite: [1, 2],
  mustState: [
    { fact: "exit code 137", anyOf: ["137"] },
    { fact: "raise the limit to 4Gi", anyOf: ["4Gi", "4 GiB"] },
    { fact: "WAL replay", anyOf: ["wal replay", "replaying the wal"] },
  ],
  referenceAnswer: "Exit code 137 [1]. Raise it to 4Gi [2].",
};

function result(answer: string, patch: Partial<GenerationResult> = {}): GenerationResult {
  return {
    answer,
    queryType: "troubleshooting",
    complexity: "simple",
    requiresCode: false,
    model: "sre-agent:v1.0",
    modelsTried: [],
    citations: [],
    grounding: { ...EMPTY_GROUNDING },
    warnings: [],
    notices: [],
    usage: { inputTokens: 400, outputTokens: 50, durationMs: 10, loadMs: 0, promptEvalMs: 0, evalMs: 0 },
    ...patch,
  };
}

const ok = (answer: string, patch: Partial<GenerationResult> = {}, latencyMs = 100): RunOutcome => ({ id: "t1", result: result(answer, patch), latencyMs });

describe("factsStated", () => {
  it.each<[string, string[]]>([
    ["Exit code 137 means OOM; raise the limit to `4Gi`.", ["WAL replay"]],
    ["It died while REPLAYING   THE wal, exit 137, set 4 GiB.", []],
    ["Nothing useful.", ["exit code 137", "raise the limit to 4Gi", "WAL replay"]],
  ])("%j misses %j", (answer, missed) => {
    expect(factsStated(answer, ITEM.mustState).missed).toEqual(missed);
  });
});

describe("citationCoverage", () => {
  it.each<[string, number, number]>([
    ["A [1]. B [2]. C.", 3, 2],
    ["Steps [1]:\n- one\n- two", 3, 3],
    ["", 0, 0],
    ["No markers at all. Really none.", 2, 0],
  ])("%j → %i sentences, %i cited", (answer, sentences, cited) => {
    const c = citationCoverage(answer);
    expect([c.sentences, c.cited]).toEqual([sentences, cited]);
    expect(c.coverage).toBe(ratio(cited, sentences));
  });
});

describe("scoreGenerationItem: hand-made answers with known scores", () => {
  it("a complete answer", () => {
    const s = scoreGenerationItem(
      ITEM,
      ok("Exit code 137 [1]. Raise it to 4Gi [2]. The WAL replay needs memory [1].", {
        grounding: { ...EMPTY_GROUNDING, checkedCitations: 3, unsupportedCitations: 0, meanSupport: 0.9 },
      }),
    );
    expect(s).toMatchObject({
      mustCiteRecall: 1,
      missedCitations: [],
      factRecall: 1,
      coverage: 1,
      invalidMarkers: 0,
      queryTypeCorrect: true,
      modelCorrect: true,
      meanSupport: 0.9,
      quality: 1,
      error: null,
    });
  });

  it("half the citations, a third of the facts, a stripped invalid marker and an unsupported citation", () => {
    const s = scoreGenerationItem(
      ITEM,
      ok("Exit code 137 [1]. Restart it.", {
        queryType: "debug_issue",
        model: "llama3.1:8b",
        citations: [
          { index: 1, valid: true, support: 0.2 },
          { index: 7, valid: false },
        ],
        grounding: { ...EMPTY_GROUNDING, checkedCitations: 1, unsupportedCitations: 1, meanSupport: 0.2, uncitedClaims: 0 },
      }),
    );
    expect(s).toMatchObject({
      mustCiteRecall: 0.5,
      missedCitations: [2],
      factRecall: round(1 / 3),
      coverage: 0.5,
      invalidMarkers: 1,
      queryTypeCorrect: false,
      modelCorrect: false,
      unsupportedCitations: 1,
    });
    // (0.5 + 1/3 + 0 supported + 0.5 coverage) / 4
    expect(s.quality).toBeCloseTo((0.5 + 1 / 3 + 0 + 0.5) / 4, 4);
  });

  it("markers of other documents do not count as the required ones; out-of-range ones are ignored", () => {
    const s = scoreGenerationItem(ITEM, ok("137 [3]. 4Gi [9]."));
    expect(s.mustCiteRecall).toBe(0);
    expect(s.missedCitations).toEqual([1, 2]);
  });

  it("--model forces the model: model accuracy is not judged", () => {
    expect(scoreGenerationItem(ITEM, ok("x [1]", { model: "other" }), { modelForced: true }).modelCorrect).toBeNull();
  });

  it("a failed run scores zero and keeps the error", () => {
    const s = scoreGenerationItem(ITEM, { id: "t1", error: { code: "TIMEOUT_TOTAL", message: "too slow" }, latencyMs: 5 });
    expect(s).toMatchObject({ error: "TIMEOUT_TOTAL: too slow", mustCiteRecall: 0, factRecall: 0, coverage: 0, quality: 0, queryTypeCorrect: null, modelCorrect: null });
  });
});

describe("summarizeGeneration", () => {
  const a = scoreGenerationItem(
    ITEM,
    ok("Exit code 137 [1]. Raise it to 4Gi [2]. WAL replay [1].", { grounding: { ...EMPTY_GROUNDING, checkedCitations: 3, unsupportedCitations: 1, meanSupport: 0.6, uncitedClaims: 2 } }, 100),
    {
      judge: { grounded: true, score: 1, unsupportedClaims: [], reasoning: "" },
    },
  );
  const b = scoreGenerationItem(
    { ...ITEM, id: "t2", queryType: "explanation", expectedModel: "llama3.1:8b" },
    ok("Nothing [7].", { citations: [{ index: 7, valid: false }], grounding: { ...EMPTY_GROUNDING } }, 300),
    {
      judge: { grounded: false, score: 0.5, unsupportedClaims: ["Nothing"], reasoning: "" },
    },
  );
  const c = scoreGenerationItem({ ...ITEM, id: "t3" }, { id: "t3", error: { code: "ALL_MODELS_FAILED", message: "x" }, latencyMs: 1 });
  const summary = summarizeGeneration([a, b, c]);

  it("aggregates every scorer; failed items count as zero", () => {
    expect(summary).toMatchObject({ items: 3, answered: 2, errors: 1 });
    expect(summary.mustCiteRecall).toBeCloseTo(1 / 3, 4);
    expect(summary.factRecall).toBeCloseTo(1 / 3, 4);
    expect(summary.citation.validity).toBeCloseTo(1 / 3, 4);
    expect(summary.citation.meanInvalidMarkers).toBe(0.5);
    expect(summary.groundedness.supportedShare).toBeCloseTo(2 / 3, 4);
    expect(summary.groundedness.meanSupport).toBe(0.6);
    expect(summary.groundedness.uncitedClaimsPerAnswer).toBe(1);
    expect(summary.groundedness.judgeScore).toBe(0.75);
    expect(summary.groundedness.judgeGroundedShare).toBe(0.5);
    expect(summary.latencyMs).toEqual({ p50: 200, p95: 290, mean: 200 });
    expect(summary.tokens).toEqual({ inputPerAnswer: 400, outputPerAnswer: 50 });
    // t2 is labelled explanation but answered as troubleshooting; t1 right.
    expect(summary.routing.queryTypeAccuracy).toBeCloseTo(1 / 3, 4);
    expect(summary.routing.confusion.explanation.troubleshooting).toBe(1);
    expect(summary.routing.confusion.troubleshooting.troubleshooting).toBe(1);
    expect(Object.keys(summary.perType).sort()).toEqual(["explanation", "troubleshooting"]);
    expect(summary.perType.troubleshooting?.items).toBe(2);
  });

  it("the headline carries 0..1 scores only", () => {
    const h = generationHeadline(summary);
    expect(Object.keys(h).sort()).toEqual([
      "answered.rate",
      "citation.coverage",
      "citation.validity",
      "grounded.meanSupport",
      "grounded.supportedShare",
      "judge.score",
      "mustCite.recall",
      "mustState.recall",
      "routing.modelAccuracy",
      "routing.queryTypeAccuracy",
    ]);
    for (const v of Object.values(h)) expect(v >= 0 && v <= 1).toBe(true);
  });
});

describe("stats", () => {
  it.each<[number[], number, number | null]>([
    [[], 50, null],
    [[5], 95, 5],
    [[1, 2, 3, 4], 50, 2.5],
    [[10, 20, 30, 40, 50], 95, 48],
    [[3, 1, 2], 0, 1],
    [[3, 1, 2], 100, 3],
  ])("percentile(%j, %i) = %s", (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });
  it("mean and ratio", () => {
    expect(mean([])).toBeNull();
    expect(mean([1, 2])).toBe(1.5);
    expect(ratio(1, 0)).toBe(0);
  });
});
