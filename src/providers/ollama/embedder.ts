import { OllamaEmbeddings } from "@langchain/ollama";
import type { OllamaCredentials } from "../../config/credentials.js";
import type { TextEmbedder } from "../../tools/grounding/index.js";
import { ollamaFetch } from "./fetch.js";

/**
 * The Ollama embedding model of `BRUNO_EMBED_MODEL`, aborted by `signal`, with the server's
 * credentials when it has some; no retries of its own.
 */
export function ollamaEmbedder(host: string, model: string, keepAlive: string, signal: AbortSignal, credentials?: OllamaCredentials): TextEmbedder {
  return new OllamaEmbeddings({ model, baseUrl: host, keepAlive, maxRetries: 0, fetch: ollamaFetch({ host, signal, credentials }) });
}
