/**
 * What the fake server answers to `/api/chat`: the default reply (which cites numbered context
 * documents found in the prompt), script-step checks, and the reply plan — the chunks to stream,
 * cut at `options.stop` / `options.num_predict`, with the counts and durations of the final chunk.
 */
import { isRecord } from "./http.js";
import type { ChatRequestBody, ChatStep, ChatTiming, Fault, ScriptedReply } from "./types.js";

const NS_PER_MS = 1_000_000;
const PROMPT_EVAL_NS_PER_TOKEN = 400_000;
const EVAL_NS_PER_TOKEN = 20_000_000;
const OVERHEAD_NS = 1_500_000;
const REPLY_MARK = "(fake-ollama)";

/** One streamed chunk: reasoning text (`message.thinking`) or answer text (`message.content`). */
export interface Chunk {
  kind: "thinking" | "content";
  text: string;
}

/** What one `/api/chat` answer sends: the chunks, the `done_reason` and the final chunk's counts and durations (ns). */
export interface ReplyPlan {
  chunks: Chunk[];
  doneReason: string;
  metrics: {
    total_duration: number;
    load_duration: number;
    prompt_eval_count: number;
    prompt_eval_duration: number;
    eval_count: number;
    eval_duration: number;
  };
}

/**
 * The reply used when nothing is scripted: a short answer marked `(fake-ollama)`. When the system
 * messages or the last user message contain numbered context documents (lines starting with `[N]`
 * or `<document index="N">` blocks), it summarises the first one or two and cites them as `[N]`.
 */
export function defaultReply(req: ChatRequestBody): ScriptedReply {
  const messages = Array.isArray(req.messages) ? req.messages : [];
  const lastUser = [...messages].reverse().find((m) => m.role === "user");
  const sources = [...messages.filter((m) => m.role === "system"), ...(lastUser ? [lastUser] : [])];
  const text = sources.map((m) => (typeof m.content === "string" ? m.content : "")).join("\n\n");
  const docs = extractDocuments(text).slice(0, 2);
  if (docs.length > 0) {
    const sentences = docs.map((d) => `${d.summary} [${d.index}].`);
    return { content: `${REPLY_MARK} Based on the retrieved context: ${sentences.join(" ")}` };
  }
  const question = collapse(lastUser && typeof lastUser.content === "string" ? lastUser.content : "");
  const asked = question ? ` You asked: "${truncateWords(question, 20)}".` : "";
  return {
    content: `${REPLY_MARK} This is a canned answer from the fake Ollama server for model ${req.model}.${asked} No numbered context documents were provided, so nothing is cited.`,
  };
}

/** Splits text into stream tokens: each word with its surrounding whitespace, so that the tokens join back to the text. */
export function splitTokens(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text === "" ? [] : [text]);
}

/** Timing with the defaults filled in and negative delays raised to 0. */
export function normalizeTiming(timing: ChatTiming | undefined): Required<ChatTiming> {
  return {
    firstTokenDelayMs: Math.max(0, timing?.firstTokenDelayMs ?? 0),
    tokenDelayMs: Math.max(0, timing?.tokenDelayMs ?? 0),
  };
}

/** Whether a script step is a fault (it has a `kind`) rather than a reply. */
export function isFault(step: ChatStep): step is Fault {
  return "kind" in step;
}

/** Throws a `TypeError` when a reply's `tokens` do not join to its `content`. */
export function validateStep(step: ChatStep): void {
  if (isFault(step)) return;
  if (step.tokens && step.tokens.join("") !== step.content) {
    throw new TypeError(`ScriptedReply.tokens must join to content: ${JSON.stringify(step.tokens)} vs ${JSON.stringify(step.content)}`);
  }
}

