import type { AIMessageChunk, BaseMessage } from "@langchain/core/messages";
import type { Usage } from "../domain/index.js";

const NS_PER_MS = 1e6;

function nsToMs(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value / NS_PER_MS : 0;
}

/** Token counts and model-side durations of one call, from Ollama's own final-chunk fields. */
export function usageFromMessage(message: AIMessageChunk | undefined, wallMs: number): Usage {
  const meta = (message?.response_metadata ?? {}) as Record<string, unknown>;
  return {
    inputTokens: message?.usage_metadata?.input_tokens ?? 0,
    outputTokens: message?.usage_metadata?.output_tokens ?? 0,
    durationMs: wallMs,
    loadMs: nsToMs(meta.load_duration),
    promptEvalMs: nsToMs(meta.prompt_eval_duration),
    evalMs: nsToMs(meta.eval_duration),
  };
}

/** The text of a message's content, whether a string or content blocks. */
export function messageText(message: BaseMessage | undefined): string {
  if (!message) return "";
  const content = message.content;
  if (typeof content === "string") return content;
  return content.map((block) => (typeof block === "object" && block !== null && "text" in block && typeof block.text === "string" ? block.text : "")).join("");
}

/** Removes `<think>…</think>` reasoning that some models put into the answer text. */
export function stripThinking(text: string): string {
  return text.replace(/<think>[\s\S]*?(<\/think>|$)/gi, "").trim();
}
