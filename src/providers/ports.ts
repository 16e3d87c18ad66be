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
  /**
   * The server this call goes to (a printable address, as `ModelServer.hostsWith` names it);
   * the factory's own server when unset. A factory with one server ignores it.
   */
  host?: string | undefined;
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

/** One server behind a model server, as `bruno models` and a readiness probe show it. */
export interface HostStatus {
  /** Its printable address (never credentials). */
  host: string;
  /** It answered (or, without `fresh`, is not known to be down). */
  reachable: boolean;
  /** Why it is not reachable. */
  error?: string | undefined;
  version?: string | undefined;
  /** Its installed models (the last list it gave). */
  models: InstalledModel[];
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

  /*
   * Several servers behind one (`OLLAMA_HOSTS`: the Ollama host pool). A server of one host
   * leaves these out; callers then use `host`, `version()` and `listModels()`. With them,
   * `listModels` is the union of every reachable server's models, `showModel` asks a server
   * that has the model, and `version` is the first reachable server's.
   */
  /** The servers' printable addresses, in configured order. */
  readonly addresses?: readonly string[];
  /**
   * Every server with whether it answers, its version and its models. Without `fresh`, a
   * server marked down is reported as such without a request and the model lists come from
   * the cache; `fresh` asks every server now (`bruno models`). Never rejects for a server that
   * does not answer; `/readyz` is ready when one is `reachable`.
   */
  hosts?(options?: { fresh?: boolean; signal?: AbortSignal }): Promise<HostStatus[]>;
  /**
   * The addresses of the servers that have `model` installed (cached `/api/tags`) and are not
   * marked down, in configured order; a server whose down mark has expired is asked again.
   */
  hostsWith?(model: string, options?: { signal?: AbortSignal }): Promise<string[]>;
  /** A call to `host` showed that it does not answer: it is passed over until the tags TTL has passed. */
  markDown?(host: string, error: unknown): void;
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
