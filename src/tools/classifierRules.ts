import type { QueryType } from "../domain/index.js";
import type { Signal } from "./routing/signal.js";
import { CODE_NOUNS } from "./routing/vocabulary.js";

/**
 * The classifier's rules as data. Classification runs in two layers:
 *
 * 1. Structural features (`FEATURE_PATTERNS`, read by small detectors in `classifier.ts`):
 *    pasted config/code, an inline PromQL/LogQL expression, a pasted or quoted error artifact,
 *    a request for a verdict, a request for code. `PRIORITY_RULES` turn combinations of them
 *    into a type directly (pasted code + verdict question → code_review; pasted error
 *    artifact → debug_issue).
 * 2. Otherwise each signal is a pattern with a weight towards one query type; the type with
 *    the highest total wins, ties broken by `TIE_BREAK_ORDER`.
 *
 * 3. When no priority rule fired and the two best scores are close (`LEARNED_GATE`), a naive-Bayes
 *    model trained at build time on the development set (`routing/naiveBayes.ts`) may decide.
 *
 * Every pattern is a general linguistic or structural cue (request forms, artifact nouns,
 * symptom wording, log/kubectl shapes), never a string copied from an evaluation item. Tuned
 * on the development part of the routing set only (`evals/datasets/routing.jsonl`); the held-out
 * part (`routing.heldout.jsonl`) measures them (`npm run eval -- --dataset routing`).
 */
export type { Signal, SignalTable } from "./routing/signal.js";

// ---------------------------------------------------------------------------------------------
// Layer 1: structural features and priority rules
// ---------------------------------------------------------------------------------------------

export { FEATURE_PATTERNS, ARTIFACT_LEAD, type Feature } from "./routing/features.js";
import type { Feature } from "./routing/features.js";

/** A combination of features that decides the type before any scoring. First match wins. */
export interface PriorityRule {
  type: QueryType;
  /** Every one of these features must be present. */
  all: Feature[];
  /** None of these may be present. */
  none: Feature[];
  /** Added to the type's score so explanations show the winner on top. */
  weight: number;
  label: string;
}

export const PRIORITY_RULES: PriorityRule[] = [
  { type: "code_review", all: ["pastedCode", "verdictQuestion"], none: ["errorArtifact"], weight: 10, label: "pasted code with a request for a verdict" },
  { type: "code_review", all: ["inlineQuery", "verdictQuestion"], none: ["errorArtifact"], weight: 10, label: "inline query with a request for a verdict" },
  { type: "code_review", all: ["pastedCode", "refersToGivenCode"], none: ["errorArtifact", "codeRequest"], weight: 10, label: "question about pasted code" },
  { type: "code_review", all: ["pastedCode", "questionAboutGiven"], none: ["errorArtifact", "codeRequest"], weight: 10, label: "does this pasted code do what I think" },
  { type: "code_generation", all: ["leadingCodeRequest"], none: ["pastedCode", "errorArtifact", "verdictQuestion", "questionAboutGiven"], weight: 10, label: "opens with a request for code" },
  { type: "explanation", all: ["generalMeaningQuestion"], none: ["pastedCode"], weight: 10, label: "asks what a code or message means in general" },
  { type: "debug_issue", all: ["errorArtifact"], none: ["verdictQuestion", "codeRequest"], weight: 10, label: "pasted or quoted error artifact" },
  { type: "debug_issue", all: ["errorArtifact", "asksForFix"], none: ["verdictQuestion"], weight: 10, label: "pasted error artifact with a request for a fix" },
];

// Layer 2, the weighted signals, is in `routing/signals.ts`.
export { SIGNALS } from "./routing/signals.js";

/** When two types score the same, the earlier one wins. */
export const TIE_BREAK_ORDER: readonly QueryType[] = ["debug_issue", "code_review", "code_generation", "lookup_runbook", "troubleshooting", "explanation", "chat"];

/**
 * When the learned model (`routing/naiveBayes.ts`) decides instead of the rules: no priority rule
 * fired, the rules' two best scores are less than `margin` apart, and the model gives its choice
 * a posterior of at least `minPosterior`. Chosen on development queries that the rules had not
 * been tuned on (evals/datasets/README.md).
 */
export const LEARNED_GATE = { margin: 3, minPosterior: 0.6 } as const;

/** The type of a query that no signal matches. */
export const DEFAULT_QUERY_TYPE: QueryType = "explanation";

/** Signals that the user explicitly wants code or config in the answer, whatever the type. */
export const CODE_REQUEST_SIGNALS: Signal[] = [
  {
    pattern: new RegExp(`\\b(give me|gimme|show me|write|generate|need|want|paste|share|send|provide|with|include)\\b[^.?!\\n]{0,30}\\b${CODE_NOUNS}\\b`, "i"),
    weight: 1,
    label: "asks for code or config",
  },
  { pattern: /\b(promql|logql|traceql) (to|for|that)\b/i, weight: 1, label: "asks for a query" },
];

export * from "./routing/complexityRules.js";
