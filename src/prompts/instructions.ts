import { traitsOf, type Preferences, type PromptTemplateName, type QueryType } from "../domain/index.js";

export type { PromptTemplateName } from "../domain/index.js";

/** Which template a query type is answered with. */
export function templateFor(type: QueryType): PromptTemplateName {
  return traitsOf(type).template;
}

/** Per-template instructions appended to the system prompt. */
export const TEMPLATE_INSTRUCTIONS: Record<PromptTemplateName, string> = {
  troubleshooting: `Task: help an on-call engineer resolve an operational problem.
Structure the answer as:
1. Likely cause — one or two sentences, with citations.
2. Diagnose — the commands or queries to confirm it, in the order to run them.
3. Fix — the mitigation steps, safest first.
4. Prevent — what to change so it does not recur (only if the documents say).
If the question quotes an error or log line, explain what that exact message means first.`,
  explanation: `Task: explain a concept clearly to an engineer.
Start with a one-sentence answer, then the details that matter in practice, then a short example if it helps. Compare options in a small table when the question asks for a comparison.`,
  code_review: `Task: review the code or configuration in the question.
List concrete problems first, most severe first, each with the line or field it concerns and why it is wrong, then show the corrected version in a fenced code block. Say explicitly when something is fine as it is.`,
  code_generation: `Task: write the code or configuration asked for.
Give the complete artifact in one fenced code block with the right language tag, ready to apply, then a few bullet points on what to adjust (names, namespaces, thresholds). Follow the conventions of the documents where they show any.`,
  chat: `Task: reply briefly and helpfully. If the user asks what you can do, say you answer questions about Kubernetes, observability and incidents from the team's runbooks.`,
};

/** Instructions for the asker's preferences; empty when none are set. */
export function preferenceInstructions(preferences: Preferences | undefined): string {
  const lines: string[] = [];
  if (preferences?.verbose === true) lines.push("Be thorough: include background, alternatives and caveats.");
  if (preferences?.verbose === false) lines.push("Be brief: the shortest complete answer.");
  if (preferences?.codeExamples === true) lines.push("Include concrete commands, queries or manifests where they help.");
  if (preferences?.codeExamples === false) lines.push("Avoid code blocks unless they are essential.");
  return lines.join("\n");
}
