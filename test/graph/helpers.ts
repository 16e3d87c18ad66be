/** Shared set-up of the graph tests: a silent config, the fake models, fixtures. */
import { isBaseMessage, type BaseMessage } from "@langchain/core/messages";
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { loadConfig, type BrunoConfig } from "../../src/config/config.js";
import { createGenerationGraph, type GenerationGraph } from "../../src/app/createGraph.js";
import type { ContextDocument } from "../../src/domain/index.js";
import { DEFAULT_CATALOG, type ModelCatalog } from "../../src/domain/catalog.js";
import type { Clock } from "../../src/runtime/clock.js";
import { staticModelServer } from "../../src/providers/ports.js";
import { createFakeModels, type FakeModels, type FakeModelsOptions, type FakeScript } from "../support/fakeModels.js";

/** Every tag of the default catalog. */
export const ALL_MODELS: readonly string[] = DEFAULT_CATALOG.models.map((m) => m.tag);

/**
 * Settings from an empty environment (plus `env`), logging off. Retries on the same model are
 * off (`BRUNO_RETRY_ATTEMPTS=1`, ignored by versions without retries) so that a failure moves
 * straight to the fallback chain these tests are about, without backoff sleeps.
 */
export function testConfig(env: Record<string, string> = {}): BrunoConfig {
  return loadConfig({ env: { LOG_LEVEL: "silent", BRUNO_RETRY_ATTEMPTS: "1", ...env } });
}

/** A clock that moves `stepMs` forward on every reading. */
export function steppingClock(start = 1_700_000_000_000, stepMs = 10): Clock & { readings: number } {
  let t = start;
  const clock = {
    readings: 0,
    now: () => {
      clock.readings += 1;
      const v = t;
      t += stepMs;
      return v;
    },
  };
  return clock;
}

export interface GraphSetup {
  script?: FakeScript;
  fakeOptions?: FakeModelsOptions;
  installed?: readonly string[];
  env?: Record<string, string>;
  checkpointer?: BaseCheckpointSaver;
  catalog?: ModelCatalog;
  clock?: Clock;
}

export interface TestGraph {
  graph: GenerationGraph;
  fake: FakeModels;
  config: BrunoConfig;
}

export function makeGraph(setup: GraphSetup = {}): TestGraph {
  const fake = createFakeModels(setup.script ?? {}, setup.fakeOptions);
  const config = testConfig(setup.env);
  const graph = createGenerationGraph({
    config,
    admin: staticModelServer(setup.installed ?? ALL_MODELS),
    chatModelFactory: fake.factory,
    ...(setup.catalog ? { catalog: setup.catalog } : {}),
    ...(setup.checkpointer ? { checkpointer: setup.checkpointer } : {}),
    ...(setup.clock ? { clock: setup.clock } : {}),
  });
  return { graph, fake, config };
}

export const LOKI_DOCS: ContextDocument[] = [
  { content: "Loki ingesters are OOMKilled when the per-stream chunk cache exceeds the memory limit.", title: "Loki OOM", source: "runbooks/loki-oom.md", score: 0.92 },
  { content: "Raise ingester memory limits in the Helm values, or lower chunk_target_size.", title: "Loki tuning", source: "runbooks/loki-tuning.md", score: 0.81 },
];

/**
 * Answer sentences that restate `LOKI_DOCS[0]` / `LOKI_DOCS[1]`, so that content checks of the
 * answer against its cited documents (grounding) have nothing to report about them.
 */
export const GROUNDED_1 = "Loki ingesters are OOMKilled when the chunk cache exceeds the memory limit [1].";
export const GROUNDED_2 = "Raise ingester memory limits in the Helm values [2].";

/** Classified as troubleshooting (a symptom) → the SRE route. */
export const TROUBLESHOOTING_QUERY = "loki ingester pods keep crashing";
/** Classified as code_generation → the code route. */
export const CODE_QUERY = "write a promql alert rule for disk almost full";
/** Classified as explanation, simple. */
export const EXPLANATION_QUERY = "what is a prometheus recording rule?";

/** Waits (polling every 2 ms, at most `timeoutMs`) until `condition` holds. */
export async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Collects the error an async call rejects with (fails when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to reject, but it resolved");
}

/** The messages checkpointed for a thread (none when the thread has no state yet). */
export async function threadMessages(graph: GenerationGraph, threadId: string): Promise<BaseMessage[]> {
  const snapshot = await graph.getState({ configurable: { thread_id: threadId } });
  const values: unknown = snapshot.values;
  const messages: unknown = typeof values === "object" && values !== null && "messages" in values ? values.messages : undefined;
  if (messages === undefined) return [];
  if (!Array.isArray(messages)) throw new Error(`thread ${threadId}: messages is not an array`);
  return messages.map((m: unknown) => {
    if (!isBaseMessage(m)) throw new Error(`thread ${threadId}: a checkpointed message is not a BaseMessage: ${JSON.stringify(m)}`);
    return m;
  });
}
