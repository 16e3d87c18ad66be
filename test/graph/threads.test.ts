/**
 * Conversations: multi-turn threads with MemorySaver (history in the prompt, no leaking of
 * turn-scoped inputs, caps) and SQLite checkpoints shared across processes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MemorySaver } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HISTORY_KEEP_MESSAGES } from "../../src/nodes/state.js";
import { type GenerationResult } from "../../src/domain/index.js";
import { NO_DOCUMENTS_NOTE } from "../../src/prompts/index.js";
import { lastHuman, ollamaUsage, promptText, serverError, textOf, type RecordedCall } from "../support/fakeModels.js";
import { runTypeScript } from "../support/spawn.js";
import { ALL_MODELS, EXPLANATION_QUERY, LOKI_DOCS, makeGraph, threadMessages, TROUBLESHOOTING_QUERY } from "./helpers.js";

/** The earlier turns a call received: everything between the system prompt and the question, minus the worked examples. */
function historyOf(call: RecordedCall | undefined): string[] {
  const messages = call?.messages ?? [];
  return messages
    .slice(1, -1)
    .filter((m) => m.name !== "example_user" && m.name !== "example_assistant")
    .map((m) => `${m.getType()}: ${textOf(m)}`);
}

const thread = (id: string) => ({ configurable: { thread_id: id } });

