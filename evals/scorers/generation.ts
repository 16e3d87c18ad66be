/**
 * Scorers of the generation dataset: each answer against its item (what it must cite and
 * state), its citations (validity and coverage), the run-time grounding scores, an optional
 * judge verdict, latency and tokens; then the aggregate per dataset and per query type.
 */
import type { GenerationResult, QueryType } from "../../src/domain/index.js";
import { QUERY_TYPES } from "../../src/domain/index.js";
import { findCitationMarkers } from "../../src/tools/citations.js";
import { splitSentences } from "../../src/tools/grounding/index.js";
import { normalizeForMatch, type Fact, type GenerationItem } from "../datasets/schema.js";
import type { JudgeVerdict } from "./judge.js";
import { mean, percentile, ratio, round } from "./stats.js";

/** What running one item produced: the output contract, or the error it failed with. */
export interface RunOutcome {
  id: string;
  result?: GenerationResult;
  error?: { code: string; message: string };
  /** Wall time of the run as the eval runner measured it. */
  latencyMs: number;
}

export interface GenerationItemScore {
  id: string;
  query: string;
  /** The labelled query type. */
  queryType: QueryType;
  actualQueryType: QueryType | null;
  /** null when the run failed. */
  queryTypeCorrect: boolean | null;
  expectedModel: string;
  model: string | null;
  /** null when the run failed or `--model` forced the model. */
  modelCorrect: boolean | null;
  error: string | null;
  /** Citation numbers outside 1..k (stripped from the answer, reported as invalid). */
  invalidMarkers: number;
  sentences: number;
  citedSentences: number;
  /** Share of the answer's sentences that carry a marker. */
  coverage: number;
  mustCiteRecall: number;
  missedCitations: number[];
  factRecall: number;
  missedFacts: string[];
  /** Mean run-time support of the checked citations; null when none was checked. */
  meanSupport: number | null;
  checkedCitations: number;
  unsupportedCitations: number;
  uncitedClaims: number;
  judge: JudgeVerdict | null;
  latencyMs: number;
  inputTokens: number;
  outputTokens: number;
  /** Mean of must-cite recall, fact recall, supported share and coverage: sorts the worst items. */
  quality: number;
}

/** Facts of `facts` the answer states (any alternative, case and spacing ignored). */
export function factsStated(answer: string, facts: readonly Fact[]): { stated: string[]; missed: string[] } {
  const text = normalizeForMatch(answer);
  const stated: string[] = [];
  const missed: string[] = [];
  for (const f of facts) (f.anyOf.some((alt) => text.includes(normalizeForMatch(alt))) ? stated : missed).push(f.fact);
  return { stated, missed };
}

/** Sentences of the answer and how many carry a citation marker (own, or inherited from a lead-in). */
export function citationCoverage(answer: string): { sentences: number; cited: number; coverage: number } {
  const sentences = splitSentences(answer);
  const cited = sentences.filter((s) => s.indices.length > 0).length;
  return { sentences: sentences.length, cited, coverage: ratio(cited, sentences.length) };
}

/** Document numbers cited by valid markers of the answer. */
export function citedDocuments(answer: string, documentCount: number): Set<number> {
  return new Set(
    findCitationMarkers(answer)
      .flatMap((m) => m.indices)
      .filter((n) => n >= 1 && n <= documentCount),
  );
}

/** Scores one answer against its item. */
export function scoreGenerationItem(item: GenerationItem, outcome: RunOutcome, options: { modelForced?: boolean; judge?: JudgeVerdict | null } = {}): GenerationItemScore {
  const r = outcome.result;
  const answer = r?.answer ?? "";
  const cov = citationCoverage(answer);
  const cited = citedDocuments(answer, item.documents.length);
  const missedCitations = item.mustCite.filter((n) => !cited.has(n));
  const facts = factsStated(answer, item.mustState);
  const g = r?.grounding;
  const checked = g?.checkedCitations ?? 0;
  const unsupported = g?.unsupportedCitations ?? 0;
  const mustCiteRecall = r ? ratio(item.mustCite.length - missedCitations.length, item.mustCite.length) : 0;
  const factRecall = r ? ratio(facts.stated.length, item.mustState.length) : 0;
  const supportedShare = checked === 0 ? 0 : (checked - unsupported) / checked;
  return {
    id: item.id,
    query: item.query,
    queryType: item.queryType,
    actualQueryType: r?.queryType ?? null,
    queryTypeCorrect: r ? r.queryType === item.queryType : null,
    expectedModel: item.expectedModel,
    model: r?.model ?? null,
    modelCorrect: r && !options.modelForced ? r.model === item.expectedModel : null,
    error: outcome.error ? `${outcome.error.code}: ${outcome.error.message}` : null,
    invalidMarkers: r ? r.citations.filter((c) => !c.valid).length : 0,
    sentences: cov.sentences,
    citedSentences: cov.cited,
    coverage: r ? round(cov.coverage) : 0,
    mustCiteRecall: round(mustCiteRecall),
    missedCitations,
    factRecall: round(factRecall),
    missedFacts: facts.missed,
    meanSupport: g?.meanSupport ?? null,
    checkedCitations: checked,
    unsupportedCitations: unsupported,
    uncitedClaims: g?.uncitedClaims ?? 0,
    judge: options.judge ?? null,
    latencyMs: round(outcome.latencyMs, 1),
    inputTokens: r?.usage.inputTokens ?? 0,
    outputTokens: r?.usage.outputTokens ?? 0,
    quality: r ? round((mustCiteRecall + factRecall + supportedShare + cov.coverage) / 4) : 0,
  };
}

export interface GenerationGroupSummary {
  items: number;
  answered: number;
  mustCiteRecall: number;
  factRecall: number;
  coverage: number;
  meanSupport: number | null;
  latencyP50Ms: number | null;
}

