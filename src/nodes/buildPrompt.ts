import { AIMessage, mapChatMessagesToStoredMessages, type BaseMessage } from "@langchain/core/messages";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { ContextOverflowError, GenerationError } from "../domain/errors.js";
import type { GenerationDeps } from "./deps.js";
import type { GenerationStateType, GenerationUpdate } from "./state.js";
import { buildAnswerMessages, formatDocuments } from "../prompts/index.js";
import { DEFAULT_NUM_CTX, findModel } from "../domain/catalog.js";
import type { Notice } from "../domain/schemas.js";
import { stripInvalidCitations } from "../tools/citations.js";
import { profileFor } from "../domain/profiles.js";
import { fitContext, TOKENS_PER_MESSAGE } from "../tools/tokens.js";
import { messageText } from "../tools/usage.js";
import { emitStreamEvent } from "./events.js";
import { currentModel, handOver } from "./modelChain.js";

/**
 * The last `turns` exchanges of the thread. Citation markers are removed from earlier
 * answers: they pointed at that turn's documents, not this one's.
 */
export function recentHistory(messages: readonly BaseMessage[], turns: number): BaseMessage[] {
  if (turns <= 0) return [];
  return messages.slice(-2 * turns).map((m) => (m.getType() === "ai" && typeof m.content === "string" ? new AIMessage({ content: stripInvalidCitations(m.content, 0), id: m.id }) : m));
}

/**
 * The context window to request: the catalog's length, capped by what the server reports for
 * the model (`/api/show`, cached). A model outside the catalog gets `DEFAULT_NUM_CTX` at most.
 */
async function contextWindow(deps: GenerationDeps, model: string, signal?: AbortSignal): Promise<number> {
  const configured = findModel(deps.catalog, model)?.contextLength ?? DEFAULT_NUM_CTX;
  try {
    const details = await deps.admin.showModel(model, signal ? { signal } : {});
    return details.contextLength ? Math.min(configured, details.contextLength) : configured;
  } catch {
    return configured;
  }
}

/**
 * System prompt, type and preference instructions, a worked example, recent turns, numbered
 * documents and the query, fitted to the current model's context window: lower-ranked
 * documents are dropped first, then the oldest turns, and the caller is told what was dropped.
 */
export function createBuildPromptNode(getDeps: () => GenerationDeps) {
  return async function buildPrompt(state: GenerationStateType, config: LangGraphRunnableConfig): Promise<GenerationUpdate> {
    const deps = getDeps();
    const model = currentModel(state);
    if (model === undefined) throw new GenerationError("no model selected; selectModel must run before buildPrompt");
    const documents = state.documents ?? [];
    const history = recentHistory(state.messages, deps.config.history.promptTurns);
    const numCtx = await contextWindow(deps, model, config.signal);
    const profile = profileFor(state.queryType);
    const tokens = (text: string) => deps.tokenEstimator.estimate(model, text) + TOKENS_PER_MESSAGE;
    const base = { queryType: state.queryType, query: state.query, preferences: state.preferences };

    const fixed = await buildAnswerMessages({ ...base, documents: [], history: [] });
    const historyTurns: number[] = [];
    for (let i = 0; i < history.length; i += 2) {
      historyTurns.push(history.slice(i, i + 2).reduce((n, m) => n + tokens(messageText(m)), 0));
    }
    // The answer never takes more than half the window: a small window still holds the question.
    const answerTokens = Math.min(profile.maxTokens, Math.floor(numCtx / 2));
    const questionTokens = tokens(state.query);
    const budget = fitContext({
      numCtx,
      reserveOutput: answerTokens,
      fixedTokens: fixed.reduce((n, m) => n + tokens(messageText(m)), 0),
      documentTokens: documents.map((d) => tokens(formatDocuments([d]))),
      historyTokens: historyTurns,
    });
    if (!budget.fits) {
      // Blame the question only when it is what fills the window.
      const hint = questionTokens * 2 > budget.needed ? "shorten the question (it is most of the prompt), or give the model a larger window" : "give the model a larger window";
      const overflow = new ContextOverflowError(
        `the instructions and the question need about ${budget.needed} tokens but ${model} has ${budget.available} left in its ${numCtx}-token context after reserving ${answerTokens} for the answer; ${hint}: contextLength in BRUNO_CATALOG (Ollama), BRUNO_CONTEXT_SIZE (embedded engine)`,
        { details: { model, numCtx, needed: budget.needed, available: budget.available } },
      );
      return handOver(deps, config, state, overflow, "skipped");
    }
    const kept = documents.slice(0, budget.documentsKept);
    const keptHistory = history.slice(history.length - budget.historyKept * 2);
    const fitNotices: Notice[] = [];
    const droppedDocuments = documents.length - kept.length;
    const droppedTurns = historyTurns.length - budget.historyKept;
    if (droppedDocuments > 0) {
      const dropped = documents.slice(kept.length).map((d, i) => `[${kept.length + i + 1}]${d.title ? ` ${d.title}` : ""}`);
      fitNotices.push({ code: "DOCUMENTS_DROPPED", message: `dropped ${dropped.length} lower-ranked document(s) to fit ${model}'s ${numCtx}-token context: ${dropped.join(", ")}` });
    }
    if (droppedTurns > 0) {
      fitNotices.push({ code: "HISTORY_DROPPED", message: `left ${droppedTurns} earlier turn(s) of the conversation out of the prompt to fit ${model}'s context` });
    }
    const promptMessages = await buildAnswerMessages({ ...base, documents: kept, history: keptHistory });
    deps.telemetry.runDebug(
      deps.logger,
      config,
      { model, queryType: state.queryType },
      { event: "prompt_built", numCtx, estimatedTokens: budget.totalTokens, documents: kept.length, droppedDocuments },
      "prompt built",
    );
    emitStreamEvent(deps, config, { type: "prompt_built", model, numCtx, documents: kept.length, droppedDocuments, droppedTurns });
    return {
      promptMessages: mapChatMessagesToStoredMessages(promptMessages),
      promptModel: model,
      numCtx,
      documentsUsed: kept.length,
      promptChars: promptMessages.reduce((n, m) => n + messageText(m).length, 0),
      fitNotices,
      answerTokens,
    };
  };
}
