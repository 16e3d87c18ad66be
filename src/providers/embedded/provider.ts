import type { BrunoConfig } from "../../config/config.js";
import { ollamaHostList } from "../../config/ollamaHost.js";
import { authorizationHeaders, type OllamaCredentials } from "../../config/credentials.js";
import { causeText } from "../ollama/errors.js";
import type { ChatModelFactory } from "../ports.js";
import type { Logger } from "pino";
import type { ModelServer } from "../ports.js";
import { createEmbeddedAdmin } from "./admin.js";
import { createEmbeddedChatModelFactory } from "./chatLlamaCpp.js";
import { DEFAULT_EMBEDDED_MODEL_URI, ensureModelFile, type ProgressOutput } from "./download.js";
import { sharedEmbeddedEngine, type EmbeddedEngine } from "./engine.js";
import { embeddedModelFilesFor } from "./files.js";
import { nodeLlamaCpp } from "./loader.js";
import { checkModelFile, isModelUri, isUsableModelFile } from "./modelFile.js";

/** The engine that answers: an Ollama server, or llama.cpp in this process. */
export type Provider = "ollama" | "embedded";

/** What `resolveProvider` decided, and why (for logs and `--verbose`). */
export interface ProviderChoice {
  provider: Provider;
  /** True when `auto` probed Ollama and it answered. */
  probed: boolean;
  reason: string;
}

export interface ResolveProviderOptions {
  signal?: AbortSignal | undefined;
  /**
   * The Ollama address was set on purpose (`OLLAMA_HOST`, `--host`). Then `auto` falls back to
   * the embedded engine only when a model file is at hand, and otherwise reports that server as
   * unreachable rather than starting a download.
   */
  ollamaHostExplicit?: boolean | undefined;
  fetch?: typeof fetch;
}

export interface OllamaProbeOptions {
  signal?: AbortSignal | undefined;
  fetch?: typeof fetch;
  /** Sent as basic auth (`OLLAMA_HOST=http://user:password@host`). */
  credentials?: OllamaCredentials | undefined;
}

/**
 * Whether Ollama's `/api/version` answers at `host` within `timeoutMs` (`BRUNO_ADMIN_TIMEOUT_MS`),
 * and why not: no answer in time, the connection failed (and how), or an error status. A server
 * that asks for credentials (401, 403) counts as answering: it is there, and the request that
 * follows says what is wrong with the credentials.
 */
export async function probeOllama(host: string, timeoutMs: number, options: OllamaProbeOptions = {}): Promise<{ answers: boolean; reason: string }> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signals = [timeout, ...(options.signal ? [options.signal] : [])];
  try {
    const response = await (options.fetch ?? fetch)(`${host}/api/version`, { headers: authorizationHeaders(options.credentials), signal: AbortSignal.any(signals) });
    await response.body?.cancel();
    if (response.ok) return { answers: true, reason: `Ollama answers at ${host}` };
    if (response.status === 401 || response.status === 403) return { answers: true, reason: `Ollama at ${host} answers, and asks for credentials (${response.status})` };
    return { answers: false, reason: `Ollama at ${host} answered /api/version with ${response.status} ${response.statusText}`.trim() };
  } catch (error) {
    options.signal?.throwIfAborted();
    if (timeout.aborted) return { answers: false, reason: `Ollama at ${host} is not answering: no answer to /api/version within ${timeoutMs} ms (BRUNO_ADMIN_TIMEOUT_MS)` };
    return { answers: false, reason: `Ollama at ${host} does not answer (${causeText(error)})` };
  }
}

/** True when Ollama's `/api/version` answers at `host` within `timeoutMs` (see {@link probeOllama}). */
export async function ollamaAnswers(host: string, timeoutMs: number, options: OllamaProbeOptions = {}): Promise<boolean> {
  return (await probeOllama(host, timeoutMs, options)).answers;
}

/**
 * True when the embedded engine has a model without downloading anything: `BRUNO_MODEL_PATH`
 * is set, or a catalog `gguf` entry (or the default model) is already on disk.
 */
export async function embeddedModelAtHand(config: BrunoConfig): Promise<boolean> {
  if (config.embedded.modelPath) return true;
  const files = embeddedModelFilesFor(config);
  for (const model of config.catalog.models) {
    const file = files.fileFor(model.tag);
    if (file !== undefined && (await isUsableModelFile(file))) return true;
  }
  return false;
}