export interface GenerationSummary extends GenerationGroupSummary {
  errors: number;
  routing: {
    queryTypeAccuracy: number;
    /** null when `--model` forced the model. */
    modelAccuracy: number | null;
    /** confusion[label][predicted] over answered items. */
    confusion: Record<QueryType, Record<QueryType, number>>;
  };
  citation: {
    /** Share of answers with no invalid marker. */
    validity: number;
    meanInvalidMarkers: number;
    coverage: number;
  };
  groundedness: {
    meanSupport: number | null;
    /** Share of checked citations at or above the support threshold (pooled over answers). */
    supportedShare: number | null;
    uncitedClaimsPerAnswer: number;
    judgeScore: number | null;
    judgeGroundedShare: number | null;
  };
  latencyMs: { p50: number | null; p95: number | null; mean: number | null };
  tokens: { inputPerAnswer: number | null; outputPerAnswer: number | null };
  perType: Partial<Record<QueryType, GenerationGroupSummary>>;
}

function group(scores: readonly GenerationItemScore[]): GenerationGroupSummary {
  const answered = scores.filter((s) => s.error === null);
  const supports = answered.map((s) => s.meanSupport).filter((v): v is number => v !== null);
  return {
    items: scores.length,
    answered: answered.length,
    mustCiteRecall: round(mean(scores.map((s) => s.mustCiteRecall)) ?? 0),
    factRecall: round(mean(scores.map((s) => s.factRecall)) ?? 0),
    coverage: round(mean(scores.map((s) => s.coverage)) ?? 0),
    meanSupport: supports.length === 0 ? null : round(mean(supports) ?? 0),
    latencyP50Ms: percentile(
      answered.map((s) => s.latencyMs),
      50,
    ),
  };
}

/** The aggregate of a generation run. Failed items count as zero for every recall. */
export function summarizeGeneration(scores: readonly GenerationItemScore[]): GenerationSummary {
  const answered = scores.filter((s) => s.error === null);
  const zeroRow = () => Object.fromEntries(QUERY_TYPES.map((t) => [t, 0])) as Record<QueryType, number>;
  const confusion = Object.fromEntries(QUERY_TYPES.map((t) => [t, zeroRow()])) as Record<QueryType, Record<QueryType, number>>;
  for (const s of answered) if (s.actualQueryType) confusion[s.queryType][s.actualQueryType] += 1;
  const modelJudged = answered.filter((s) => s.modelCorrect !== null);
  const checked = answered.reduce((n, s) => n + s.checkedCitations, 0);
  const unsupported = answered.reduce((n, s) => n + s.unsupportedCitations, 0);
  const judged = answered.map((s) => s.judge).filter((j): j is JudgeVerdict => j !== null);
  const latencies = answered.map((s) => s.latencyMs);
  const perType: GenerationSummary["perType"] = {};
  for (const t of QUERY_TYPES) {
    const of = scores.filter((s) => s.queryType === t);
    if (of.length > 0) perType[t] = group(of);
  }
  const opt = (v: number | null) => (v === null ? null : round(v));
  return {
    ...group(scores),
    errors: scores.length - answered.length,
    routing: {
      queryTypeAccuracy: round(ratio(answered.filter((s) => s.queryTypeCorrect).length, scores.length)),
      modelAccuracy: modelJudged.length === 0 && answered.length > 0 ? null : round(ratio(modelJudged.filter((s) => s.modelCorrect).length, scores.length)),
      confusion,
    },
    citation: {
      validity: round(ratio(answered.filter((s) => s.invalidMarkers === 0).length, scores.length)),
      meanInvalidMarkers: round(mean(answered.map((s) => s.invalidMarkers)) ?? 0),
      coverage: round(mean(scores.map((s) => s.coverage)) ?? 0),
    },
    groundedness: {
      meanSupport: opt(mean(answered.map((s) => s.meanSupport).filter((v): v is number => v !== null))),
      supportedShare: checked === 0 ? null : round((checked - unsupported) / checked),
      uncitedClaimsPerAnswer: round(mean(answered.map((s) => s.uncitedClaims)) ?? 0),
      judgeScore: opt(mean(judged.map((j) => j.score))),
      judgeGroundedShare: judged.length === 0 ? null : round(ratio(judged.filter((j) => j.grounded).length, judged.length)),
    },
    latencyMs: { p50: opt(percentile(latencies, 50)), p95: opt(percentile(latencies, 95)), mean: opt(mean(latencies)) },
    tokens: { inputPerAnswer: opt(mean(answered.map((s) => s.inputTokens))), outputPerAnswer: opt(mean(answered.map((s) => s.outputTokens))) },
    perType,
  };
}

/** The scores a baseline tracks (all 0..1, higher is better). */
export function generationHeadline(summary: GenerationSummary): Record<string, number> {
  const out: Record<string, number> = {
    "answered.rate": round(ratio(summary.answered, summary.items)),
    "routing.queryTypeAccuracy": summary.routing.queryTypeAccuracy,
    "citation.validity": summary.citation.validity,
    "citation.coverage": summary.citation.coverage,
    "mustCite.recall": summary.mustCiteRecall,
    "mustState.recall": summary.factRecall,
  };
  if (summary.routing.modelAccuracy !== null) out["routing.modelAccuracy"] = summary.routing.modelAccuracy;
  if (summary.groundedness.meanSupport !== null) out["grounded.meanSupport"] = summary.groundedness.meanSupport;
  if (summary.groundedness.supportedShare !== null) out["grounded.supportedShare"] = summary.groundedness.supportedShare;
  if (summary.groundedness.judgeScore !== null) out["judge.score"] = summary.groundedness.judgeScore;
  return out;
}
