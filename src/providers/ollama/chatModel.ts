import { ChatOllama } from "@langchain/ollama";
import type { ChatModelFactory } from "../ports.js";

export interface OllamaFactoryOptions {
  host: string;
  keepAlive: string;
  /** The fetch to wrap; global fetch by default. */
  fetch?: typeof fetch;
}

/**
 * Wraps fetch so the request also aborts on `signal`. ChatOllama does not pass call signals
 * to its HTTP client, so without this a server that never answers hangs the call.
 */
export function abortableFetch(signal: AbortSignal, base: typeof fetch = fetch): typeof fetch {
  return (input, init) => {
    const signals = init?.signal ? [init.signal, signal] : [signal];
    return base(input, { ...init, signal: AbortSignal.any(signals) });
  };
}

/**
 * ChatOllama per call, so that aborting one request never aborts another stream of a shared
 * client. Auto-pull stays off (a request never starts a model download), LangChain's own
 * retries are off (the resilience layer is the only one), and `think` is sent as false so
 * reasoning models keep their thinking out of the answer.
 */
export function createOllamaChatModelFactory(options: OllamaFactoryOptions): ChatModelFactory {
  return (request) =>
    new ChatOllama({
      model: request.model,
      baseUrl: options.host,
      fetch: abortableFetch(request.signal, options.fetch),
      checkOrPullModel: false,
      maxRetries: 0,
      think: false,
      keepAlive: options.keepAlive,
      temperature: request.profile.temperature,
      topP: request.profile.topP,
      topK: request.profile.topK,
      repeatPenalty: request.profile.repeatPenalty,
      numPredict: request.profile.maxTokens,
      numCtx: request.numCtx,
      ...(request.seed !== undefined ? { seed: request.seed } : {}),
    });
}
