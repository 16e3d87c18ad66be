import { ChatOllama } from "@langchain/ollama";
import type { OllamaCredentials } from "../../config/credentials.js";
import type { OllamaHostEntry } from "../../config/ollamaHost.js";
import type { ChatModelFactory } from "../ports.js";
import { ollamaFetch } from "./fetch.js";

export interface OllamaFactoryOptions {
  /** The server's address, without credentials. */
  host: string;
  /** Sent as `Authorization: Basic …` with every request (`OLLAMA_HOST=http://user:password@host`). */
  credentials?: OllamaCredentials | undefined;
  keepAlive: string;
  /** The other servers a call may name (`ChatModelRequest.host`, `OLLAMA_HOSTS`), each with its credentials. */
  hosts?: readonly OllamaHostEntry[] | undefined;
  /** The fetch to wrap; global fetch by default. */
  fetch?: typeof fetch;
}

/**
 * ChatOllama per call, so that aborting one request never aborts another stream of a shared
 * client. Its fetch aborts on the call's signal (ChatOllama does not pass call signals to its
 * HTTP client, so without it a server that never answers hangs the call), sends the
 * credentials, and checks the stream line by line (see `ollamaFetch`). Auto-pull stays off (a
 * request never starts a model download), LangChain's own retries are off (the resilience
 * layer is the only one), and `think` is sent as false so reasoning models keep their thinking
 * out of the answer.
 */
export function createOllamaChatModelFactory(options: OllamaFactoryOptions): ChatModelFactory {
  const servers = new Map<string, OllamaCredentials | undefined>((options.hosts ?? []).map((h) => [h.address, h.credentials]));
  servers.set(options.host, options.credentials);
  return (request) => {
    const host = request.host ?? options.host;
    if (!servers.has(host)) throw new RangeError(`no Ollama server ${host} is configured (OLLAMA_HOSTS)`);
    return new ChatOllama({
      model: request.model,
      baseUrl: host,
      fetch: ollamaFetch({ host, signal: request.signal, credentials: servers.get(host), base: options.fetch }),
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
  };
}
