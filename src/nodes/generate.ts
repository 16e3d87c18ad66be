import { AIMessage, HumanMessage, mapStoredMessagesToChatMessages, type AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { AllModelsFailedError, GenerationError, isFallbackWorthy, type BrunoError, type ModelFailure } from "../errors.js";
import type { GenerationDeps } from "../graph/deps.js";
import type { GenerationStateType, GenerationUpdate } from "../graph/state.js";
import { buildRepairInstruction } from "../prompts/index.js";
import { findModel } from "../tools/catalog.js";
import { StreamDeadline } from "../tools/deadline.js";
import { profileFor } from "../tools/generationProfiles.js";
import { cancelled, toBrunoError } from "../tools/ollamaErrors.js";
import { messageText, stripThinking, usageFromMessage } from "../tools/usage.js";

/** Context window used for a model the catalog does not list. */
export const DEFAULT_NUM_CTX = 8192;

async function messagesFor(state: GenerationStateType): Promise<BaseMessage[]> {
  const base = mapStoredMessagesToChatMessages(state.promptMessages ?? []);
  if ((state.repairRound ?? 0) === 0 || !state.generation) return base;
  const instruction = await buildRepairInstruction(state.invalidMarkers ?? [], (state.documents ?? []).length);
  return [...base, new AIMessage(state.generation.text), new HumanMessage(instruction)];
}

/**
 * Calls the current model of the chain and streams its tokens out of the graph. A model or
 * server failure records the attempt and moves to the next model; when the chain is spent
 * the run fails with every attempt listed.
 */
export function createGenerateNode(getDeps: () => GenerationDeps) {
  return async function generate(state: GenerationStateType, config: LangGraphRunnableConfig): Promise<GenerationUpdate> {
    const deps = getDeps();
    const chain = state.selection?.chain ?? [];
    const index = state.modelIndex ?? 0;
    const repairRound = state.repairRound ?? 0;
    const model = chain[index];
    if (model === undefined) throw new GenerationError("no model selected; selectModel must run before generate");
    const profile = profileFor(state.queryType);
    const log = deps.logger.child({ model, queryType: state.queryType, attempt: index + 1, repair: repairRound > 0 });
    const deadline = new StreamDeadline({ ...deps.config.timeouts, signal: config.signal, model });
    const started = deps.clock.now();
    log.info({ event: "generation_started" }, "generation started");
    try {
      const chatModel = deps.chatModelFactory({
        model,
        profile,
        numCtx: findModel(deps.catalog, model)?.contextLength ?? DEFAULT_NUM_CTX,
        seed: deps.config.seed,
        signal: deadline.signal,
      });
      const stream = await chatModel.stream(await messagesFor(state), {
        ...config,
        signal: deadline.signal,
        ...(profile.stop.length > 0 ? { stop: profile.stop } : {}),
      });
      let final: AIMessageChunk | undefined;
      for await (const chunk of stream) {
        deadline.tick();
        final = final ? final.concat(chunk) : chunk;
      }
      if (deadline.signal.aborted) throw deadline.signal.reason;
      const text = stripThinking(messageText(final));
      if (text === "") throw new GenerationError(`model '${model}' returned an empty answer`, { details: { model } });
      const usage = usageFromMessage(final, deps.clock.now() - started);
      log.info({ event: "generation_completed", durationMs: usage.durationMs, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, loadMs: usage.loadMs }, "generation completed");
      return {
        generation: { model, text, usage },
        usage,
        ...(repairRound === 0 ? { modelsTried: { model, outcome: "answered" as const } } : {}),
      };
    } catch (raw) {
      const error: BrunoError = deadline.expired ?? (config.signal?.aborted ? cancelled(config.signal.reason) : toBrunoError(raw, { model, host: deps.admin.host }));
      log.warn({ event: "generation_failed", code: error.code, err: error.message, durationMs: deps.clock.now() - started }, "generation failed");
      if (error.code === "CANCELLED") throw error;
      if (repairRound > 0 && state.generation) {
        return { warnings: `the citation repair round failed (${error.code}); kept the first answer` };
      }
      if (!isFallbackWorthy(error)) throw error;
      const failure = { model, outcome: "failed" as const, code: error.code, message: error.message };
      const next = chain[index + 1];
      if (next === undefined) {
        const attempts: ModelFailure[] = [
          ...state.modelsTried.filter((a) => a.outcome === "failed").map((a) => ({ model: a.model, code: (a.code ?? "GENERATION_FAILED") as ModelFailure["code"], message: a.message ?? "" })),
          { model, code: error.code, message: error.message },
        ];
        throw new AllModelsFailedError(attempts, { cause: error });
      }
      log.warn({ event: "fallback", from: model, to: next, reason: error.code }, "primary failed, using fallback");
      return {
        modelsTried: failure,
        modelIndex: index + 1,
        warnings: `${model} failed (${error.code}); fell back to ${next}`,
      };
    } finally {
      deadline.dispose();
    }
  };
}
