import { AIMessage, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import { ChatPromptTemplate, MessagesPlaceholder, PromptTemplate } from "@langchain/core/prompts";
import type { ContextDocument, Preferences, QueryType } from "../domain/index.js";
import { formatDocuments } from "./context.js";
import { FEW_SHOT_EXAMPLES } from "./examples.js";
import { preferenceInstructions, TEMPLATE_INSTRUCTIONS, templateFor } from "./instructions.js";
import { REPAIR_INSTRUCTION_TEMPLATE, REPAIR_NO_DOCUMENTS_TEMPLATE } from "./repair.js";
import { NO_DOCUMENTS_NOTE, SYSTEM_PROMPT } from "./system.js";
import { formatMarkers } from "../tools/citations.js";

export { formatDocuments, escapeDocumentText } from "./context.js";
export { FEW_SHOT_EXAMPLES, type FewShotExample } from "./examples.js";
export { TEMPLATE_INSTRUCTIONS, templateFor, preferenceInstructions, type PromptTemplateName } from "./instructions.js";
export { REPAIR_INSTRUCTION_TEMPLATE, REPAIR_NO_DOCUMENTS_TEMPLATE } from "./repair.js";
export { SYSTEM_PROMPT, NO_DOCUMENTS_NOTE } from "./system.js";

/** The answer prompt: system rules and task, worked examples, recent turns, then context and question. */
export const ANSWER_PROMPT = ChatPromptTemplate.fromMessages([
  ["system", "{system}\n\n{instructions}"],
  new MessagesPlaceholder("examples"),
  new MessagesPlaceholder("history"),
  ["human", "{context}\n\nQuestion: {query}"],
]);

export const REPAIR_PROMPT = PromptTemplate.fromTemplate(REPAIR_INSTRUCTION_TEMPLATE);
export const REPAIR_NO_DOCUMENTS_PROMPT = PromptTemplate.fromTemplate(REPAIR_NO_DOCUMENTS_TEMPLATE);

export interface AnswerPromptInput {
  queryType: QueryType;
  query: string;
  documents: readonly ContextDocument[];
  preferences?: Preferences | undefined;
  /** Earlier turns, oldest first, already cut to the number to include. */
  history: readonly BaseMessage[];
  /** Include the worked example of the template (default true). */
  includeExamples?: boolean;
}

/** The variables of `ANSWER_PROMPT` for one turn. */
export function answerPromptValues(input: AnswerPromptInput): Record<string, unknown> {
  const template = templateFor(input.queryType);
  const prefs = preferenceInstructions(input.preferences);
  const examples =
    (input.includeExamples ?? true)
      ? FEW_SHOT_EXAMPLES[template].flatMap((ex) => [
          new HumanMessage({ content: `${ex.context}\n\nQuestion: ${ex.question}`, name: "example_user" }),
          new AIMessage({ content: ex.answer, name: "example_assistant" }),
        ])
      : [];
  return {
    system: SYSTEM_PROMPT,
    instructions: prefs ? `${TEMPLATE_INSTRUCTIONS[template]}\n\n${prefs}` : TEMPLATE_INSTRUCTIONS[template],
    examples,
    history: [...input.history],
    context: input.documents.length > 0 ? formatDocuments(input.documents) : NO_DOCUMENTS_NOTE,
    query: input.query,
  };
}

/**
 * Renders the chat messages sent to the model for one turn. `formatMessages`, not `invoke`:
 * rendering is not a run of its own in traces and callbacks (the node that asks for it is).
 */
export function buildAnswerMessages(input: AnswerPromptInput): Promise<BaseMessage[]> {
  return ANSWER_PROMPT.formatMessages(answerPromptValues(input));
}

/** Renders the corrective instruction of the citation-repair round. */
export async function buildRepairInstruction(invalid: readonly number[], documentCount: number): Promise<string> {
  const markers = formatMarkers(invalid);
  return documentCount > 0 ? REPAIR_PROMPT.format({ invalid: markers, count: String(documentCount) }) : REPAIR_NO_DOCUMENTS_PROMPT.format({ invalid: markers });
}
