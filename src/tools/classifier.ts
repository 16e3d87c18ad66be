import { QUERY_TYPES, traitsOf, type Complexity, type QueryType } from "../domain/index.js";
import weightsFile from "./routing/naiveBayesWeights.json" with { type: "json" };
import { checkWeights, NaiveBayesModel, routingFeatures } from "./routing/naiveBayes.js";
import {
  CODE_REQUEST_SIGNALS,
  COMPLEX_COMPONENT_COUNT,
  COMPLEX_LINE_COUNT,
  COMPLEX_SIBLING_COUNT,
  COMPLEX_SYMPTOM_COUNT,
  COMPLEX_THRESHOLD,
  COMPLEX_WORD_COUNT,
  COMPLEXITY_SIGNALS,
  COMPONENTS,
  DEFAULT_QUERY_TYPE,
  FEATURE_PATTERNS,
  LEARNED_GATE,
  PRIORITY_RULES,
  SIGNALS,
  SYMPTOM_PATTERN,
  TIE_BREAK_ORDER,
  type Feature,
  type Signal,
  type SignalTable,
} from "./classifierRules.js";

export interface Classification {
  queryType: QueryType;
  complexity: Complexity;
  requiresCode: boolean;
  /** Score per type, for explanations and evals. */
  scores: Record<QueryType, number>;
  /** Labels of the signals that fired for the winning type (or why the learned model decided). */
  matched: string[];
  /** Who picked the type: an upstream classification, the rules, or the learned model when the rules were unsure. */
  decidedBy: "upstream" | "rules" | "model";
}

/** The rules' verdict on a query's type. */
export interface RulesVerdict {
  queryType: QueryType;
  scores: Record<QueryType, number>;
  matched: string[];
  /** How far the winner is ahead of the runner-up; Infinity when a structural priority rule decided. */
  margin: number;
}

function score(signals: readonly Signal[], text: string): { total: number; labels: string[] } {
  let total = 0;
  const labels: string[] = [];
  for (const s of signals) {
    if (s.pattern.test(text)) {
      total += s.weight;
      labels.push(s.label);
    }
  }
  return { total, labels };
}

const nonEmptyLines = (query: string): string[] => query.split("\n").filter((l) => l.trim() !== "");

// ---------------------------------------------------------------------------------------------
// Structural feature detectors (pure functions of the raw text)
// ---------------------------------------------------------------------------------------------

/** Lines that look like pasted config or code (YAML keys, list items, HCL, Dockerfile). */
export function codeLines(query: string): string[] {
  return query.split("\n").filter((line) => FEATURE_PATTERNS.codeLine.some((p) => p.test(line)));
}

/** Pasted config or code: a code fence, or at least two config-looking lines on their own lines. */
export function hasPastedCode(query: string): boolean {
  if (FEATURE_PATTERNS.codeFence.test(query)) return true;
  if (!query.includes("\n")) return false;
  return codeLines(query).length >= 2;
}

/** A PromQL/LogQL expression typed inline. */
export function hasInlineQuery(query: string): boolean {
  return FEATURE_PATTERNS.inlineQuery.some((p) => p.test(query));
}

/** A pasted or quoted error artifact: a log line, stack trace, exit code, kubectl/flux/helm output, an error message. */
export function hasErrorArtifact(query: string): boolean {
  return FEATURE_PATTERNS.errorArtifact.some((p) => p.test(query));
}

const FEATURE_DETECTORS: Record<Feature, (query: string) => boolean> = {
  pastedCode: hasPastedCode,
  inlineQuery: hasInlineQuery,
  errorArtifact: hasErrorArtifact,
  verdictQuestion: (q) => FEATURE_PATTERNS.verdictQuestion.test(q),
  questionAboutGiven: (q) => FEATURE_PATTERNS.questionAboutGiven.test(q),
  refersToGivenCode: (q) => FEATURE_PATTERNS.refersToGivenCode.test(q),
  codeRequest: (q) => FEATURE_PATTERNS.codeRequest.test(q),
  leadingCodeRequest: (q) => FEATURE_PATTERNS.leadingCodeRequest.some((p) => p.test(q)),
  asksForFix: (q) => FEATURE_PATTERNS.asksForFix.test(q),
  generalMeaningQuestion: (q) => FEATURE_PATTERNS.generalMeaningQuestion.test(q.trim()),
};

/** Which structural features a query has. */
export function detectFeatures(query: string): Record<Feature, boolean> {
  const out = {} as Record<Feature, boolean>;
  for (const [name, detect] of Object.entries(FEATURE_DETECTORS) as Array<[Feature, (q: string) => boolean]>) out[name] = detect(query);
  return out;
}

/** Number of distinct stack components a query names. */
export function componentCount(query: string): number {
  return COMPONENTS.filter((p) => p.test(query)).length;
}

/** Number of distinct symptom words a query reports ("restarting", "slow", "evicted"). */
export function symptomCount(query: string): number {
  return new Set(Array.from(query.matchAll(SYMPTOM_PATTERN), (m) => m[0].toLowerCase())).size;
}

/**
 * Largest group of sibling entries in pasted input: rows of a table under a header, or list
 * items that start with the same key (`- record:` three times).
 */
