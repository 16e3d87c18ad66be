import { Overwrite, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { fieldPath, InvalidInputError } from "../domain/errors.js";
import type { GenerationDeps } from "./deps.js";
import { EMPTY_USAGE, GenerationInputSchema, type GenerationInput, type Notice } from "../domain/index.js";
import { emitStreamEvent } from "./events.js";
import { type GenerationStateType, type GenerationUpdate } from "./state.js";
import { classifyQuery } from "../tools/classifier.js";
import type { BrunoConfig } from "../config/config.js";

/**
 * Validates one turn's input against the schema and the configured limits.
 * Throws `InvalidInputError` naming the first offending field.
 */
export function parseGenerationInput(raw: unknown, limits: BrunoConfig["limits"]): GenerationInput {
  const parsed = GenerationInputSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(issue ? fieldPath(issue.path) || "input" : "input", issue?.message ?? "invalid");
  }
  const input = parsed.data;
  if (input.query.trim() === "") throw new InvalidInputError("query", "the query is empty; ask a question");
  if (input.query.length > limits.maxQueryChars) {
    throw new InvalidInputError("query", `the query has ${input.query.length} characters; the limit is ${limits.maxQueryChars} (BRUNO_MAX_QUERY_CHARS)`);
  }
  const docs = input.documents ?? [];
  if (docs.length > limits.maxDocuments) {
    throw new InvalidInputError("documents", `${docs.length} documents given; the limit is ${limits.maxDocuments} (BRUNO_MAX_DOCUMENTS); pass the top-ranked ones`);
  }
  docs.forEach((doc, i) => {
    if (doc.content.trim() === "") throw new InvalidInputError(`documents[${i}].content`, "the document is empty");
    if (doc.content.length > limits.maxDocumentChars) {
      throw new InvalidInputError(
        `documents[${i}].content`,
        `the document has ${doc.content.length} characters; the limit is ${limits.maxDocumentChars} (BRUNO_MAX_DOCUMENT_CHARS); split it into chunks`,
      );
    }
  });
  return input;
}

/** Deterministic rules, no model call: query type, complexity, whether code is needed. */
export function createClassifyNode(getDeps: () => GenerationDeps) {
  return async function classify(state: GenerationStateType, config: LangGraphRunnableConfig): Promise<GenerationUpdate> {
    const deps = getDeps();
    const input = parseGenerationInput(
      {
        query: state.query,
        documents: state.documents,
        queryType: state.queryType,
        preferences: state.preferences,
        model: state.model,
        maxLatencyMs: state.maxLatencyMs,
        turnId: state.turnId,
      },
      deps.config.limits,
    );
    const result = classifyQuery(input.query, input.queryType);
    deps.telemetry.runDebug(
      deps.logger,
      config,
      {},
      { event: "classified", queryType: result.queryType, complexity: result.complexity, requiresCode: result.requiresCode, matched: result.matched },
      "query classified",
    );
    emitStreamEvent(deps, config, { type: "classified", queryType: result.queryType, complexity: result.complexity, requiresCode: result.requiresCode });
    // A follow-up that brings no documents answers from the ones the previous turn used, and says so.
    const given = input.documents ?? [];
    const carried = given.length === 0 && (state.lastDocuments ?? []).length > 0 ? (state.lastDocuments ?? []) : undefined;
    const turnNotices: Notice[] = carried
      ? [
          {
            code: "DOCUMENTS_CARRIED",
            message: `no documents were given; answering from the ${carried.length} document(s) of the previous turn: ${carried.map((d, i) => `[${i + 1}]${d.title ? ` ${d.title}` : ""}`).join(", ")}`,
          },
        ]
      : [];
    return {
      queryType: result.queryType,
      complexity: result.complexity,
      requiresCode: result.requiresCode,
      documents: carried ?? given,
      documentsCarried: carried !== undefined,
      startedAt: deps.clock.now(),
      warnings: new Overwrite<string[]>(turnNotices.map((n) => n.message)),
      notices: new Overwrite<Notice[]>(turnNotices),
      modelsTried: new Overwrite([]),
      usage: new Overwrite({ ...EMPTY_USAGE }),
    };
  };
}
