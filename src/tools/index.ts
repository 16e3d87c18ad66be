/**
 * The tools layer: deterministic, LLM-free capabilities that the nodes call. Given the same input
 * they return the same output, call no chat model and do no I/O of their own (the optional
 * embedder that grounding refines with is passed in from `src/providers`), so each is tested on
 * its own.
 *
 * What belongs here:
 * - classification of a query (type, complexity, whether code is asked for) and its rule tables
 *   (`classifier`, `classifierRules`, `routing/`);
 * - routing a classified query to a model role and tag (`router`);
 * - citation markers: finding, checking and stripping `[N]` (`citations`);
 * - grounding an answer's citations in the documents they cite (`grounding/`);
 * - context budgeting: token estimates and fitting documents and history into a window (`tokens`);
 * - text helpers over model messages: text, thinking blocks, usage counts (`usage`).
 *
 * What does not: anything doing I/O — model servers, chat models, embedders, files, HTTP —
 * belongs in `src/providers`; run machinery — retries, deadlines, caches, locks, clocks —
 * belongs in `src/runtime`. Tools import only `src/domain`, `src/config` and packages.
 *
 * The exports below are the tools' public surface; the rule tables and the grounding parts
 * are imported from their own modules by the code that tunes or tests them.
 */
export { classifyQuery, type Classification, type ClassifyOptions } from "./classifier.js";
export { FAST_LATENCY_MS, preferredModel, routeRole, type RouteDecision, type RouteInput } from "./router.js";
export { checkCitations, findCitationMarkers, formatMarkers, stripInvalidCitations, type CitationCheck, type CitationMarker } from "./citations.js";
export { groundAnswer, refineWithEmbeddings, splitSentences, type GroundingOptions, type GroundingResult, type TextEmbedder } from "./grounding/index.js";
export { fitContext, TokenEstimator, TOKENS_PER_MESSAGE, type ContextBudget, type ContextBudgetInput } from "./tokens.js";
export { messageText, stripThinking, usageFromMessage } from "./usage.js";
