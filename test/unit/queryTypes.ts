import type { QueryType } from "../../src/domain/index.js";

/**
 * Every QueryType, checked at compile time (a missing or extra key is a type error), without
 * loading `src/graph/state.ts` at runtime: that module pulls in LangGraph, which costs about half
 * a second per test file. `classifier.test.ts` checks this list against `QUERY_TYPES`.
 */
const EVERY_QUERY_TYPE: Record<QueryType, true> = {
  troubleshooting: true,
  debug_issue: true,
  lookup_runbook: true,
  code_generation: true,
  code_review: true,
  explanation: true,
  chat: true,
};

export const ALL_QUERY_TYPES = Object.keys(EVERY_QUERY_TYPE) as QueryType[];
