import { AIMessageChunk } from "@langchain/core/messages";
import { describe, expect, it } from "vitest";
import { messageText, stripThinking, usageFromMessage } from "../../src/tools/usage.js";

describe("usageFromMessage", () => {
  it("reads usage_metadata and converts Ollama's nanoseconds to milliseconds", () => {
    const message = new AIMessageChunk({
      content: "",
      usage_metadata: { input_tokens: 812, output_tokens: 240, total_tokens: 1052 },
      response_metadata: { load_duration: 2_500_000_000, prompt_eval_duration: 123_000_000, eval_duration: 4_560_000_000 },
    });
    expect(usageFromMessage(message, 5_321)).toEqual({
      inputTokens: 812,
      outputTokens: 240,
      durationMs: 5_321,
      loadMs: 2_500,
      promptEvalMs: 123,
      evalMs: 4_560,
    });
  });

  it.each<[string, unknown, number]>([
    ["1 ms", 1_000_000, 1],
    ["fractional", 1_500_000, 1.5],
    ["zero", 0, 0],
    ["negative", -5_000_000, 0],
    ["string", "1000000", 0],
    ["NaN", Number.NaN, 0],
    ["Infinity", Number.POSITIVE_INFINITY, 0],
    ["missing", undefined, 0],
  ])("load_duration %s → %s ms", (_name, ns, ms) => {
    const message = new AIMessageChunk({ content: "x", response_metadata: ns === undefined ? {} : { load_duration: ns } });
    expect(usageFromMessage(message, 0).loadMs).toBe(ms);
  });

  it.each<[string, AIMessageChunk | undefined]>([
    ["undefined message", undefined],
    ["message without metadata", new AIMessageChunk({ content: "hello" })],
  ])("%s → zero counts, wall time kept", (_name, message) => {
    expect(usageFromMessage(message, 42)).toEqual({ inputTokens: 0, outputTokens: 0, durationMs: 42, loadMs: 0, promptEvalMs: 0, evalMs: 0 });
  });
});

describe("stripThinking", () => {
  it.each<[string, string, string]>([
    ["no thinking", "Restart the pod [1].", "Restart the pod [1]."],
    ["leading block", "<think>the user wants…</think>\n\nRestart the pod [1].", "Restart the pod [1]."],
    ["multi-line block", "<think>\nline 1\nline 2\n</think>Answer", "Answer"],
    ["upper case tags", "<THINK>hmm</THINK>Answer", "Answer"],
    ["two blocks", "<think>a</think>One. <think>b</think>Two.", "One. Two."],
    ["unclosed block removes the rest", "Answer first. <think>still thinking", "Answer first."],
    ["only thinking", "<think>nothing to say</think>", ""],
    ["surrounding whitespace trimmed", "  \n Answer \n ", "Answer"],
    ["code with think-like text untouched", "Use `think` here.", "Use `think` here."],
  ])("%s", (_name, input, expected) => {
    expect(stripThinking(input)).toBe(expected);
  });
});

describe("messageText", () => {
  it.each<[string, AIMessageChunk | undefined, string]>([
    ["undefined", undefined, ""],
    ["string content", new AIMessageChunk({ content: "plain answer [1]" }), "plain answer [1]"],
    ["empty string", new AIMessageChunk({ content: "" }), ""],
    [
      "text blocks joined",
      new AIMessageChunk({
        content: [
          { type: "text", text: "Hello, " },
          { type: "text", text: "world" },
        ],
      }),
      "Hello, world",
    ],
    [
      "non-text blocks skipped",
      new AIMessageChunk({
        content: [
          { type: "text", text: "a" },
          { type: "image_url", image_url: "data:image/png;base64,AAAA" },
          { type: "text", text: "b" },
        ],
      }),
      "ab",
    ],
    ["no blocks", new AIMessageChunk({ content: [] }), ""],
  ])("%s", (_name, message, expected) => {
    expect(messageText(message)).toBe(expected);
  });
});
