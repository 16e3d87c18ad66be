/**
 * LLM-as-judge for groundedness: an Ollama model (ChatOllama) grades whether every claim of the
 * answer is supported by the numbered documents, through openevals' `createLLMAsJudge` with a
 * zod-typed verdict. Loaded only when `--judge-model` is given.
 */
import { z } from "zod";
import type { ContextDocument } from "../../src/domain/index.js";

/** The judge's verdict. */
export const JudgeVerdict = z.object({
  /** True when every factual claim of the answer is supported by the documents it cites or by the documents in general. */
  grounded: z.boolean(),
  /** 0..1: share of the answer's claims that the documents support. */
  score: z.number().min(0).max(1),
  /** Claims the documents do not support, quoted from the answer. */
  unsupportedClaims: z.array(z.string()),
  /** One or two sentences on the verdict. */
  reasoning: z.string(),
});
export type JudgeVerdict = z.infer<typeof JudgeVerdict>;

/** The grading prompt; `{question}`, `{documents}` and `{answer}` are filled per item. */
export const JUDGE_PROMPT = `You are grading an answer written by an SRE assistant. The assistant was told to answer only from the numbered documents and to cite them as [N].

<question>
{question}
</question>

<documents>
{documents}
</documents>

<answer>
{answer}
</answer>

Check every factual claim of the answer (commands, numbers, names, causes, steps) against the documents. A claim is supported when a document states it or it follows directly from one; a citation [N] should point at a document that supports its sentence. General connective text needs no support.

Reply with: grounded (true only if every factual claim is supported), score (the share of factual claims that are supported, from 0 to 1), unsupportedClaims (the unsupported claims, quoted), and reasoning (one or two sentences).`;

export interface JudgeInput {
  question: string;
  documents: readonly ContextDocument[];
  answer: string;
}

export type GroundednessJudge = (input: JudgeInput) => Promise<JudgeVerdict>;

/** The documents as the judge sees them: numbered like the assistant saw them. */
export function formatJudgeDocuments(documents: readonly ContextDocument[]): string {
  return documents.map((d, i) => `[${i + 1}] ${d.title ?? d.source ?? `document ${i + 1}`}\n${d.content}`).join("\n\n");
}

export interface JudgeOptions {
  /** Ollama model tag of the judge, e.g. `llama3.1:8b` (`--judge-model`). */
  model: string;
  /** Ollama address of the judge (`--judge-host`, else the run's host). */
  host: string;
  signal?: AbortSignal;
}

/** Builds the judge: ChatOllama at temperature 0 through openevals' `createLLMAsJudge`. */
export async function createGroundednessJudge(options: JudgeOptions): Promise<GroundednessJudge> {
  const [{ createLLMAsJudge }, { ChatOllama }] = await Promise.all([import("openevals"), import("@langchain/ollama")]);
  const judge = new ChatOllama({ model: options.model, baseUrl: options.host, temperature: 0, maxRetries: 1, checkOrPullModel: false, think: false });
  const evaluate = createLLMAsJudge({ prompt: JUDGE_PROMPT, judge, outputSchema: JudgeVerdict });
  return async (input) => {
    const raw = await evaluate({ question: input.question, documents: formatJudgeDocuments(input.documents), answer: input.answer });
    return JudgeVerdict.parse(raw);
  };
}