describe("multi-turn threads with MemorySaver", () => {
  it("the second turn's prompt carries the first turn's question and answer, citations stripped", async () => {
    const { graph, fake } = makeGraph({
      checkpointer: new MemorySaver(),
      script: { "sre-agent:v1.0": ["Ingesters are OOMKilled [1]. Raise the limit [2].", "Lower chunk_target_size [2]."] },
    });
    const cfg = thread("t-history");
    await graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, cfg);
    const out2 = await graph.invoke({ query: "loki ingesters still crashing after raising it", documents: LOKI_DOCS }, cfg);

    expect(out2.answer).toBe("Lower chunk_target_size [2].");
    expect(historyOf(fake.calls[0])).toEqual([]);
    expect(historyOf(fake.calls[1])).toEqual([`human: ${TROUBLESHOOTING_QUERY}`, "ai: Ingesters are OOMKilled. Raise the limit."]);
    expect(lastHuman(fake.calls[1])).toContain("Question: loki ingesters still crashing after raising it");

    // The checkpoint keeps the answers as returned (with their citations).
    expect((await threadMessages(graph, "t-history")).map((m) => `${m.getType()}: ${textOf(m)}`)).toEqual([
      `human: ${TROUBLESHOOTING_QUERY}`,
      "ai: Ingesters are OOMKilled [1]. Raise the limit [2].",
      "human: loki ingesters still crashing after raising it",
      "ai: Lower chunk_target_size [2].",
    ]);
  });

  it("turn-scoped inputs of turn 1 (model, queryType, maxLatencyMs, preferences) do not leak into turn 2; its documents carry over only as a said follow-up", async () => {
    const { graph, fake } = makeGraph({ checkpointer: new MemorySaver(), fakeOptions: { fallback: "An answer." } });
    const cfg = thread("t-leak");
    const out1 = await graph.invoke({ query: EXPLANATION_QUERY, documents: LOKI_DOCS, queryType: "code_generation", model: "llama3.2:3b", preferences: { verbose: true } }, cfg);
    expect(out1).toMatchObject({ model: "llama3.2:3b", queryType: "code_generation", requiresCode: true });
    expect(textOf(fake.calls[0]?.messages[0])).toContain("Be thorough");

    const out2 = await graph.invoke({ query: EXPLANATION_QUERY }, cfg);
    // Routed afresh: the rules' type, the general model, its profile, no stop sequences.
    expect(out2).toMatchObject({ model: "llama3.1:8b", queryType: "explanation", requiresCode: false, citations: [] });
    // Turn 2 brings no documents: it answers from turn 1's, and says so.
    expect(out2.notices.map((n) => n.code)).toEqual(["DOCUMENTS_CARRIED", "NO_CITATIONS"]);
    const call = fake.calls[1];
    expect(call?.model).toBe("llama3.1:8b");
    expect(call?.request.profile.name).toBe("explanation");
    expect(call?.stop).toBeUndefined();
    expect(textOf(call?.messages[0])).not.toContain("Be thorough");
    expect(lastHuman(call)).not.toContain(NO_DOCUMENTS_NOTE);
    expect(lastHuman(call)).toContain(LOKI_DOCS[0]?.content);

    // A latency budget applies to its turn only.
    const out3 = await graph.invoke({ query: EXPLANATION_QUERY, maxLatencyMs: 500 }, cfg);
    const out4 = await graph.invoke({ query: EXPLANATION_QUERY }, cfg);
    expect([out3.model, out4.model]).toEqual(["llama3.2:3b", "llama3.1:8b"]);
  });

  it("warnings, modelsTried and usage are per turn", async () => {
    const installed = ALL_MODELS.filter((m) => m !== "sre-agent:v1.0");
    const { graph } = makeGraph({
      installed,
      checkpointer: new MemorySaver(),
      script: {
        "llama3.1:8b": [{ error: serverError() }, { answer: "General answer.", ...ollamaUsage({ input: 50, output: 5, evalMs: 7 }) }],
        "llama3.2:3b": { answer: "Raise the limit [1].", ...ollamaUsage({ input: 100, output: 10, loadMs: 3000, evalMs: 20 }) },
      },
    });
    const cfg = thread("t-reset");
    const out1 = await graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, cfg);
    expect(out1.warnings).toHaveLength(2);
    expect(out1.modelsTried.map((a) => a.outcome)).toEqual(["skipped", "failed", "answered"]);
    expect(out1.usage).toMatchObject({ inputTokens: 100, outputTokens: 10, loadMs: 3000 });

    const out2 = await graph.invoke({ query: EXPLANATION_QUERY }, cfg);
    // Only turn 2's own notices (it answers from turn 1's documents and cites none of them), none of turn 1's.
    expect(out2.notices.map((n) => n.code)).toEqual(["DOCUMENTS_CARRIED", "NO_CITATIONS"]);
    expect(out2.warnings.filter((w) => out1.warnings.includes(w))).toEqual([]);
    expect(out2.modelsTried).toEqual([{ model: "llama3.1:8b", outcome: "answered" }]);
    expect(out2.usage).toMatchObject({ inputTokens: 50, outputTokens: 5, loadMs: 0, evalMs: 7 });
  });

  it("the citation-repair budget is per turn: turn 2 gets its own repair round", async () => {
    const { graph, fake } = makeGraph({
      checkpointer: new MemorySaver(),
      script: { "sre-agent:v1.0": (call) => (lastHuman(call).startsWith("Your previous answer") ? "Fixed [1]." : "Broken [7].") },
    });
    const cfg = thread("t-repair");
    const out1 = await graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, cfg);
    const out2 = await graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, cfg);
    expect(fake.calls).toHaveLength(4);
    expect([out1.answer, out2.answer]).toEqual(["Fixed [1].", "Fixed [1]."]);
    expect([out1.warnings, out2.warnings]).toEqual([[], []]);
  });

  it("the prompt holds the last history.promptTurns (3) turns; the checkpoint caps messages at HISTORY_KEEP_MESSAGES", async () => {
    const { graph, fake } = makeGraph({ checkpointer: new MemorySaver(), fakeOptions: { fallback: (call) => `answer #${call.index} [1].` } });
    const cfg = thread("t-window");
    const turns = HISTORY_KEEP_MESSAGES / 2 + 2; // 22 turns → 44 messages before the cap
    for (let i = 0; i < turns; i++) {
      await graph.invoke({ query: `question number ${i}?`, documents: LOKI_DOCS }, cfg);
    }
    expect(fake.calls).toHaveLength(turns);

    // Turn 5 (index 4) saw turns 1–3 (indices 1..3), not turn 0.
    expect(historyOf(fake.calls[4])).toEqual(["human: question number 1?", "ai: answer #1.", "human: question number 2?", "ai: answer #2.", "human: question number 3?", "ai: answer #3."]);
    // The last turn saw exactly the three before it.
    const last = fake.calls[turns - 1];
    expect(historyOf(last)).toHaveLength(6);
    expect(historyOf(last)[0]).toBe(`human: question number ${turns - 4}?`);

    const messages = await threadMessages(graph, "t-window");
    expect(messages).toHaveLength(HISTORY_KEEP_MESSAGES);
    expect(textOf(messages[0])).toBe(`question number ${turns - HISTORY_KEEP_MESSAGES / 2}?`);
    expect(textOf(messages.at(-1))).toBe(`answer #${turns - 1} [1].`);
  });

  it("BRUNO_HISTORY_TURNS=0 sends no history although the thread keeps it", async () => {
    const { graph, fake } = makeGraph({ checkpointer: new MemorySaver(), env: { BRUNO_HISTORY_TURNS: "0" }, fakeOptions: { fallback: "ok" } });
    const cfg = thread("t-nohistory");
    await graph.invoke({ query: EXPLANATION_QUERY }, cfg);
    await graph.invoke({ query: EXPLANATION_QUERY }, cfg);
    expect(historyOf(fake.calls[1])).toEqual([]);
    expect(await threadMessages(graph, "t-nohistory")).toHaveLength(4);
  });

  it("a different thread_id sees nothing of another thread", async () => {
    const { graph, fake } = makeGraph({ checkpointer: new MemorySaver(), fakeOptions: { fallback: "ok" } });
    await graph.invoke({ query: TROUBLESHOOTING_QUERY }, thread("t-a"));
    await graph.invoke({ query: EXPLANATION_QUERY }, thread("t-b"));
    await graph.invoke({ query: EXPLANATION_QUERY }, thread("t-a"));
    expect(historyOf(fake.calls[1])).toEqual([]);
    expect(historyOf(fake.calls[2])).toEqual([`human: ${TROUBLESHOOTING_QUERY}`, "ai: ok"]);
    expect(await threadMessages(graph, "t-b")).toHaveLength(2);
  });

  it("a failed turn adds nothing to the thread, and the next turn starts clean", async () => {
    const { graph, fake } = makeGraph({
      checkpointer: new MemorySaver(),
      script: { "llama3.1:8b": [{ error: serverError() }, "second try"], "llama3.2:3b": [{ error: serverError() }, "never"] },
    });
    const cfg = thread("t-failed");
    await expect(graph.invoke({ query: EXPLANATION_QUERY }, cfg)).rejects.toMatchObject({ code: "ALL_MODELS_FAILED" });
    expect(await threadMessages(graph, "t-failed")).toHaveLength(0);
    const out = await graph.invoke({ query: "what is a recording rule, in short?" }, cfg);
    expect(out.answer).toBe("second try");
    expect(out.modelsTried).toEqual([{ model: "llama3.1:8b", outcome: "answered" }]);
    expect(out.warnings).toEqual([]);
    expect(historyOf(fake.calls[2])).toEqual([]);
    expect(await threadMessages(graph, "t-failed")).toHaveLength(2);
  });

  it("two concurrent turns on one thread run one after the other; the second sees the first", async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { graph, fake } = makeGraph({
      checkpointer: new MemorySaver(),
      script: { "llama3.1:8b": [{ answer: "First answer.", gate }, "Second answer."] },
    });
    const cfg = thread("t-concurrent");
    const first = graph.invoke({ query: EXPLANATION_QUERY, model: "llama3.1:8b" }, cfg);
    await fake.waitForCall(0);
    const second = graph.invoke({ query: "and what is an alerting rule?", model: "llama3.1:8b" }, cfg);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fake.calls).toHaveLength(1); // the second turn waits for the thread
    open();
    const [out1, out2] = await Promise.all([first, second]);
    expect([out1.answer, out2.answer]).toEqual(["First answer.", "Second answer."]);
    expect(historyOf(fake.calls[1])).toEqual([`human: ${EXPLANATION_QUERY}`, "ai: First answer."]);
    expect(await threadMessages(graph, "t-concurrent")).toHaveLength(4);
  });

  it("a turn that cannot get its thread within BRUNO_THREAD_WAIT_MS fails with THREAD_BUSY, calling no model", async () => {
    const { graph, fake } = makeGraph({
      checkpointer: new MemorySaver(),
      env: { BRUNO_THREAD_WAIT_MS: "20" },
      script: { "llama3.1:8b": [{ hang: true }, "never"] },
    });
    const cfg = thread("t-busy");
    const controller = new AbortController();
    const first = graph.invoke({ query: EXPLANATION_QUERY }, { ...cfg, signal: controller.signal });
    first.catch(() => undefined);
    await fake.waitForCall(0);
    await expect(graph.invoke({ query: EXPLANATION_QUERY }, cfg)).rejects.toMatchObject({ code: "THREAD_BUSY" });
    expect(fake.calls).toHaveLength(1);
    controller.abort();
    await expect(first).rejects.toThrow();
    // Another thread is not blocked by either.
    const other = makeGraph({ checkpointer: new MemorySaver(), fakeOptions: { fallback: "free" } });
    expect((await other.graph.invoke({ query: EXPLANATION_QUERY }, thread("t-free"))).answer).toBe("free");
  });
});

