import { OllamaEmbeddings } from "@langchain/ollama";
import type { TextEmbedder } from "../../tools/grounding/index.js";
import { abortableFetch } from "./chatModel.js";

/** The Ollama embedding model of `BRUNO_EMBED_MODEL`, aborted by `signal`; no retries of its own. */
export function ollamaEmbedder(host: string, model: string, keepAlive: string, signal: AbortSignal): TextEmbedder {
  return new OllamaEmbeddings({ model, baseUrl: host, keepAlive, maxRetries: 0, fetch: abortableFetch(signal) });
}
