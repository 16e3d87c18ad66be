import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { Logger } from "pino";
import { GenerationError } from "../domain/errors.js";
import type { GenerationDeps } from "./deps.js";
import { documentsInPrompt, EMPTY_USAGE, type Citation, type Notice } from "../domain/index.js";
import { type GenerationStateType, type GenerationUpdate } from "./state.js";
import { ollamaEmbedder } from "../providers/ollama/embedder.js";
import { ollamaHostList } from "../config/ollamaHost.js";
import { checkCitations, formatMarkers, stripInvalidCitations } from "../tools/citations.js";
import { cancelled } from "../providers/ollama/errors.js";
import { emitStreamEvent } from "./events.js";
import { notices } from "./modelChain.js";
import { groundAnswer, refineWithEmbeddings, splitSentences, type GroundingResult } from "../tools/grounding/index.js";

/** How many repair rounds a turn may take. */
export const MAX_REPAIR_ROUNDS = 1;

/**
 * Refines the string-check scores with the configured embedding model. A failure or timeout
 * keeps the string-check scores and says so; cancellation of the turn propagates.
 */
async function refine(
  deps: GenerationDeps,
  grounding: GroundingResult,
  options: { threshold: number; query: string },
  signal: AbortSignal | undefined,
  log: Logger,
): Promise<{ grounding: GroundingResult; warning?: string }> {
  const model = deps.config.grounding.embedModel;
  if (!model || !grounding.scored.some((s) => s.score)) return { grounding };
  const timeout = AbortSignal.timeout(deps.config.grounding.embedTimeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  // The embedding model is an Ollama model, also when the embedded engine answers.
  // With several Ollama hosts, the first one that has the embedding model (else the first listed), with its credentials.
  const servers = ollamaHostList(deps.config);
  const withModel = (await deps.admin.hostsWith?.(model, signal ? { signal } : {}).catch(() => [])) ?? [];
  const chosen = servers.find((h) => withModel.includes(h.address)) ?? servers[0];
  const single = /^https?:\/\//.test(deps.admin.host) ? deps.admin.host : deps.config.ollamaHost;
  const host = servers.length > 1 && chosen ? chosen.address : single;
  const credentials = servers.length > 1 ? chosen?.credentials : deps.config.ollamaCredentials;
  try {
    const embedder = ollamaEmbedder(host, model, deps.config.keepAlive, combined, credentials);
    return { grounding: await refineWithEmbeddings(grounding, embedder, options) };
  } catch (error) {
    if (signal?.aborted) throw cancelled(signal.reason);
    const reason = timeout.aborted ? `no answer within ${deps.config.grounding.embedTimeoutMs} ms` : (error as Error).message;
    log.warn({ event: "grounding_embedding_failed", model, reason }, "embedding refinement failed");
    return { grounding, warning: `the embedding check with ${model} failed (${reason}); citation support comes from string checks only` };
  }
}

/**
 * Checks every [N] marker against the documents. Out-of-range markers get one repair round;
 * whatever is still invalid after it is stripped and reported. Finishes the turn: the answer,
 * its citations, and the exchange appended to the thread.
 */
export function createValidateCitationsNode(getDeps: () => GenerationDeps) {
  return async function validateCitations(state: GenerationStateType, config: LangGraphRunnableConfig): Promise<GenerationUpdate> {
    const deps = getDeps();
    const generation = state.generation;
    if (!generation) throw new GenerationError("no generation to validate; generate must run first");
    const documents = documentsInPrompt(state);
    const check = checkCitations(generation.text, documents);
    const repairRound = state.repairRound ?? 0;
    const log = deps.telemetry.runLogger(deps.logger, config, { model: generation.model, queryType: state.queryType });

    if (check.invalid.length > 0 && repairRound < MAX_REPAIR_ROUNDS) {
      log.info({ event: "citation_repair", invalid: check.invalid, documents: documents.length }, "invalid citations, asking for a repair");
      emitStreamEvent(deps, config, { type: "repair", markers: check.invalid, documents: documents.length });
      return { repairRound: repairRound + 1, invalidMarkers: check.invalid };
    }

    const turnNotices: Notice[] = [...(state.fitNotices ?? [])];
    let answer = generation.text;
    let stripped: Citation[] = [];
    if (check.invalid.length > 0) {
      answer = stripInvalidCitations(answer, documents.length);
      const given = (state.documents ?? []).length;
      const range = documents.length > 0 ? `only [1]-[${documents.length}] exist` : given > 0 ? `none of the ${given} documents fit the model's context` : "no documents were given";
      turnNotices.push({ code: "CITATIONS_STRIPPED", message: `removed citation ${formatMarkers(check.invalid)} from the answer: ${range}` });
      const sentences = splitSentences(generation.text);
      stripped = check.citations
        .filter((c) => !c.valid)
        .map((c) => {
          const sentence = sentences.find((s) => s.indices.includes(c.index))?.text;
          return sentence === undefined ? c : { ...c, sentence };
        });
    }
    // Every cited sentence scored against the document it cites (string checks, then embeddings if configured).
    const groundingOptions = { threshold: deps.config.grounding.threshold, query: state.query };
    const refined = await refine(deps, groundAnswer(answer, documents, groundingOptions), groundingOptions, config.signal, log);
    const grounding = refined.grounding;
    const citations: Citation[] = [...grounding.citations, ...stripped];
    if (documents.length > 0 && !citations.some((c) => c.valid)) {
      turnNotices.push({ code: "NO_CITATIONS", message: `the answer cites none of the ${documents.length} documents; check it against them before acting on it` });
    }
    if (refined.warning) turnNotices.push({ code: "EMBEDDING_FAILED", message: refined.warning });
    turnNotices.push(...grounding.notices);
    const sentToRepair = state.invalidMarkers ?? [];
    const repaired = sentToRepair.filter((n) => !check.invalid.includes(n));
    if (check.invalid.length > 0 || repaired.length > 0) {
      emitStreamEvent(deps, config, { type: "citations_checked", repaired, stripped: check.invalid, newlyInvalid: check.invalid.filter((n) => !sentToRepair.includes(n)) });
    }
    emitStreamEvent(deps, config, { type: "grounding", summary: grounding.summary });
    if (grounding.summary.checkedCitations > 0 || grounding.summary.uncitedClaims > 0) {
      log.info(
        {
          event: "grounding",
          method: grounding.summary.method,
          checked: grounding.summary.checkedCitations,
          unsupported: grounding.summary.unsupportedCitations,
          uncited: grounding.summary.uncitedClaims,
          meanSupport: grounding.summary.meanSupport,
        },
        "citations grounded",
      );
    }
    const durationMs = deps.clock.now() - (state.startedAt ?? deps.clock.now());
    return {
      answer,
      citations,
      grounding: grounding.summary,
      model: generation.model,
      invalidMarkers: [],
      lastDocuments: documents,
      lastTurn: {
        model: generation.model,
        queryType: state.queryType,
        complexity: state.complexity ?? "simple",
        reason: state.selection?.reason ?? "",
        documents: documents.map((d, i) => ({ index: i + 1, ...(d.title !== undefined ? { title: d.title } : {}), ...(d.source !== undefined ? { source: d.source } : {}) })),
        documentsCarried: state.documentsCarried ?? false,
        ...(state.turnId !== undefined ? { turnId: state.turnId } : {}),
      },
      ...(state.turnId !== undefined ? { recentTurnIds: state.turnId } : {}),
      ...notices(turnNotices),
      usage: { ...EMPTY_USAGE, durationMs },
      // Plain message-likes: the reducer turns them into messages, and the "messages" stream
      // does not repeat the query and the answer that already streamed token by token.
      messages: [
        { role: "user", content: state.query },
        { role: "assistant", content: answer, response_metadata: { model: generation.model } },
      ],
    };
  };
}
