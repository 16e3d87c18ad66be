import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { GenerationDeps } from "../graph/deps.js";
import type { ResilienceEvent } from "../tools/resilience.js";

/** Events the nodes write to the graph's "custom" stream. */
export type GenerateStreamEvent =
  | ResilienceEvent
  | { type: "fallback"; from: string; to: string; code: string }
  | { type: "skipped"; model: string; code: string };

/** Writes `event` to the run's "custom" stream and records it (metrics, the node's span). */
export function emitStreamEvent(deps: GenerationDeps, config: LangGraphRunnableConfig, event: GenerateStreamEvent): void {
  config.writer?.(event);
  deps.telemetry.recordStreamEvent(config, event);
}
