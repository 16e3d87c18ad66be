/**
 * Writing one `/api/chat` answer: NDJSON chunks and the final chunk when streaming, one JSON body
 * otherwise, with the configured delays, and the scripted faults that cut, stall or corrupt it.
 */
import type { ServerResponse } from "node:http";
import { JSON_TYPE, NDJSON_TYPE, sendJson } from "./http.js";
import type { Chunk, ReplyPlan } from "./replies.js";
import type { ChatRequestBody, ChatTiming, Fault } from "./types.js";

/**
 * One `/api/chat` response in progress. `abort` fires when it ends (finished, closed by the
 * client, or killed by the server); `serverKilled` tells a server-side kill from a client disconnect.
 */
export interface Exchange {
  readonly res: ServerResponse;
  readonly abort: AbortController;
  serverKilled: boolean;
  settled: boolean;
  lastWrite: Promise<void>;
}

/** Streams the plan as NDJSON chunks, then the final chunk, or stops where the fault says. */
export async function answerStream(exchange: Exchange, body: ChatRequestBody, plan: ReplyPlan, fault: Fault | undefined, timing: Required<ChatTiming>): Promise<void> {
  const { res, abort } = exchange;
  const limit = fault && "afterTokens" in fault ? Math.max(0, Math.min(fault.afterTokens, plan.chunks.length)) : plan.chunks.length;
  if (fault?.kind === "stall") {
    res.writeHead(200, { "Content-Type": NDJSON_TYPE });
    res.flushHeaders();
  }
  for (let i = 0; i < limit; i++) {
    if (!(await pause(i === 0 ? timing.firstTokenDelayMs : timing.tokenDelayMs, abort.signal))) return;
    writeLine(exchange, chunkMessage(body.model, plan.chunks[i]));
  }
  if (!fault) {
    if (plan.chunks.length === 0 && !(await pause(timing.firstTokenDelayMs, abort.signal))) return;
    writeLine(exchange, finalMessage(body.model, plan, ""));
    res.end();
    return;
  }
  switch (fault.kind) {
    case "dropMidStream":
      await Promise.race([exchange.lastWrite, untilAborted(abort.signal)]);
      exchange.serverKilled = true;
      res.socket?.destroy();
      return;
    case "stall":
      await untilAborted(abort.signal);
      return;
    case "malformed":
      writeRaw(exchange, `${malformedLine(body.model, fault.resume ? plan.chunks[limit] : undefined)}\n`);
      if (fault.resume) {
        for (let i = limit + 1; i < plan.chunks.length; i++) {
          if (!(await pause(timing.tokenDelayMs, abort.signal))) return;
          writeLine(exchange, chunkMessage(body.model, plan.chunks[i]));
        }
        writeLine(exchange, finalMessage(body.model, plan, ""));
      }
      res.end();
      return;
    case "streamError":
      writeLine(exchange, { error: fault.error });
      res.end();
      return;
    default:
      return;
  }
}

/** Answers `stream: false` with one JSON body after the whole reply's delay, or fails as the fault says. */
export async function answerOnce(exchange: Exchange, body: ChatRequestBody, plan: ReplyPlan, fault: Fault | undefined, timing: Required<ChatTiming>): Promise<void> {
  const { res, abort } = exchange;
  const emitted = fault && "afterTokens" in fault ? Math.min(fault.afterTokens, plan.chunks.length) : plan.chunks.length;
  const wait = timing.firstTokenDelayMs + timing.tokenDelayMs * Math.max(0, emitted - 1);
  if (fault?.kind === "stall") {
    await untilAborted(abort.signal);
    return;
  }
  if (!(await pause(wait, abort.signal))) return;
  if (!fault) {
    const thinking = plan.chunks
      .filter((c) => c.kind === "thinking")
      .map((c) => c.text)
      .join("");
    const content = plan.chunks
      .filter((c) => c.kind === "content")
      .map((c) => c.text)
      .join("");
    return sendJson(res, 200, finalMessage(body.model, plan, content, thinking));
  }
  switch (fault.kind) {
    case "dropMidStream":
      exchange.serverKilled = true;
      res.socket?.destroy();
      return;
    case "malformed":
      res.writeHead(200, { "Content-Type": JSON_TYPE });
      res.end(malformedLine(body.model));
      return;
    case "streamError":
      return sendJson(res, 500, { error: fault.error });
    default:
      return;
  }
}

function writeRaw(exchange: Exchange, data: string): void {
  const { res } = exchange;
  if (res.destroyed || res.writableEnded) return;
  if (!res.headersSent) res.writeHead(200, { "Content-Type": NDJSON_TYPE });
  exchange.lastWrite = new Promise((resolve) => res.write(data, () => resolve()));
}

function writeLine(exchange: Exchange, value: unknown): void {
  writeRaw(exchange, `${JSON.stringify(value)}\n`);
}

function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

function chunkMessage(model: string, chunk: Chunk | undefined): Record<string, unknown> {
  const message: Record<string, unknown> = { role: "assistant", content: chunk?.kind === "content" ? chunk.text : "" };
  if (chunk?.kind === "thinking") message.thinking = chunk.text;
  return { model, created_at: new Date().toISOString(), message, done: false };
}

function finalMessage(model: string, plan: ReplyPlan, content: string, thinking = ""): Record<string, unknown> {
  const message: Record<string, unknown> = { role: "assistant", content };
  if (thinking !== "") message.thinking = thinking;
  return { model, created_at: new Date().toISOString(), message, done_reason: plan.doneReason, done: true, ...plan.metrics };
}

/** A chunk cut short after its content's opening quote: not JSON. */
function malformedLine(model: string, chunk?: Chunk): string {
  const text = chunk?.kind === "content" ? JSON.stringify(chunk.text).slice(0, -1) : "";
  return `{"model":${JSON.stringify(model)},"created_at":"${new Date().toISOString()}","message":{"role":"assistant","content":${text}`;
}
