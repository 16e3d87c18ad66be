/**
 * Wrappers that report a graph's nodes to `Telemetry` without LangChain callbacks: a node's
 * duration and span. What a node did, it reports itself as events (`Telemetry.recordStreamEvent`).
 */
import type { RunnableConfig } from "@langchain/core/runnables";
import type { Logger } from "pino";
import type { Telemetry } from "./telemetry.js";

/** Where a wrapped node reports; resolved per call, so building a graph stays free. */
export type TelemetryTarget = () => { telemetry: Telemetry; logger: Logger };

/** `fn`, reporting each execution as the node `name`: its duration and span. */
export function instrumentNode<S, C extends RunnableConfig, U>(name: string, target: TelemetryTarget, fn: (state: S, config: C) => Promise<U>): (state: S, config: C) => Promise<U> {
  const instrumented = async (state: S, config: C): Promise<U> => {
    const { telemetry } = target();
    const node = telemetry.tracker.startNode(config, name);
    let update: U;
    try {
      update = await fn(state, config);
    } catch (error) {
      telemetry.tracker.failNode(node, error);
      throw error;
    }
    telemetry.tracker.endNode(node);
    return update;
  };
  Object.defineProperty(instrumented, "name", { value: fn.name || name });
  return instrumented;
}
