/**
 * What the nodes report while a turn runs. Each node writes these to the graph's "custom"
 * stream (`streamMode: "custom"`) and to telemetry; the CLI, the HTTP stream and the metrics
 * listen to them instead of reading the nodes' state updates.
 */
import type { Complexity, QueryType } from "./queryTypes.js";
import type { GroundingSummary, Usage } from "./schemas.js";

/** The states of a (host, model) circuit breaker. */
export type CircuitStateName = "closed" | "open" | "half-open" | "isolated";

/** What the resilience layer did on the way to a result. */
export type ResilienceEvent =
  | { type: "retry"; host: string; model: string; attempt: number; delayMs: number; code: string }
  | { type: "circuit"; host: string; model: string; state: CircuitStateName }
  | { type: "queued"; host: string; waitMs: number };

/** Every event of a turn, by `type`. */
export type GenerationEvent =
  | ResilienceEvent
  /** classify: how the query was read. */
  | { type: "classified"; queryType: QueryType; complexity: Complexity; requiresCode: boolean }
  /** selectModel: the chain of installed models to try, and why its first one. */
  | { type: "model_selected"; preferred: string; chain: string[]; reason: string }
  /** buildPrompt: the prompt for `model`, and what did not fit its window. */
  | { type: "prompt_built"; model: string; numCtx: number; documents: number; droppedDocuments: number; droppedTurns: number }
  /** A model is done with and the next one of the chain takes over. */
  | { type: "fallback"; from: string; to: string; code: string; outcome: "failed" | "skipped" }
  /** A model was passed over without a request (its circuit is open). */
  | { type: "skipped"; model: string; code: string }
  /**
   * Text of an abandoned attempt already streamed: what follows replaces it (`retry`: the same
   * model again; `fallback`: the next model; `failover`: the same model on another host).
   */
  | { type: "answer_restart"; model: string; next: string; reason: "retry" | "fallback" | "failover" }
  /** Several Ollama hosts: a host failed (`code`) and the same model is tried on the next host that has it. */
  | { type: "failover"; model: string; from: string; to: string; code: string }
  /** A model answered (`cached`: from the response cache, nothing evaluated; `host`: which server, with several). */
  | { type: "answered"; model: string; usage: Usage; cached: boolean; host?: string }
  /** validateCitations: markers that point at no document, sent back for one repair round. */
  | { type: "repair"; markers: number[]; documents: number }
  /** The repair round failed; the first answer is kept. */
  | { type: "repair_failed"; code: string }
  /**
   * The final citation check: markers fixed by the repair round, markers removed from the
   * answer, and which of those were not seen before (the repair round added them).
   */
  | { type: "citations_checked"; repaired: number[]; stripped: number[]; newlyInvalid: number[] }
  /** The run-time grounding check of the final answer. */
  | { type: "grounding"; summary: GroundingSummary };