/** Builds the answer to one request from a reply: thinking then content chunks, stop sequences, `num_predict`, counts and durations. */
export function planReply(reply: ScriptedReply, body: ChatRequestBody, timing: Required<ChatTiming>): ReplyPlan {
  const options = isRecord(body.options) ? body.options : {};
  const stops = stopSequences(options.stop);
  const contentTokens = reply.tokens ? [...reply.tokens] : splitTokens(reply.content);
  const thinkingTokens = reply.thinking && body.think !== false ? splitTokens(reply.thinking) : [];
  const { tokens: keptContent, cut: stoppedEarly } = cutAtStop(contentTokens, stops);
  let chunks: Chunk[] = [...thinkingTokens.map((text): Chunk => ({ kind: "thinking", text })), ...keptContent.map((text): Chunk => ({ kind: "content", text }))];
  let doneReason = stoppedEarly ? "stop" : (reply.doneReason ?? "stop");
  const numPredict = typeof options.num_predict === "number" ? Math.floor(options.num_predict) : 0;
  if (numPredict > 0 && chunks.length > numPredict) {
    chunks = chunks.slice(0, numPredict);
    doneReason = "length";
  }
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const promptChars = messages.reduce((sum, m) => sum + (typeof m.content === "string" ? m.content.length : 0), 0);
  const promptEvalCount = reply.promptEvalCount ?? Math.ceil(promptChars / 4);
  const evalCount = reply.evalCount ?? chunks.length;
  const loadDuration = Math.round((reply.loadDurationMs ?? 0) * NS_PER_MS);
  const promptEvalDuration = timing.firstTokenDelayMs > 0 ? Math.round(timing.firstTokenDelayMs * NS_PER_MS) : promptEvalCount * PROMPT_EVAL_NS_PER_TOKEN;
  const evalDuration = evalCount * (timing.tokenDelayMs > 0 ? Math.round(timing.tokenDelayMs * NS_PER_MS) : EVAL_NS_PER_TOKEN);
  return {
    chunks,
    doneReason,
    metrics: {
      total_duration: loadDuration + promptEvalDuration + evalDuration + OVERHEAD_NS,
      load_duration: loadDuration,
      prompt_eval_count: promptEvalCount,
      prompt_eval_duration: promptEvalDuration,
      eval_count: evalCount,
      eval_duration: evalDuration,
    },
  };
}

function stopSequences(value: unknown): string[] {
  const list = Array.isArray(value) ? value : typeof value === "string" ? [value] : [];
  return list.filter((s): s is string => typeof s === "string" && s !== "");
}

function cutAtStop(tokens: string[], stops: string[]): { tokens: string[]; cut: boolean } {
  if (stops.length === 0) return { tokens, cut: false };
  const text = tokens.join("");
  const positions = stops.map((s) => text.indexOf(s)).filter((i) => i >= 0);
  if (positions.length === 0) return { tokens, cut: false };
  let remaining = Math.min(...positions);
  const kept: string[] = [];
  for (const token of tokens) {
    if (remaining <= 0) break;
    kept.push(token.slice(0, remaining));
    remaining -= token.length;
  }
  return { tokens: kept.filter((t) => t !== ""), cut: true };
}

function collapse(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function truncateWords(text: string, maxWords: number): string {
  const words = text.split(" ");
  return words.length <= maxWords ? text : words.slice(0, maxWords).join(" ");
}

function summarize(text: string): string {
  const clean = collapse(text.replace(/<[^>]+>/g, " "));
  const sentence = /^(.+?[.!?])(?=\s|$)/.exec(clean)?.[1] ?? clean;
  return truncateWords(sentence, 30).replace(/[\s.!?;:,]+$/, "");
}

function extractDocuments(text: string): { index: number; summary: string }[] {
  const found: { index: number; summary: string; position: number }[] = [];
  const xml = /<document\b[^>]*?\bindex\s*=\s*["']?(\d+)["']?[^>]*>([\s\S]*?)(?=<\/document>|<document\b|$)/gi;
  for (const match of text.matchAll(xml)) {
    found.push({ index: Number(match[1]), summary: summarize(match[2] ?? ""), position: match.index ?? 0 });
  }
  const marker = /^\s*\[(\d+)\]\s*(.*)$/;
  let current: { index: number; parts: string[]; position: number } | undefined;
  let offset = 0;
  const flush = (): void => {
    if (current) found.push({ index: current.index, summary: summarize(current.parts.join(" ")), position: current.position });
    current = undefined;
  };
  for (const line of text.split("\n")) {
    const match = marker.exec(line);
    if (match) {
      flush();
      current = { index: Number(match[1]), parts: [match[2] ?? ""], position: offset };
    } else if (current) {
      if (line.trim() === "") flush();
      else current.parts.push(line);
    }
    offset += line.length + 1;
  }
  flush();
  const seen = new Set<number>();
  return found
    .filter((d) => d.summary !== "")
    .sort((a, b) => a.position - b.position)
    .filter((d) => (seen.has(d.index) ? false : (seen.add(d.index), true)))
    .map(({ index, summary }) => ({ index, summary }));
}
