/**
 * Checkpoint writes per turn: one checkpoint at the end of a turn unless the caller asks for
 * LangGraph's per-step durability, and the same thread state either way.
 */
import type { RunnableConfig } from "@langchain/core/runnables";
import { MemorySaver, type Checkpoint, type CheckpointMetadata } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { DEFAULT_DURABILITY, withDefaultDurability } from "../../src/graph/runGuard.js";
import { GROUNDED_1, LOKI_DOCS, makeGraph, rejectionOf, threadMessages, TROUBLESHOOTING_QUERY } from "./helpers.js";

/** A MemorySaver that counts the checkpoints written. */
class CountingSaver extends MemorySaver {
  puts = 0;
  override async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata): Promise<RunnableConfig> {
    this.puts += 1;
    return super.put(config, checkpoint, metadata);
  }
}

const thread = (id: string) => ({ configurable: { thread_id: id } });

describe("withDefaultDurability", () => {
  it.each<[string, Parameters<typeof withDefaultDurability>[0], string | undefined]>([
    ["no options", undefined, DEFAULT_DURABILITY],
    ["options without durability", { configurable: { thread_id: "t" } }, DEFAULT_DURABILITY],
    ["the caller's durability", { durability: "async" as const }, "async"],
    ["the caller's sync durability", { durability: "sync" as const }, "sync"],
    ["checkpointDuring set by the caller", { checkpointDuring: true }, undefined],
    ["a run nested in a parent graph's node", { configurable: { __pregel_task_id: "task-1" } }, undefined],
  ])("%s → %s", (_label, options, expected) => {
    expect(withDefaultDurability(options)?.durability).toBe(expected);
  });

  it("keeps every other option", () => {
    const signal = new AbortController().signal;
    expect(withDefaultDurability({ signal, configurable: { thread_id: "t" } })).toEqual({ signal, configurable: { thread_id: "t" }, durability: "exit" });
  });
});

describe("checkpoints per turn", () => {
  it("writes one checkpoint per turn by default, and one per step with durability async; the thread reads the same", async () => {
    const script = { "sre-agent:v1.0": [GROUNDED_1, GROUNDED_1] };
    const once = new CountingSaver();
    const perStep = new CountingSaver();
    const a = makeGraph({ checkpointer: once, script });
    const b = makeGraph({ checkpointer: perStep, script });

    const outA = await a.graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, thread("d"));
    const outB = await b.graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, { ...thread("d"), durability: "async" });

    expect(outA.answer).toBe(outB.answer);
    expect(once.puts).toBe(1);
    // The input step and each of the five nodes.
    expect(perStep.puts).toBeGreaterThanOrEqual(6);
    const texts = async (g: typeof a.graph) => (await threadMessages(g, "d")).map((m) => `${m.getType()}: ${String(m.content)}`);
    expect(await texts(a.graph)).toEqual(await texts(b.graph));
    expect(await texts(a.graph)).toEqual([`human: ${TROUBLESHOOTING_QUERY}`, `ai: ${GROUNDED_1}`]);

    await a.graph.invoke({ query: "and after the upgrade?", documents: LOKI_DOCS }, thread("d"));
    expect(once.puts).toBe(2);
    expect(await threadMessages(a.graph, "d")).toHaveLength(4);
  });

  it("a failed turn still leaves the thread's earlier turns readable and the next turn answers", async () => {
    const saver = new CountingSaver();
    const { graph } = makeGraph({ checkpointer: saver, script: { "sre-agent:v1.0": [GROUNDED_1] } });
    await graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, thread("f"));
    const error = await rejectionOf(graph.invoke({ query: "", documents: LOKI_DOCS }, thread("f")));
    expect(error).toMatchObject({ code: "INVALID_INPUT" });
    expect((await threadMessages(graph, "f")).map((m) => m.getType())).toEqual(["human", "ai"]);
  });
});
