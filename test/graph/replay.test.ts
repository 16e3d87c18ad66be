/**
 * Turn ids (`turnId`, an idempotency key): a resend of a thread's last turn with its id is answered
 * from the saved turn, without a model call and without adding to the thread; the check runs at
 * the graph's entry under the thread's lock, so it holds for every host of the graph.
 */
import { MemorySaver } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { RECENT_TURN_IDS } from "../../src/nodes/state.js";
import { textOf } from "../support/fakeModels.js";
import { EXPLANATION_QUERY, GROUNDED_1, GROUNDED_2, LOKI_DOCS, makeGraph, rejectionOf, threadMessages, TROUBLESHOOTING_QUERY } from "./helpers.js";

const thread = (id: string) => ({ configurable: { thread_id: id } });
const replayed = (out: { notices: { code: string }[] }) => out.notices.some((n) => n.code === "TURN_REPLAYED");

describe("turn ids", () => {
  it("the same turnId twice on one thread: one model call, the turn once in the thread, the second result is the first, marked replayed", async () => {
    const { graph, fake } = makeGraph({ checkpointer: new MemorySaver(), script: { "sre-agent:v1.0": [`${GROUNDED_1} ${GROUNDED_2}`, "a second answer that must not be given"] } });
    const input = { query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS, turnId: "msg-1" };
    const first = await graph.invoke(input, thread("t-replay"));
    const second = await graph.invoke(input, thread("t-replay"));
    expect(fake.calls).toHaveLength(1);
    expect(replayed(first)).toBe(false);
    expect(replayed(second)).toBe(true);
    const { notices, warnings, ...rest } = second;
    expect(rest).toEqual((({ notices: _n, warnings: _w, ...r }) => r)(first));
    expect(rest.model).toBe("sre-agent:v1.0");
    expect(rest.queryType).toBe("troubleshooting");
    // The first turn's notices are kept; the replay's mark comes last, once, also in `warnings`.
    expect(notices.slice(0, -1)).toEqual(first.notices);
    expect(notices.at(-1)?.code).toBe("TURN_REPLAYED");
    expect(warnings).toEqual(notices.map((n) => n.message));
    const messages = await threadMessages(graph, "t-replay");
    expect(messages.map((m) => `${m.getType()}: ${textOf(m)}`)).toEqual([`human: ${TROUBLESHOOTING_QUERY}`, `ai: ${first.answer}`]);

    // A third resend is marked once, not twice.
    const third = await graph.invoke(input, thread("t-replay"));
    expect(third.notices.filter((n) => n.code === "TURN_REPLAYED")).toHaveLength(1);
    expect(third.answer).toBe(first.answer);
    expect(fake.calls).toHaveLength(1);
  });

  it("different turnIds are two turns; no turnId is always a new turn", async () => {
    const { graph, fake } = makeGraph({ checkpointer: new MemorySaver(), script: { "llama3.1:8b": ["One.", "Two.", "Three.", "Four."] } });
    const ask = (turnId?: string) => graph.invoke({ query: EXPLANATION_QUERY, model: "llama3.1:8b", ...(turnId ? { turnId } : {}) }, thread("t-two"));
    expect((await ask("a")).answer).toBe("One.");
    expect((await ask("b")).answer).toBe("Two.");
    expect((await ask()).answer).toBe("Three.");
    expect((await ask()).answer).toBe("Four.");
    expect(fake.calls).toHaveLength(4);
    expect(await threadMessages(graph, "t-two")).toHaveLength(8);
  });

  it("the same turnId on another thread is a new turn there", async () => {
    const { graph, fake } = makeGraph({ checkpointer: new MemorySaver(), script: { "llama3.1:8b": ["One.", "Two."] } });
    const input = { query: EXPLANATION_QUERY, model: "llama3.1:8b", turnId: "same" };
    expect((await graph.invoke(input, thread("t-x"))).answer).toBe("One.");
    expect((await graph.invoke(input, thread("t-y"))).answer).toBe("Two.");
    expect(fake.calls).toHaveLength(2);
  });

  it("the id of an older turn, after a new one, is refused with INVALID_INPUT on turnId; nothing runs or is saved", async () => {
    const { graph, fake } = makeGraph({ checkpointer: new MemorySaver(), script: { "llama3.1:8b": ["One.", "Two.", "never"] } });
    const cfg = thread("t-older");
    await graph.invoke({ query: EXPLANATION_QUERY, model: "llama3.1:8b", turnId: "a" }, cfg);
    await graph.invoke({ query: "and an alerting rule?", model: "llama3.1:8b", turnId: "b" }, cfg);
    const error = await rejectionOf(graph.invoke({ query: EXPLANATION_QUERY, model: "llama3.1:8b", turnId: "a" }, cfg));
    expect(error).toMatchObject({ code: "INVALID_INPUT", field: "turnId", details: { reason: "older-turn" } });
    expect(fake.calls).toHaveLength(2);
    expect(await threadMessages(graph, "t-older")).toHaveLength(4);
    // The last turn's id still replays.
    const again = await graph.invoke({ query: "and an alerting rule?", model: "llama3.1:8b", turnId: "b" }, cfg);
    expect(again.answer).toBe("Two.");
    expect(replayed(again)).toBe(true);
    expect(fake.calls).toHaveLength(2);
  });

  it(`a thread remembers the ids of its last ${RECENT_TURN_IDS} turns: an id older than that is a new turn`, async () => {
    const { graph, fake } = makeGraph({ checkpointer: new MemorySaver(), script: { "llama3.1:8b": "Answer." } });
    const cfg = thread("t-window");
    for (let i = 0; i <= RECENT_TURN_IDS; i += 1) await graph.invoke({ query: `question ${i}`, model: "llama3.1:8b", turnId: `id-${i}` }, cfg);
    expect(fake.calls).toHaveLength(RECENT_TURN_IDS + 1);
    await expect(graph.invoke({ query: "question 1", model: "llama3.1:8b", turnId: "id-1" }, cfg)).rejects.toMatchObject({ field: "turnId" });
    await graph.invoke({ query: "question 0", model: "llama3.1:8b", turnId: "id-0" }, cfg);
    expect(fake.calls).toHaveLength(RECENT_TURN_IDS + 2);
  });

  it("the last turn's id with a different query is refused with INVALID_INPUT on turnId", async () => {
    const { graph, fake } = makeGraph({ checkpointer: new MemorySaver(), script: { "llama3.1:8b": ["One.", "never"] } });
    await graph.invoke({ query: EXPLANATION_QUERY, model: "llama3.1:8b", turnId: "a" }, thread("t-diff"));
    const error = await rejectionOf(graph.invoke({ query: "something else entirely", model: "llama3.1:8b", turnId: "a" }, thread("t-diff")));
    expect(error).toMatchObject({ code: "INVALID_INPUT", field: "turnId", details: { reason: "different-query" } });
    expect(fake.calls).toHaveLength(1);
  });

  it("a failed turn keeps no id: its resend runs the turn", async () => {
    const { graph, fake } = makeGraph({ checkpointer: new MemorySaver(), script: { "llama3.1:8b": [{ error: new Error("boom") }, "Recovered."] } });
    const input = { query: EXPLANATION_QUERY, model: "llama3.1:8b", turnId: "a" };
    await expect(graph.invoke(input, thread("t-failed"))).rejects.toThrow();
    const afterFailure = fake.calls.length;
    expect(await threadMessages(graph, "t-failed")).toHaveLength(0);
    const out = await graph.invoke(input, thread("t-failed"));
    expect(out.answer).toBe("Recovered.");
    expect(replayed(out)).toBe(false);
    expect(fake.calls.length).toBe(afterFailure + 1);
  });

  it("two concurrent sends with one turnId: the thread's lock makes the second a replay of the first", async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { graph, fake } = makeGraph({ checkpointer: new MemorySaver(), script: { "llama3.1:8b": [{ answer: "Only answer.", gate }, "never"] } });
    const input = { query: EXPLANATION_QUERY, model: "llama3.1:8b", turnId: "k" };
    const first = graph.invoke(input, thread("t-race"));
    await fake.waitForCall(0);
    const second = graph.invoke(input, thread("t-race"));
    open();
    const outs = await Promise.all([first, second]);
    expect(outs.map((o) => o.answer)).toEqual(["Only answer.", "Only answer."]);
    expect(outs.map(replayed)).toEqual([false, true]);
    expect(fake.calls).toHaveLength(1);
    expect(await threadMessages(graph, "t-race")).toHaveLength(2);
  });

  it("an empty turnId is refused with INVALID_INPUT on turnId", async () => {
    const { graph } = makeGraph({ checkpointer: new MemorySaver(), script: { "llama3.1:8b": "x" } });
    await expect(graph.invoke({ query: EXPLANATION_QUERY, turnId: "" }, thread("t-empty"))).rejects.toMatchObject({ code: "INVALID_INPUT", field: "turnId" });
  });
});
