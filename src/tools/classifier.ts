import { QUERY_TYPES, type Complexity, type QueryType } from "../graph/state.js";
import {
  CODE_REQUEST_SIGNALS,
  COMPLEX_LINE_COUNT,
  COMPLEX_THRESHOLD,
  COMPLEX_WORD_COUNT,
  COMPLEXITY_SIGNALS,
  DEFAULT_QUERY_TYPE,
  SIGNALS,
  TIE_BREAK_ORDER,
  type Signal,
  type SignalTable,
} from "./classifierRules.js";

export interface Classification {
  queryType: QueryType;
  complexity: Complexity;
  requiresCode: boolean;
  /** Score per type, for explanations and evals. */
  scores: Record<QueryType, number>;
  /** Labels of the signals that fired for the winning type. */
  matched: string[];
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

/** Whether the deliverable of a query of this type is code by definition. */
export function isCodeType(type: QueryType): boolean {
  switch (type) {
    case "code_generation":
    case "code_review":
      return true;
    case "troubleshooting":
    case "debug_issue":
    case "lookup_runbook":
    case "explanation":
    case "chat":
      return false;
  }
}

/** Picks the query type with the highest score; `DEFAULT_QUERY_TYPE` when nothing fires. */
export function classifyType(query: string, table: SignalTable = SIGNALS): { queryType: QueryType; scores: Record<QueryType, number>; matched: string[] } {
  const scores = {} as Record<QueryType, number>;
  const labels = {} as Record<QueryType, string[]>;
  for (const type of QUERY_TYPES) {
    const r = score(table[type], query);
    scores[type] = r.total;
    labels[type] = r.labels;
  }
  let best: QueryType = DEFAULT_QUERY_TYPE;
  let bestScore = 0;
  for (const type of TIE_BREAK_ORDER) {
    if (scores[type] > bestScore) {
      best = type;
      bestScore = scores[type];
    }
  }
  return { queryType: best, scores, matched: labels[best] };
}

/** simple | complex from length, pasted lines and multi-part wording. */
export function classifyComplexity(query: string): Complexity {
  const words = query.trim().split(/\s+/).filter(Boolean).length;
  const lines = query.split("\n").filter((l) => l.trim() !== "").length;
  if (words >= COMPLEX_WORD_COUNT || lines >= COMPLEX_LINE_COUNT) return "complex";
  return score(COMPLEXITY_SIGNALS, query).total >= COMPLEX_THRESHOLD ? "complex" : "simple";
}

/** True when the type is a code type or the query explicitly asks for code or config. */
export function classifyRequiresCode(query: string, type: QueryType): boolean {
  if (isCodeType(type)) return true;
  if (type === "chat") return false;
  return score(CODE_REQUEST_SIGNALS, query).total > 0;
}

/**
 * Classifies a query with deterministic rules (no model call). An upstream `queryType`
 * wins over the rules; complexity and requiresCode are still derived from the text.
 */
export function classifyQuery(query: string, upstreamType?: QueryType): Classification {
  const typed = classifyType(query);
  const queryType = upstreamType ?? typed.queryType;
  return {
    queryType,
    complexity: classifyComplexity(query),
    requiresCode: classifyRequiresCode(query, queryType),
    scores: typed.scores,
    matched: upstreamType ? ["upstream classification"] : typed.matched,
  };
}
