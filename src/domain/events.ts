/** The states of a (host, model) circuit breaker. */
export type CircuitStateName = "closed" | "open" | "half-open" | "isolated";

/** What the resilience layer did on the way to a result, for logs, metrics and stream events. */
export type ResilienceEvent =
  | { type: "retry"; host: string; model: string; attempt: number; delayMs: number; code: string }
  | { type: "circuit"; host: string; model: string; state: CircuitStateName }
  | { type: "queued"; host: string; waitMs: number };

/** Events the nodes write to the graph's "custom" stream. */
export type GenerateStreamEvent =
  | ResilienceEvent
  | { type: "fallback"; from: string; to: string; code: string }
  | { type: "skipped"; model: string; code: string };
