/**
 * The load generators: the conversations sent to the `bruno serve` replicas on the arrival
 * schedule (each message waits for the answer to the previous one, and each goes to a random
 * replica, so a conversation spans replicas; every send of a message carries its own
 * `Idempotency-Key`), and the same schedule sent straight to the Ollama
 * test servers through a bare `ChatOllama`, for the baseline latency.
 */
import { AIMessage, HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import { ChatOllama } from "@langchain/ollama";
import type { ScaleClient, TurnResult } from "./client.js";
import type { Conversation, Message } from "./corpus.js";
import { sleep } from "./schedule.js";

export interface TurnRecord extends TurnResult {
  conversation: number;
  turn: number;
  threadId: string;
  query: string;
  /** When the turn was first sent, in ms from the start of the run. */
  sentAt: number;
}

/** The `Idempotency-Key` of a message: its thread and position, the same on every resend of it. */
export function messageKey(threadId: string, turn: number): string {
  return `${threadId}/${turn + 1}`;
}

/** Runs every conversation at its arrival time; resolves with every turn once all are done. */
export async function runConversations(conversations: readonly Conversation[], arrivals: readonly number[], client: ScaleClient): Promise<TurnRecord[]> {
  const records: TurnRecord[] = [];
  await Promise.all(
    conversations.map(async (conversation, i) => {
      await sleep((arrivals[i] ?? 0) - client.now());
      for (const [turn, message] of conversation.messages.entries()) {
        const sentAt = client.now();
        const result = await client.send({ ...message, threadId: conversation.threadId }, messageKey(conversation.threadId, turn));
        records.push({ ...result, conversation: conversation.index, turn, threadId: conversation.threadId, query: message.query, sentAt });
      }
    }),
  );
  return records.sort((a, b) => a.conversation - b.conversation || a.turn - b.turn);
}

export interface BareSample {
  ok: boolean;
  /** When the message was sent, in ms from the start of the baseline. */
  sentAt: number;
  latencyMs: number;
  error?: string;
}

/** The model every baseline message goes to: the one the stage picks for these questions (the test servers answer every model at the same pace). */
export const BASELINE_MODEL = "llama3.1:8b";

/** A system prompt holding the documents as numbered `<document>` blocks, as the stage's prompt does. */
function systemPrompt(message: Message): string {
  const blocks = message.documents.map((d, i) => `<document index="${i + 1}" title="${d.title ?? ""}">\n${d.content}\n</document>`);
  return `You are an SRE assistant. Answer from the documents and cite them as [N].\n\n${blocks.join("\n")}`;
}

/**
 * The same arrival schedule and conversations sent straight to the test servers (each message to a
 * random one) through one bare `ChatOllama` per server: the documents in a system message, the
 * conversation so far, the question. Latency is from the call to the last token.
 */
export async function runBaseline(conversations: readonly Conversation[], arrivals: readonly number[], hosts: readonly string[], random: () => number): Promise<BareSample[]> {
  const models = hosts.map((baseUrl) => new ChatOllama({ model: BASELINE_MODEL, baseUrl, checkOrPullModel: false, maxRetries: 0, think: false }));
  const t0 = performance.now();
  const samples: BareSample[] = [];
  await Promise.all(
    conversations.map(async (conversation, i) => {
      await sleep((arrivals[i] ?? 0) - (performance.now() - t0));
      const history: BaseMessage[] = [];
      for (const message of conversation.messages) {
        const model = models[Math.floor(random() * models.length)] as ChatOllama;
        const started = performance.now();
        try {
          let answer = "";
          for await (const chunk of await model.stream([new SystemMessage(systemPrompt(message)), ...history, new HumanMessage(message.query)])) {
            answer += typeof chunk.content === "string" ? chunk.content : "";
          }
          samples.push({ ok: true, sentAt: started - t0, latencyMs: performance.now() - started });
          history.push(new HumanMessage(message.query), new AIMessage(answer));
        } catch (err) {
          samples.push({ ok: false, sentAt: started - t0, latencyMs: performance.now() - started, error: err instanceof Error ? err.message : String(err) });
        }
      }
    }),
  );
  return samples;
}