const here = dirname(fileURLToPath(import.meta.url));
const TURN_SCRIPT = join(here, "fixtures", "sqliteTurn.ts");

interface ChildTurn {
  pid: number;
  result: GenerationResult;
  calls: Array<{ model: string; prompt: string }>;
}

/** Runs one turn in a separate Node process against the SQLite file. */
async function turnInChild(db: string, threadId: string, query: string, answer: string): Promise<ChildTurn> {
  // Generous timeout for a loaded CI machine; about 3 s on an idle one.
  const child = await runTypeScript(TURN_SCRIPT, [db, threadId, query, answer], { env: { LOG_LEVEL: "silent" }, timeoutMs: 30_000 });
  if (child.code !== 0) throw new Error(`the turn-1 child process failed (exit ${String(child.code)}, signal ${String(child.signal)}):\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "") as ChildTurn;
}

// Turn 1 starts in its own process as soon as this file loads, so that its start-up overlaps
// the in-process tests above; the SQLite tests wait for it.
const dir = mkdtempSync(join(tmpdir(), "bruno-sqlite-"));
const db = join(dir, "threads.sqlite");
const childTurn = turnInChild(db, "thread-1", TROUBLESHOOTING_QUERY, "Ingesters are OOMKilled [1].");
childTurn.catch(() => undefined); // surfaced by beforeAll below

describe("SQLite checkpoints across processes", () => {
  let child: ChildTurn;

  beforeAll(async () => {
    child = await childTurn;
  }, 40_000);

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("turn 1 ran in another process and answered there", () => {
    expect(child.pid).not.toBe(process.pid);
    expect(child.result.answer).toBe("Ingesters are OOMKilled [1].");
    expect(child.calls.map((c) => c.model)).toEqual(["sre-agent:v1.0"]);
    expect(child.calls[0]?.prompt).toContain(`Question: ${TROUBLESHOOTING_QUERY}`);
  });

  it("turn 2 in this process reads turn 1 from the file: its prompt includes turn 1 (citations stripped)", async () => {
    const checkpointer = SqliteSaver.fromConnString(db);
    try {
      const { graph, fake } = makeGraph({ checkpointer, script: { "sre-agent:v1.0": "Then lower chunk_target_size [2]." } });
      const cfg = { configurable: { thread_id: "thread-1" } };
      const out = await graph.invoke({ query: "loki ingesters still crashing after raising it", documents: LOKI_DOCS }, cfg);
      expect(out.answer).toBe("Then lower chunk_target_size [2].");

      const prompt = promptText(fake.calls[0]);
      expect(prompt).toContain(`human: ${TROUBLESHOOTING_QUERY}`);
      expect(prompt).toContain("ai: Ingesters are OOMKilled.");
      expect(prompt).not.toContain("ai: Ingesters are OOMKilled [1].");
      expect(lastHuman(fake.calls[0])).toContain("Question: loki ingesters still crashing after raising it");

      const messages = await threadMessages(graph, "thread-1");
      expect(messages.map((m) => `${m.getType()}: ${textOf(m)}`)).toEqual([
        `human: ${TROUBLESHOOTING_QUERY}`,
        "ai: Ingesters are OOMKilled [1].",
        "human: loki ingesters still crashing after raising it",
        "ai: Then lower chunk_target_size [2].",
      ]);

      // Another thread of the same file is empty.
      const other = makeGraph({ checkpointer, fakeOptions: { fallback: "fresh" } });
      await other.graph.invoke({ query: TROUBLESHOOTING_QUERY }, { configurable: { thread_id: "thread-2" } });
      expect(promptText(other.fake.calls[0])).not.toContain("ai: Ingesters are OOMKilled");
    } finally {
      checkpointer.db.close();
    }
  });
});