export function siblingCount(query: string): number {
  const lines = nonEmptyLines(query);
  const counts = new Map<string, number>();
  for (const line of lines) {
    const item = /^(\s*)-\s+([\w.-]+):/.exec(line);
    if (item) {
      const key = `list:${item[1]?.length ?? 0}:${item[2] ?? ""}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  let best = Math.max(0, ...counts.values());
  const header = lines.findIndex((l) => /^\s*NAME\s{1,}\S/.test(l));
  if (header >= 0) {
    let rows = 0;
    for (const l of lines.slice(header + 1)) {
      if (/^\s*\S+\s{1,}\S+\s{1,}\S+/.test(l) && !/:\s/.test(l)) rows++;
      else break;
    }
    best = Math.max(best, rows);
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/** Whether the deliverable of a query of this type is code by definition. */
export function isCodeType(type: QueryType): boolean {
  return traitsOf(type).needsCode;
}

/**
 * The rules' query type: first the structural `PRIORITY_RULES` (pasted code + verdict question,
 * a leading code request, a general meaning question, a pasted error artifact), then the highest
 * total signal score; `DEFAULT_QUERY_TYPE` when nothing fires. `margin` says how sure they are.
 */
export function classifyType(query: string, table: SignalTable = SIGNALS, features: Record<Feature, boolean> = detectFeatures(query)): RulesVerdict {
  const scores = {} as Record<QueryType, number>;
  const labels = {} as Record<QueryType, string[]>;
  for (const type of QUERY_TYPES) {
    const r = score(table[type], query);
    scores[type] = r.total;
    labels[type] = r.labels;
  }

  const priority = PRIORITY_RULES.find((rule) => rule.all.every((f) => features[f]) && !rule.none.some((f) => features[f]));
  if (priority) {
    scores[priority.type] += priority.weight;
    return { queryType: priority.type, scores, matched: [priority.label, ...labels[priority.type]], margin: Number.POSITIVE_INFINITY };
  }

  let best: QueryType = DEFAULT_QUERY_TYPE;
  let bestScore = 0;
  for (const type of TIE_BREAK_ORDER) {
    if (scores[type] > bestScore) {
      best = type;
      bestScore = scores[type];
    }
  }
  const runnerUp = Math.max(0, ...QUERY_TYPES.filter((t) => t !== best).map((t) => scores[t]));
  return { queryType: best, scores, matched: bestScore > 0 ? labels[best] : [], margin: bestScore - runnerUp };
}

export interface ClassifyOptions {
  /** Consult the learned model when the rules are unsure (default true; false: the rules alone). */
  learned?: boolean;
}

let model: NaiveBayesModel | undefined;

/** The learned component, built from the committed weights file on first use. */
export function routingModel(): NaiveBayesModel {
  if (!model) {
    try {
      model = new NaiveBayesModel(checkWeights(weightsFile));
    } catch (error) {
      throw new Error(`src/tools/routing/naiveBayesWeights.json: ${(error as Error).message}; regenerate it with npm run train:routing`, { cause: error });
    }
  }
  return model;
}

/**
 * The query type: the rules' verdict, unless the rules are unsure (no priority rule fired and
 * the two best scores are less than `LEARNED_GATE.margin` apart) and the learned model is at
 * least `LEARNED_GATE.minPosterior` sure of another type.
 */
export function decideType(query: string, options: ClassifyOptions = {}): RulesVerdict & { decidedBy: "rules" | "model" } {
  const features = detectFeatures(query);
  const rules = classifyType(query, SIGNALS, features);
  if (options.learned === false || rules.margin >= LEARNED_GATE.margin) return { ...rules, decidedBy: "rules" };
  const prediction = routingModel().predict(routingFeatures(query, features));
  const confidence = prediction.posterior[prediction.queryType];
  if (prediction.queryType === rules.queryType || confidence < LEARNED_GATE.minPosterior) return { ...rules, decidedBy: "rules" };
  const label = `learned model, ${Math.round(confidence * 100)}% sure (rules' margin ${rules.margin.toFixed(1)} < ${LEARNED_GATE.margin})`;
  return { ...rules, queryType: prediction.queryType, matched: [label], decidedBy: "model" };
}

/** simple | complex from length, pasted lines, several components or items, and multi-part wording. */
export function classifyComplexity(query: string): Complexity {
  const words = query.trim().split(/\s+/).filter(Boolean).length;
  const lines = nonEmptyLines(query).length;
  if (words >= COMPLEX_WORD_COUNT || lines >= COMPLEX_LINE_COUNT) return "complex";
  if (siblingCount(query) >= COMPLEX_SIBLING_COUNT) return "complex";
  if (componentCount(query) >= COMPLEX_COMPONENT_COUNT) return "complex";
  if (symptomCount(query) >= COMPLEX_SYMPTOM_COUNT) return "complex";
  return score(COMPLEXITY_SIGNALS, query).total >= COMPLEX_THRESHOLD ? "complex" : "simple";
}

/** True when the type is a code type or the query explicitly asks for code or config. */
export function classifyRequiresCode(query: string, type: QueryType): boolean {
  if (isCodeType(type)) return true;
  if (type === "chat") return false;
  return score(CODE_REQUEST_SIGNALS, query).total > 0;
}

/**
 * Classifies a query deterministically, without a model call: the rules, and the build-time
 * naive-Bayes model when the rules are unsure (`decideType`). An upstream `queryType` wins over
 * both; complexity and requiresCode are still derived from the text.
 */
export function classifyQuery(query: string, upstreamType?: QueryType, options: ClassifyOptions = {}): Classification {
  const typed = decideType(query, options);
  const queryType = upstreamType ?? typed.queryType;
  return {
    queryType,
    complexity: classifyComplexity(query),
    requiresCode: classifyRequiresCode(query, queryType),
    scores: typed.scores,
    matched: upstreamType ? ["upstream classification"] : typed.matched,
    decidedBy: upstreamType ? "upstream" : typed.decidedBy,
  };
}
