import type { QueryType } from "../../domain/index.js";

/** One weighted cue of the classifier's rules: a pattern that points at a query type (or at complexity). */
export interface Signal {
  pattern: RegExp;
  weight: number;
  /** Why the pattern points at its type; shown in routing explanations. */
  label: string;
}

/** Signals per query type. */
export type SignalTable = Record<QueryType, Signal[]>;
