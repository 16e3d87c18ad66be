/**
 * What flows out of a run: the "messages" stream of the graph on its own, and of the graph
 * embedded as a subgraph node of a host pipeline.
 */
import type { BaseMessage } from "@langchain/core/messages";
import { END, MemorySaver, START, StateGraph, StateSchema } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { runTurn } from "../../src/cli/session.js";
import { Citation, ContextDocument } from "../../src/domain/index.js";
import { SYSTEM_PROMPT } from "../../src/prompts/index.js";
import { lastHuman, textOf } from "../support/fakeModels.js";
import { LOKI_DOCS, makeGraph, TROUBLESHOOTING_QUERY, type TestGraph } from "./helpers.js";

interface MessageEvent {
  /** The chunk's message id: one per model call. */
  id: string | undefined;
  type: string;
  content: string;
  node: unknown;
  step: unknown;
}

/** Runs one turn in "messages" mode and collects every event. */
async function streamMessages(graph: TestGraph["graph"], input: Parameters<TestGraph["graph"]["invoke"]>[0], threadId?: string): Promise<MessageEvent[]> {
  const events: MessageEvent[] = [];
  const stream = await graph.stream(input, { streamMode: "messages", ...(threadId ? { configurable: { thread_id: threadId } } : {}) });
  for await (const [message, metadata] of stream as AsyncIterable<[BaseMessage, Record<string, unknown>]>) {
    events.push({ id: message.id, type: message.getType(), content: textOf(message), node: metadata.langgraph_node, step: metadata.langgraph_step });
  }
  return events;
}

const TOKENS = ["Loki ", "ingesters ", "are ", "OOMKilled ", "[1]; ", "raise ", "the ", "limit ", "[2]."];
const ANSWER = TOKENS.join("");

describe("streaming: the answer's tokens, and nothing else, in the messages stream", () => {
  it("yields the answer token by token from node generate, and nothing from the other nodes", async () => {
    const { graph, fake } = makeGraph({ script: { "sre-agent:v1.0": { answer: ANSWER, tokens: TOKENS } } });
    const events = await streamMessages(graph, { query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS });

    expect(events.map((e) => e.content)).toEqual(TOKENS);
    expect(events.map((e) => e.content).join("")).toBe(ANSWER);
    expect(new Set(events.map((e) => e.node))).toEqual(new Set(["generate"]));
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(["ai"]));
    // The prompt (system prompt, documents, question) and the recorded turn never leak.
    for (const e of events) {
      expect(e.content).not.toContain(SYSTEM_PROMPT.slice(0, 40));
      expect(e.content).not.toContain(TROUBLESHOOTING_QUERY);
      expect(e.content).not.toContain("<document");
    }
    expect(fake.calls[0]?.emitted).toEqual(TOKENS);
  });

  it("the streamed tokens are the answer the turn returns", async () => {
    const { graph } = makeGraph({ script: { "sre-agent:v1.0": { answer: ANSWER, tokens: TOKENS } } });
    let tokens = "";
    let final: { answer?: string } = {};
    const stream = await graph.stream({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, { streamMode: ["messages", "values"] });
    for await (const [mode, payload] of stream as AsyncIterable<["messages", [BaseMessage, Record<string, unknown>]] | ["values", { answer?: string }]>) {
      if (mode === "messages") tokens += textOf(payload[0]);
      else final = payload;
    }
    expect(tokens).toBe(ANSWER);
    expect(final.answer).toBe(ANSWER);
  });

  it("on a thread, a later turn streams only its own tokens (no history, no recorded turn)", async () => {
    const { graph } = makeGraph({
      checkpointer: new MemorySaver(),
      script: {
        "sre-agent:v1.0": [
          { answer: ANSWER, tokens: TOKENS },
          { answer: "Then check the WAL [1].", tokens: ["Then ", "check ", "the ", "WAL ", "[1]."] },
        ],
      },
    });
    await streamMessages(graph, { query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, "stream-thread");
    const second = await streamMessages(graph, { query: "loki ingesters still crashing after that", documents: LOKI_DOCS }, "stream-thread");
    expect(second.map((e) => e.content)).toEqual(["Then ", "check ", "the ", "WAL ", "[1]."]);
    expect(new Set(second.map((e) => e.node))).toEqual(new Set(["generate"]));
  });

  it("a fallback and a repair round stream from generate only, one step per model call", async () => {
    const { graph, fake } = makeGraph({
      script: {
        "sre-agent:v1.0": { error: new Error("boom"), afterTokens: ["Part"] },
        "llama3.1:8b": [
          { answer: "Bad [5].", tokens: ["Bad ", "[5]."] },
          { answer: "Good [1].", tokens: ["Good ", "[1]."] },
        ],
      },
    });
    const events = await streamMessages(graph, { query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS });
    expect(fake.models()).toEqual(["sre-agent:v1.0", "llama3.1:8b", "llama3.1:8b"]);
    expect(new Set(events.map((e) => e.node))).toEqual(new Set(["generate"]));
    expect(events.map((e) => e.content)).toEqual(["Part", "Bad ", "[5].", "Good ", "[1]."]);
    // A consumer can tell the calls apart by step (the CLI restarts its buffer on a new step).
    const steps = [...new Set(events.map((e) => e.step))];
    expect(steps).toHaveLength(3);
  });
});

/** A host pipeline's own state: it knows nothing of the generation graph's internals. */
const RETRIES_ON = { BRUNO_RETRY_ATTEMPTS: "2", BRUNO_RETRY_INITIAL_MS: "1", BRUNO_RETRY_MAX_MS: "2" };
const dropped = () => Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });

describe("streaming across a retry on the same model", () => {
  it("a retry after a mid-stream drop streams both attempts in the same step; the message id tells them apart", async () => {
    const { graph, fake } = makeGraph({
      env: RETRIES_ON,
      script: {
        "sre-agent:v1.0": [
          { error: dropped(), afterTokens: ["Half ", "ans"] },
          { answer: ANSWER, tokens: TOKENS },
        ],
      },
    });
    const events = await streamMessages(graph, { query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS });
    expect(fake.models()).toEqual(["sre-agent:v1.0", "sre-agent:v1.0"]);
    expect(events.map((e) => e.content)).toEqual(["Half ", "ans", ...TOKENS]);
    expect(new Set(events.map((e) => e.step)).size).toBe(1);
    const ids = [...new Set(events.map((e) => e.id))];
    expect(ids).toHaveLength(2);
    expect(
      events
        .filter((e) => e.id === ids[1])
        .map((e) => e.content)
        .join(""),
    ).toBe(ANSWER);
  });

  // Regression (src/cli/session.ts, runTurn): at commit 95ad049 the CLI reset its streamed-text
  // buffer only when `langgraph_step` changed, so after a retry on the same model the failed
  // attempt's tokens stayed in it and stdout ended with a false "[answer with invalid citations
  // removed]" block. The working tree now also resets on the "retry"/"fallback" custom events.
  it("the CLI's runTurn shows a retried answer without a false 'citations removed' note", async () => {
    const { graph } = makeGraph({
      env: RETRIES_ON,
      script: {
        "sre-agent:v1.0": [
          { error: dropped(), afterTokens: ["Half ", "ans"] },
          { answer: ANSWER, tokens: TOKENS },
        ],
      },
    });
    let stdout = "";
    const sink = { write: (text: string) => void (stdout += text) };
    const result = await runTurn(
      graph,
      { query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS },
      {
        threadId: "cli-retry",
        signal: new AbortController().signal,
        stdout: sink,
        stderr: { write: () => undefined },
        render: true,
      },
    );
    expect(result.answer).toBe(ANSWER);
    expect(stdout).not.toContain("[answer with invalid citations removed]");
  });
});

const PipelineState = new StateSchema({
  query: z.string(),
  documents: z.array(ContextDocument).default(() => []),
  answer: z.string().default(""),
  citations: z.array(Citation).default(() => []),
  retrievedBy: z.string().optional(),
});

function pipeline(generation: TestGraph["graph"]) {
  return new StateGraph(PipelineState)
    .addNode("retrieve", async (state: typeof PipelineState.State) => ({
      documents: state.query.includes("loki") ? LOKI_DOCS : [],
      retrievedBy: "stand-in retriever",
    }))
    .addNode("generation", generation)
    .addEdge(START, "retrieve")
    .addEdge("retrieve", "generation")
    .addEdge("generation", END)
    .compile();
}

const SUB_TOKENS = ["Ingesters ", "are ", "OOMKilled ", "[1]."];

describe("the generation graph embedded as a subgraph node", () => {
  it("parent.invoke returns the answer and the citations resolved against the retrieved documents", async () => {
    const { graph, fake } = makeGraph({ script: { "sre-agent:v1.0": { answer: SUB_TOKENS.join(""), tokens: SUB_TOKENS } } });
    const out = await pipeline(graph).invoke({ query: TROUBLESHOOTING_QUERY });

    expect(out.answer).toBe("Ingesters are OOMKilled [1].");
    expect(out.citations).toMatchObject([{ index: 1, title: "Loki OOM", source: "runbooks/loki-oom.md", valid: true }]);
    expect(out.retrievedBy).toBe("stand-in retriever");
    expect(out.documents).toEqual(LOKI_DOCS);
    // Only the parent's own keys come back.
    expect(Object.keys(out).sort()).toEqual(["answer", "citations", "documents", "query", "retrievedBy"]);

    // The model got the retrieved documents and the parent's query.
    expect(fake.calls).toHaveLength(1);
    expect(lastHuman(fake.calls[0])).toContain(LOKI_DOCS[0]?.content);
    expect(lastHuman(fake.calls[0])).toContain(`Question: ${TROUBLESHOOTING_QUERY}`);
  });

  it("parent.stream(messages, subgraphs) yields the tokens from the subgraph's generate node", async () => {
    const { graph } = makeGraph({ script: { "sre-agent:v1.0": { answer: SUB_TOKENS.join(""), tokens: SUB_TOKENS } } });
    const events: Array<{ namespace: string[]; content: string; node: unknown }> = [];
    const stream = await pipeline(graph).stream({ query: TROUBLESHOOTING_QUERY }, { streamMode: "messages", subgraphs: true });
    for await (const [namespace, [message, metadata]] of stream as AsyncIterable<[string[], [BaseMessage, Record<string, unknown>]]>) {
      events.push({ namespace, content: textOf(message), node: metadata.langgraph_node });
    }
    expect(events.map((e) => e.content)).toEqual(SUB_TOKENS);
    for (const e of events) {
      expect(e.node).toBe("generate");
      expect(e.namespace).toHaveLength(1);
      expect(e.namespace[0]).toMatch(/^generation:/);
    }
  });

  it("a subgraph failure surfaces from parent.invoke as the same typed error", async () => {
    const { graph, fake } = makeGraph({ installed: [], fakeOptions: { fallback: "never" } });
    await expect(pipeline(graph).invoke({ query: TROUBLESHOOTING_QUERY })).rejects.toMatchObject({ code: "NO_MODEL_AVAILABLE" });
    expect(fake.calls).toHaveLength(0);
  });
});
