import { QUERY_TYPES, type QueryType } from "../../src/domain/index.js";

/**
 * The coarse family of a query type, the level at which a wrong type changes the kind of answer:
 * `ops` (troubleshooting, debug_issue, lookup_runbook: the SRE model and the troubleshooting
 * template), `code` (code_generation, code_review: a code deliverable), `explanation` and `chat`.
 * A confusion inside a family (troubleshooting ↔ debug_issue) keeps the model and template.
 */
export type QueryFamily = "ops" | "code" | "explanation" | "chat";

export const QUERY_FAMILY: Readonly<Record<QueryType, QueryFamily>> = {
  troubleshooting: "ops",
  debug_issue: "ops",
  lookup_runbook: "ops",
  code_generation: "code",
  code_review: "code",
  explanation: "explanation",
  chat: "chat",
};

/** The family of a query type. */
export function familyOf(type: QueryType): QueryFamily {
  return QUERY_FAMILY[type];
}

/** One prediction next to its label. */
export interface RoutingOutcome {
  id: string;
  query: string;
  expected: { queryType: QueryType; complexity: string; requiresCode: boolean; model: string };
  actual: { queryType: QueryType; complexity: string; requiresCode: boolean; model: string };
}

export interface RoutingScores {
  items: number;
  queryTypeAccuracy: number;
  /** Predicted type in the same family as the label (see `QUERY_FAMILY`). */
  familyAccuracy: number;
  complexityAccuracy: number;
  requiresCodeAccuracy: number;
  modelAccuracy: number;
  /** confusion[expected][actual] = count. */
  confusion: Record<QueryType, Record<QueryType, number>>;
  /** Per expected type: precision, recall and support. */
  perType: Record<QueryType, { precision: number; recall: number; support: number }>;
}

const ratio = (n: number, d: number) => (d === 0 ? 0 : n / d);

/** Accuracy of each routing decision, a confusion matrix and per-type precision/recall. */
export function scoreRouting(outcomes: readonly RoutingOutcome[]): RoutingScores {
  const zeroRow = () => Object.fromEntries(QUERY_TYPES.map((t) => [t, 0])) as Record<QueryType, number>;
  const confusion = Object.fromEntries(QUERY_TYPES.map((t) => [t, zeroRow()])) as Record<QueryType, Record<QueryType, number>>;
  let type = 0;
  let family = 0;
  let complexity = 0;
  let code = 0;
  let model = 0;
  for (const o of outcomes) {
    confusion[o.expected.queryType][o.actual.queryType] += 1;
    if (o.expected.queryType === o.actual.queryType) type++;
    if (familyOf(o.expected.queryType) === familyOf(o.actual.queryType)) family++;
    if (o.expected.complexity === o.actual.complexity) complexity++;
    if (o.expected.requiresCode === o.actual.requiresCode) code++;
    if (o.expected.model === o.actual.model) model++;
  }
  const perType = Object.fromEntries(
    QUERY_TYPES.map((t) => {
      const tp = confusion[t][t];
      const support = QUERY_TYPES.reduce((n, a) => n + confusion[t][a], 0);
      const predicted = QUERY_TYPES.reduce((n, e) => n + confusion[e][t], 0);
      return [t, { precision: ratio(tp, predicted), recall: ratio(tp, support), support }];
    }),
  ) as RoutingScores["perType"];
  const n = outcomes.length;
  return {
    items: n,
    queryTypeAccuracy: ratio(type, n),
    familyAccuracy: ratio(family, n),
    complexityAccuracy: ratio(complexity, n),
    requiresCodeAccuracy: ratio(code, n),
    modelAccuracy: ratio(model, n),
    confusion,
    perType,
  };
}
