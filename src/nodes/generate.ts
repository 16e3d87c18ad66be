import { AIMessage, HumanMessage, mapStoredMessagesToChatMessages, type AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { CircuitOpenError, GenerationError, ServerError, TimeoutError, isBrunoError, type BrunoError } from "../domain/errors.js";
import type { GenerationDeps } from "./deps.js";
import { documentsInPrompt, EMPTY_USAGE, type Generation } from "../domain/index.js";
import { type GenerationStateType, type GenerationUpdate } from "./state.js";
import { buildRepairInstruction } from "../prompts/index.js";
import { DEFAULT_NUM_CTX } from "../domain/catalog.js";
import { StreamDeadline } from "../runtime/deadline.js";
import { profileFor } from "../domain/profiles.js";
import { cancelled, toBrunoError } from "../providers/ollama/errors.js";
import { failsOver, handsOver } from "../runtime/failurePolicy.js";
import { emitStreamEvent } from "./events.js";
import { currentModel, handOver, nextModel, notice } from "./modelChain.js";
import type { GenerationEvent } from "../domain/events.js";
import { cacheable, responseCacheKey } from "../runtime/responseCache.js";
import { modelCallTraceConfig } from "../telemetry/tracing.js";
import { messageText, stripThinking, usageFromMessage } from "../tools/usage.js";

async function messagesFor(state: GenerationStateType): Promise<BaseMessage[]> {
  const base = mapStoredMessagesToChatMessages(state.promptMessages ?? []);
  if ((state.repairRound ?? 0) === 0 || !state.generation) return base;
  const instruction = await buildRepairInstruction(state.invalidMarkers ?? [], documentsInPrompt(state).length);
  return [...base, new AIMessage(state.generation.text), new HumanMessage(instruction)];
}

/**
 * Calls the current model of the chain and streams its tokens out of the graph. Transient
 * failures are retried with backoff under the server's bulkhead and the model's circuit
 * breaker. With several Ollama hosts, the call goes to the host with the model that has the
 * fewest calls in flight, and a failure of that host (the failure policy's `failover`) moves
 * the same model to the next host at once, also after the first tokens; only the last host
 * retries. A model that still fails, or whose circuit is open everywhere, is recorded and the
 * next model of the chain is tried; when the chain is spent the run fails with every attempt
 * listed.
 */
export function createGenerateNode(getDeps: () => GenerationDeps) {
  return async function generate(state: GenerationStateType, config: LangGraphRunnableConfig): Promise<GenerationUpdate> {
    const deps = getDeps();
    const index = state.modelIndex ?? 0;
    const repairRound = state.repairRound ?? 0;
    const model = currentModel(state);
    if (model === undefined) throw new GenerationError("no model selected; selectModel must run before generate");
    // One server: its address. Several (OLLAMA_HOSTS): the ones that have the model, asked below.
    const pooled = deps.admin.hostsWith !== undefined;
    const queryProfile = profileFor(state.queryType);
    const profile = state.answerTokens !== undefined && state.answerTokens < queryProfile.maxTokens ? { ...queryProfile, maxTokens: state.answerTokens } : queryProfile;
    const log = deps.telemetry.runLogger(deps.logger, config, { model, queryType: state.queryType, attempt: index + 1, repair: repairRound > 0 });
    const emit = (event: GenerationEvent) => emitStreamEvent(deps, config, event);
    const documents = documentsInPrompt(state);
    const numCtx = state.numCtx ?? DEFAULT_NUM_CTX;
    const traced = modelCallTraceConfig({ model, profile, numCtx, seed: deps.config.seed, attempt: index + 1, repairRound, documents });
    const startedAt = deps.clock.now();
    const turnDeadline = (state.startedAt ?? startedAt) + deps.config.timeouts.requestMs;
    // Each model left in the chain gets an equal share of the turn's remaining time, so a hung
    // server still lets the last model try; a repair round may use all of it.
    const modelsLeft = repairRound > 0 ? 1 : Math.max(1, (state.selection?.chain.length ?? 1) - index);
    const modelDeadline = startedAt + Math.max(0, turnDeadline - startedAt) / modelsLeft;
    const messages = await messagesFor(state);

    let attempted = false;
    let lastAttemptError: BrunoError | undefined;
    /** Text of the current attempt already streamed to the caller. */
    let streamedText = false;
    /** `firstTokenWithinMs`: with other hosts left, a host that sends no token in its part of the model's time is passed over. */
    const callOnce =
      (host: string, firstTokenWithinMs = Infinity) =>
      async (attemptSignal: AbortSignal): Promise<Generation> => {
        attempted = true;
        streamedText = false;
        const observed = deps.telemetry.modelCall(
          config,
          { model, host, messages, temperature: profile.temperature, maxTokens: profile.maxTokens, numCtx, documents: documents.length },
          { base: deps.logger, run: log },
        );
        const now = deps.clock.now();
        const remaining = Math.min(turnDeadline, modelDeadline) - now;
        if (remaining <= 0) {
          const expired = now >= turnDeadline ? turnExpired(deps.config.timeouts.requestMs) : shareSpent(model);
          observed.fail(expired, expired);
          throw expired;
        }
        const deadline = new StreamDeadline({
          ...deps.config.timeouts,
          totalMs: Math.min(deps.config.timeouts.totalMs, remaining),
          firstTokenMs: Math.max(1, Math.min(deps.config.timeouts.firstTokenMs, firstTokenWithinMs)),
          ...(remaining < deps.config.timeouts.totalMs ? { totalSetting: "this model's share of BRUNO_REQUEST_TIMEOUT_MS" } : {}),
          signal: attemptSignal,
          model,
        });
        const started = deps.clock.now();
        try {
          const chatModel = deps.chatModelFactory({
            model,
            profile,
            numCtx,
            seed: deps.config.seed,
            signal: deadline.signal,
            ...(pooled ? { host } : {}),
          });
          const stream = await chatModel.stream(messages, {
            ...config,
            runName: traced.runName,
            metadata: { ...config.metadata, ...traced.metadata },
            signal: deadline.signal,
            ...(profile.stop.length > 0 ? { stop: profile.stop } : {}),
          });
          let final: AIMessageChunk | undefined;
          for await (const chunk of stream) {
            deadline.tick();
            if (typeof chunk.content !== "string" || chunk.content !== "") {
              observed.token();
              streamedText = true;
            }
            final = final ? final.concat(chunk) : chunk;
          }
          if (deadline.signal.aborted) throw deadline.signal.reason;
          const raw = messageText(final);
          const text = stripThinking(raw);
          if (text === "") throw new GenerationError(`model '${model}' returned an empty answer`, { details: { model } });
          const inputTokens = final?.usage_metadata?.input_tokens;
          observed.end({ text: raw, inputTokens, outputTokens: final?.usage_metadata?.output_tokens });
          deps.tokenEstimator.observe(model, state.promptChars ?? 0, inputTokens ?? 0);
          return { model, text, usage: usageFromMessage(final, deps.clock.now() - started) };
        } catch (raw) {
          const error = config.signal?.aborted
            ? cancelled(config.signal.reason)
            : (lastAttemptError = deadline.expired ? (deps.clock.now() >= turnDeadline ? turnExpired(deps.config.timeouts.requestMs) : deadline.expired) : toBrunoError(raw, { model, host }));
          observed.fail(raw, error);
          throw error;
        } finally {
          deadline.dispose();
        }
      };

    let hosts = [deps.admin.host];
    if (deps.admin.hostsWith) {
      hosts = await deps.admin.hostsWith(model, config.signal ? { signal: config.signal } : {});
      if (hosts.length === 0) return failed(noHostAnswers(model, deps.admin.addresses ?? []), false);
    }
    if (repairRound === 0 && deps.resilience.rank(hosts, model).length === 0) {
      const open = new CircuitOpenError(hosts[0] ?? deps.admin.host, model, deps.config.breaker.cooldownMs);
      emit({ type: "skipped", model, code: open.code });
      return handOver(deps, config, state, open, "skipped");
    }

    const useCache = cacheable(deps.config.cache.mode, profile, deps.config.seed);
    const cacheKey = useCache ? responseCacheKey(model, messages, profile, numCtx, deps.config.seed) : undefined;
    if (cacheKey) {
      const cached = await deps.responseCache.lookup(cacheKey.prompt, cacheKey.llmKey);
      log.info({ event: cached ? "cache_hit" : "cache_miss", cache: "response" }, cached ? "cache hit" : "cache miss");
      if (cached) {
        // Nothing was evaluated: Ollama counted no tokens for this answer.
        const usage = { ...EMPTY_USAGE };
        emit({ type: "answered", model, usage, cached: true });
        return {
          generation: { ...cached, usage },
          usage,
          ...(repairRound === 0 ? { modelsTried: { model, outcome: "answered" as const, message: "from the response cache" } } : {}),
        };
      }
    }
    log.info({ event: "generation_started" }, "generation started");
    const tried: string[] = [];
    // Ranked right before each call, so that concurrent turns see each other's calls in flight.
    const candidates = () => {
      const left = hosts.filter((h) => !tried.includes(h));
      const ranked = deps.resilience.rank(left, model);
      return ranked.length > 0 ? ranked : left;
    };
    try {
      let generation: Generation | undefined;
      for (let host = candidates()[0] as string; generation === undefined;) {
        const others = deps.resilience.rank(
          hosts.filter((h) => h !== host && !tried.includes(h)),
          model,
        );
        try {
          generation = await deps.resilience.execute(
            {
              host,
              model,
              signal: config.signal,
              retryWithinMs: tried.length === 0 ? modelDeadline - startedAt : modelDeadline - deps.clock.now(),
              failover: others.length > 0,
              onEvent: (event) => {
                if (event.type === "retry" && streamedText) {
                  emit({ type: "answer_restart", model, next: model, reason: "retry" });
                  streamedText = false;
                }
                emit(event);
                if (event.type === "retry") log.warn({ event: "retry", attemptNo: event.attempt, delayMs: event.delayMs, code: event.code }, "retrying");
              },
            },
            // A hung host must not take the whole share: with others left, it gets its part for the first token.
            callOnce(host, others.length > 0 ? (modelDeadline - deps.clock.now()) / (others.length + 1) : Infinity),
          );
        } catch (raw) {
          const error = isBrunoError(raw) ? raw : toBrunoError(raw, { model, host });
          if (error.code === "SERVER_UNREACHABLE") deps.admin.markDown?.(host, error);
          tried.push(host);
          const next = candidates()[0];
          if (next === undefined || config.signal?.aborted || !failsOver(error)) throw error;
          log.warn({ event: "failover", from: host, to: next, code: error.code }, "host failed, trying the model on another host");
          emit({ type: "failover", model, from: host, to: next, code: error.code });
          if (streamedText) emit({ type: "answer_restart", model, next: model, reason: "failover" });
          streamedText = false;
          host = next;
          continue;
        }
        if (cacheKey) await deps.responseCache.update(cacheKey.prompt, cacheKey.llmKey, generation);
        const u = generation.usage;
        log.info({ event: "generation_completed", durationMs: u.durationMs, inputTokens: u.inputTokens, outputTokens: u.outputTokens, loadMs: u.loadMs }, "generation completed");
        emit({ type: "answered", model, usage: u, cached: false, ...(pooled ? { host } : {}) });
      }
      return {
        generation,
        usage: generation.usage,
        ...(repairRound === 0 ? { modelsTried: { model, outcome: "answered" as const } } : {}),
      };
    } catch (raw) {
      return failed(isBrunoError(raw) ? raw : toBrunoError(raw, { model, host: tried.at(-1) ?? deps.admin.host }), attempted);
    }

    /** The model is done with: the repair round keeps the first answer; otherwise hand over or end the turn. */
    function failed(error: BrunoError, requested: boolean): GenerationUpdate {
      log.warn({ event: "generation_failed", code: error.code, err: error.message }, "generation failed");
      // The repair round is optional: whatever stopped it, the first answer stands (unless the caller cancelled).
      if (repairRound > 0 && state.generation && error.code !== "CANCELLED") {
        emit({ type: "repair_failed", code: error.code });
        return notice("REPAIR_FAILED", `the citation repair round failed (${error.code}); kept the first answer`);
      }
      if (!handsOver(error)) throw error;
      const next = nextModel(state);
      if (streamedText && next !== undefined) emit({ type: "answer_restart", model: model as string, next, reason: "fallback" });
      // A circuit that opened during this model's own retries: report the server's failure.
      if (error.code === "CIRCUIT_OPEN" && requested && lastAttemptError) return handOver(deps, config, state, lastAttemptError, "failed");
      return handOver(deps, config, state, error, error.code === "CIRCUIT_OPEN" ? "skipped" : "failed");
    }
  };
}

/** Several hosts, none of which has the model and answers. */
function noHostAnswers(model: string, hosts: readonly string[]): ServerError {
  return new ServerError(
    "SERVER_UNREACHABLE",
    `no Ollama server that has ${model} answers (OLLAMA_HOSTS: ${hosts.join(", ")}): start one with \`ollama serve\`, or install the model on another (\`ollama pull ${model}\`)`,
    {
      details: { model, hosts: [...hosts] },
    },
  );
}

function turnExpired(requestMs: number): TimeoutError {
  return new TimeoutError("TIMEOUT_TOTAL", `the request did not finish within ${requestMs} ms (BRUNO_REQUEST_TIMEOUT_MS)`, { scope: "turn" });
}

function shareSpent(model: string): TimeoutError {
  return new TimeoutError("TIMEOUT_TOTAL", `${model} used its share of the turn (BRUNO_REQUEST_TIMEOUT_MS split along the model chain)`);
}
