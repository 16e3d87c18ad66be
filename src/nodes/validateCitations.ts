import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { GenerationError } from "../errors.js";
import type { GenerationDeps } from "../graph/deps.js";
import type { Citation, GenerationStateType, GenerationUpdate } from "../graph/state.js";
import { checkCitations, stripInvalidCitations } from "../tools/citations.js";

/** How many repair rounds a turn may take. */
export const MAX_REPAIR_ROUNDS = 1;

function markers(numbers: readonly number[]): string {
  return numbers.map((n) => `[${n}]`).join(", ");
}

/**
 * Checks every [N] marker against the documents. Out-of-range markers get one repair round;
 * whatever is still invalid after it is stripped and reported. Finishes the turn: the answer,
 * its citations, and the exchange appended to the thread.
 */
export function createValidateCitationsNode(getDeps: () => GenerationDeps) {
  return async function validateCitations(state: GenerationStateType, _config: LangGraphRunnableConfig): Promise<GenerationUpdate> {
    const deps = getDeps();
    const generation = state.generation;
    if (!generation) throw new GenerationError("no generation to validate; generate must run first");
    const documents = (state.documents ?? []).slice(0, state.documentsUsed ?? (state.documents ?? []).length);
    const check = checkCitations(generation.text, documents);
    const repairRound = state.repairRound ?? 0;

    if (check.invalid.length > 0 && repairRound < MAX_REPAIR_ROUNDS) {
      deps.logger.info({ event: "citation_repair", invalid: check.invalid, documents: documents.length }, "invalid citations, asking for a repair");
      return { repairRound: repairRound + 1, invalidMarkers: check.invalid };
    }

    const warnings: string[] = [];
    let answer = generation.text;
    let citations: Citation[] = check.citations;
    if (check.invalid.length > 0) {
      answer = stripInvalidCitations(answer, documents.length);
      const range = documents.length > 0 ? `only [1]-[${documents.length}] exist` : "no documents were given";
      warnings.push(`removed citation ${markers(check.invalid)} from the answer: ${range}`);
      const kept = checkCitations(answer, documents).citations;
      citations = [...kept, ...check.citations.filter((c) => !c.valid)];
    }
    if (documents.length > 0 && !citations.some((c) => c.valid)) {
      warnings.push(`the answer cites none of the ${documents.length} documents; check it against them before acting on it`);
    }
    const durationMs = deps.clock.now() - (state.startedAt ?? deps.clock.now());
    return {
      answer,
      citations,
      model: generation.model,
      invalidMarkers: [],
      warnings,
      usage: { inputTokens: 0, outputTokens: 0, durationMs, loadMs: 0, promptEvalMs: 0, evalMs: 0 },
      // Plain message-likes: the reducer turns them into messages, and the "messages" stream
      // does not repeat the query and the answer that already streamed token by token.
      messages: [
        { role: "user", content: state.query },
        { role: "assistant", content: answer, response_metadata: { model: generation.model } },
      ],
    };
  };
}
