/**
 * `--fake`: the Ollama-protocol test server, started in-process, answering each request with
 * the script of the dataset item whose query the prompt carries. The real graph, ChatOllama
 * and every scorer run; only the model's words are scripted. Reports of such runs say that
 * they check the machinery, not the model.
 */
import { DEFAULT_CATALOG } from "../../src/domain/catalog.js";
import { FakeOllama, type ChatRequestBody, type FakeModel, type ScriptedReply } from "../../src/testing/index.js";
import type { JudgeVerdict } from "../scorers/judge.js";

export interface ItemScript {
  id: string;
  query: string;
  /** Answers in call order; the last one repeats (a citation repair round takes the next). */
  answers: readonly string[];
}

/** The verdict the scripted judge gives every answer. */
export const SCRIPTED_VERDICT: JudgeVerdict = {
  grounded: true,
  score: 1,
  unsupportedClaims: [],
  reasoning: "scripted judge verdict (--fake): checks the judge machinery, not the answer",
};

/** Reply when no item matches a request. */
export const UNSCRIPTED_REPLY = "(no scripted answer for this question)";

const QUESTION_MARK = "\n\nQuestion: ";

/** The question of every user message of a chat request (the prompt ends its user turns with "Question: …"). */
export function questionsOf(req: ChatRequestBody): string[] {
  const out: string[] = [];
  for (const m of req.messages ?? []) {
    if (m.role !== "user" || typeof m.content !== "string") continue;
    const at = m.content.lastIndexOf(QUESTION_MARK);
    out.push((at >= 0 ? m.content.slice(at + QUESTION_MARK.length) : m.content).trim());
  }
  return out;
}

export interface ScriptedOllama {
  server: FakeOllama;
  url: string;
  /** How many chat calls each item got. */
  calls: Map<string, number>;
  close(): Promise<void>;
}

/** Starts the scripted server with every catalog model (and the judge model) installed. */
export async function startScriptedOllama(scripts: readonly ItemScript[], options: { judgeModel?: string } = {}): Promise<ScriptedOllama> {
  const byQuery = new Map<string, ItemScript>();
  for (const s of scripts) byQuery.set(s.query.trim(), s);
  const calls = new Map<string, number>();
  const models: FakeModel[] = DEFAULT_CATALOG.models.map((m) => ({ name: m.tag, contextLength: m.contextLength }));
  if (options.judgeModel && !models.some((m) => m.name === options.judgeModel)) models.push({ name: options.judgeModel });
  const reply = (req: ChatRequestBody): ScriptedReply => {
    if (options.judgeModel && req.model === options.judgeModel && req.format !== undefined) return { content: JSON.stringify(SCRIPTED_VERDICT) };
    const script = questionsOf(req)
      .map((q) => byQuery.get(q))
      .find((s): s is ItemScript => s !== undefined);
    if (!script) return { content: UNSCRIPTED_REPLY };
    const n = calls.get(script.id) ?? 0;
    calls.set(script.id, n + 1);
    const content = script.answers[Math.min(n, script.answers.length - 1)] ?? UNSCRIPTED_REPLY;
    return { content };
  };
  const server = await FakeOllama.start({ models, defaultReply: reply });
  return { server, url: server.url, calls, close: () => server.close() };
}