/**
 * The provider to use. `ollama` and `embedded` are taken as given. `auto` probes Ollama's
 * `/api/version` (with the admin timeout): Ollama when it answers, the embedded engine
 * otherwise — unless `ollamaHostExplicit` and no model file is at hand, then Ollama, so its
 * error says what is wrong with the server the user named.
 */
export async function resolveProvider(config: BrunoConfig, options: ResolveProviderOptions = {}): Promise<ProviderChoice> {
  const setting = config.embedded.provider;
  if (setting !== "auto") return { provider: setting, probed: false, reason: `provider ${setting} configured` };
  // Several hosts (OLLAMA_HOSTS): Ollama when one of them answers.
  const reasons: string[] = [];
  let probe = { answers: false, reason: "" };
  for (const host of ollamaHostList(config)) {
    probe = await probeOllama(host.address, config.timeouts.adminMs, { ...options, credentials: host.credentials });
    if (probe.answers) break;
    reasons.push(probe.reason);
  }
  if (!probe.answers) probe = { answers: false, reason: reasons.join("; ") };
  if (probe.answers) return { provider: "ollama", probed: true, reason: probe.reason };
  if (options.ollamaHostExplicit && !(await embeddedModelAtHand(config))) {
    return { provider: "ollama", probed: false, reason: `${probe.reason}, and no GGUF file is configured or cached` };
  }
  return { provider: "embedded", probed: false, reason: probe.reason };
}

export interface PreparedEmbeddedModel {
  /** The one file for every model, or undefined when the catalog's files serve their models. */
  modelPath: string | undefined;
  /** What the engine runs, for the "using the embedded engine (…)" line. */
  label: string;
}

export interface PrepareOptions {
  /** Download progress (stderr in the CLI). */
  progress?: ProgressOutput | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Makes the embedded engine's model files available before a run: checks `BRUNO_MODEL_PATH`;
 * else fetches the catalog's `gguf` entries (downloading URIs once into the cache); else
 * downloads the default model (`DEFAULT_EMBEDDED_MODEL_URI`). Throws `ModelFileError` naming the
 * file and what to do, e.g. when offline, and `EmbeddedEngineMissingError` when node-llama-cpp
 * is not installed.
 */
export async function prepareEmbeddedModel(config: BrunoConfig, options: PrepareOptions = {}): Promise<PreparedEmbeddedModel> {
  // The engine itself first: without node-llama-cpp nothing else is worth checking or downloading.
  await nodeLlamaCpp();
  const ensure = { cacheDir: config.embedded.cacheDir, hfEndpoint: config.embedded.hfEndpoint, progress: options.progress, signal: options.signal };
  if (config.embedded.modelPath) {
    const file = await checkModelFile(config.embedded.modelPath);
    return { modelPath: file, label: file };
  }
  const entries = config.catalog.models.filter((m) => m.gguf !== undefined);
  if (entries.length > 0) {
    for (const model of entries) {
      const gguf = model.gguf as string;
      if (isModelUri(gguf)) await ensureModelFile(gguf, ensure);
      else await checkModelFile(gguf);
    }
    return { modelPath: undefined, label: `${entries.length} GGUF file(s) of the catalog` };
  }
  const file = await ensureModelFile(DEFAULT_EMBEDDED_MODEL_URI, ensure);
  return { modelPath: file, label: file };
}

/** The admin and chat-model factory of the embedded engine for a configuration. */
export interface EmbeddedProvider {
  admin: ModelServer;
  chatModelFactory: ChatModelFactory;
  engine: EmbeddedEngine;
}

/**
 * Wires the embedded engine for `config`: the process-wide engine for its threads and context
 * size, the file of each logical model, the admin that lists them and the chat-model factory.
 * Nothing is loaded until the first generation.
 */
export function createEmbeddedProvider(config: BrunoConfig, logger?: Logger): EmbeddedProvider {
  const engine = sharedEmbeddedEngine({ threads: config.embedded.threads, contextSize: config.embedded.contextSize, logger });
  const files = embeddedModelFilesFor(config);
  return {
    engine,
    admin: createEmbeddedAdmin({ catalog: config.catalog, files, engine }),
    chatModelFactory: createEmbeddedChatModelFactory({ engine, files }),
  };
}
