/**
 * A follow-up keeps its runbooks: a turn of a thread that brings no documents answers from the
 * documents the previous turn used, and says so; the thread's state shows what answered and why.
 */
import { MemorySaver } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { promptText as promptTextOf } from "../support/fakeModels.js";
import { GROUNDED_1, LOKI_DOCS, makeGraph, TROUBLESHOOTING_QUERY } from "./helpers.js";

const SRE = "sre-agent:v1.0";
const thread = (id: string) => ({ configurable: { thread_id: id } });

describe("a follow-up without documents", () => {
  it("is answered from the previous turn's documents, with a DOCUMENTS_CARRIED notice naming them", async () => {
    const setup = makeGraph({ checkpointer: new MemorySaver(), script: { [SRE]: GROUNDED_1, "llama3.1:8b": GROUNDED_1 } });
    await setup.graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, thread("f1"));
    const out = await setup.graph.invoke({ query: "how do I prevent it?" }, thread("f1"));

    expect(promptTextOf(setup.fake.calls[1])).toContain(LOKI_DOCS[0]?.content);
    expect(promptTextOf(setup.fake.calls[1])).not.toContain("No context documents were retrieved");
    expect(out.notices).toContainEqual({ code: "DOCUMENTS_CARRIED", message: expect.stringContaining("[1] Loki OOM") });
    expect(out.citations.filter((c) => c.valid).map((c) => c.index)).toEqual([1]);
  });

  it("documents given for the follow-up win over the carried ones", async () => {
    const setup = makeGraph({ checkpointer: new MemorySaver(), script: { [SRE]: [GROUNDED_1, GROUNDED_1] } });
    await setup.graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, thread("f2"));
    const other = [{ content: "Tempo compactor runs out of disk when retention is too long.", title: "Tempo disk" }];
    const out = await setup.graph.invoke({ query: "tempo compactor pods keep crashing", documents: other }, thread("f2"));
    expect(promptTextOf(setup.fake.calls[1])).not.toContain(LOKI_DOCS[0]?.content);
    expect(out.notices.map((n) => n.code)).not.toContain("DOCUMENTS_CARRIED");
  });

  it("the first turn of a thread without documents carries nothing", async () => {
    const setup = makeGraph({ checkpointer: new MemorySaver(), script: { [SRE]: GROUNDED_1 } });
    const out = await setup.graph.invoke({ query: TROUBLESHOOTING_QUERY }, thread("f3"));
    expect(out.notices.map((n) => n.code)).not.toContain("DOCUMENTS_CARRIED");
  });
});

describe("the thread's state after a turn (what Studio shows)", () => {
  it("records what answered and why: model, query type, the routing reason and the documents used", async () => {
    const setup = makeGraph({ checkpointer: new MemorySaver(), script: { [SRE]: GROUNDED_1 } });
    await setup.graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, thread("s1"));
    const state = await setup.graph.getState(thread("s1"));
    expect((state.values as Record<string, unknown>).lastTurn).toEqual({
      model: SRE,
      queryType: "troubleshooting",
      complexity: expect.any(String),
      reason: expect.stringContaining("SRE model"),
      documents: [
        { index: 1, title: "Loki OOM", source: "runbooks/loki-oom.md" },
        { index: 2, title: "Loki tuning", source: "runbooks/loki-tuning.md" },
      ],
      documentsCarried: false,
    });
  });
});
