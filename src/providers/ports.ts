/**
 * The ports the nodes call through: a chat model per call, and the model server that says which
 * models are installed and how large their context is. Ollama (`./ollama`) and the embedded
 * llama.cpp engine (`./embedded`) implement both.
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { ModelNotFoundError, type GenerationProfile } from "../domain/index.js";

/** Everything needed to build the chat model for one call. */
export interface ChatModelRequest {
  /** The model tag. */
  model: string;
  profile: GenerationProfile;
  /** Context window to request (`num_ctx`). */
  numCtx: number;
  seed?: number | undefined;
  /** Aborts the underlying HTTP request (deadlines and caller cancellation). */
  signal: AbortSignal;
}

/** Builds a chat model per call: ChatOllama in production, a scripted fake in tests. */
export type ChatModelFactory = (request: ChatModelRequest) => BaseChatModel;

/** A model installed on the server, as `/api/tags` lists it. */
export interface InstalledModel {
  name: string;
  size?: number | undefined;
  parameterSize?: string | undefined;
  family?: string | undefined;
}

/** What `/api/show` tells about a model that matters here. */
export interface ModelDetails {
  name: string;
  /** The model's trained context length from `model_info` (`<arch>.context_length`), if reported. */
  contextLength?: number | undefined;
  capabilities: string[];
}

/**
 * A model server: which models are installed, how large their context is, its version, and
 * loading a model ahead of use. Ollama over HTTP, or the embedded engine's GGUF files.
 */
export interface ModelServer {
  readonly host: string;
  /** Installed models; cached for the TTL unless `fresh`. */
  listModels(options?: { fresh?: boolean; signal?: AbortSignal }): Promise<InstalledModel[]>;
  /** Details of one model; cached for the process. */
  showModel(name: string, options?: { signal?: AbortSignal }): Promise<ModelDetails>;
  /** The server version. */
  version(options?: { signal?: AbortSignal }): Promise<string>;
  /** Loads a model into memory without generating (an empty chat request); resolves with the load time. */
  warm?(name: string, options: { keepAlive: string; timeoutMs: number; signal?: AbortSignal }): Promise<{ loadMs: number }>;
}

/** A model server that reports a fixed model list; for tests and hosts that already know what is installed. */
export function staticModelServer(models: readonly string[], host = "static://models"): ModelServer {
  return {
    host,
    listModels: async () => models.map((name) => ({ name })),
    showModel: async (name) => {
      if (!models.includes(name)) throw new ModelNotFoundError(name);
      return { name, capabilities: ["completion"] };
    },
    version: async () => "static",
  };
}
