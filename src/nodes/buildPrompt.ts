import { AIMessage, mapChatMessagesToStoredMessages, type BaseMessage } from "@langchain/core/messages";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { GenerationDeps } from "../graph/deps.js";
import type { GenerationStateType, GenerationUpdate } from "../graph/state.js";
import { buildAnswerMessages } from "../prompts/index.js";
import { stripInvalidCitations } from "../tools/citations.js";

/**
 * The last `turns` exchanges of the thread. Citation markers are removed from earlier
 * answers: they pointed at that turn's documents, not this one's.
 */
export function recentHistory(messages: readonly BaseMessage[], turns: number): BaseMessage[] {
  if (turns <= 0) return [];
  return messages.slice(-2 * turns).map((m) =>
    m.getType() === "ai" && typeof m.content === "string" ? new AIMessage({ content: stripInvalidCitations(m.content, 0), id: m.id }) : m,
  );
}

/** System prompt, type and preference instructions, examples, recent turns, numbered documents, query. */
export function createBuildPromptNode(getDeps: () => GenerationDeps) {
  return async function buildPrompt(state: GenerationStateType, _config: LangGraphRunnableConfig): Promise<GenerationUpdate> {
    const deps = getDeps();
    const promptMessages = await buildAnswerMessages({
      queryType: state.queryType,
      query: state.query,
      documents: state.documents ?? [],
      preferences: state.preferences,
      history: recentHistory(state.messages, deps.config.history.promptTurns),
    });
    return { promptMessages: mapChatMessagesToStoredMessages(promptMessages) };
  };
}
