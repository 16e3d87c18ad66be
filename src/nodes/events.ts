import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { GenerationEvent } from "../domain/events.js";
import type { GenerationDeps } from "./deps.js";

/** Writes `event` to the run's "custom" stream and records it (metrics, the node's span). */
export function emitStreamEvent(deps: GenerationDeps, config: LangGraphRunnableConfig, event: GenerationEvent): void {
  config.writer?.(event);
  deps.telemetry.recordStreamEvent(config, event);
}
