import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError } from "../domain/errors.js";
import { CatalogOverride, DEFAULT_CATALOG, mergeCatalog, type ModelCatalog } from "../domain/catalog.js";

/** Which engine answers: Ollama, the embedded llama.cpp engine, or Ollama when it answers. */
export const PROVIDERS = ["ollama", "embedded", "auto"] as const;
export type Provider = (typeof PROVIDERS)[number];

/** Ollama's own default address. */
export const DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434";

/**
 * Normalizes an Ollama address the way Ollama reads `OLLAMA_HOST`: surrounding quotes and
 * spaces are dropped; a bare `host`, `host:port` or `:port` gets http and port 11434; a URL with
 * a scheme but no port gets the scheme's port (80 or 443). The result is canonical: lower case,
 * no default port, no trailing slash.
 */
export function normalizeOllamaHost(raw: string): string {
  const value = raw.trim().replace(/^["']|["']$/g, "").trim();
  if (value === "") return DEFAULT_OLLAMA_HOST;
  const schemeMatch = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value);
  const scheme = schemeMatch?.[1]?.toLowerCase() ?? "http";
  if (scheme !== "http" && scheme !== "https") {
    throw new ConfigError(`OLLAMA_HOST '${raw}' must use http or https`);
  }
  let rest = schemeMatch ? value.slice(schemeMatch[0].length) : value;
  const slash = rest.indexOf("/");
  const path = slash >= 0 ? rest.slice(slash).replace(/\/+$/, "") : "";
  rest = slash >= 0 ? rest.slice(0, slash) : rest;
  const portMatch = /:(\d*)$/.exec(rest);
  let host = portMatch ? rest.slice(0, portMatch.index) : rest;
  let port = portMatch?.[1] ?? "";
  if (port === "") port = schemeMatch ? (scheme === "https" ? "443" : "80") : "11434";
  if (host === "" && schemeMatch) throw new ConfigError(`OLLAMA_HOST '${raw}' has no host: use host:port or http://host:port`);
  if (host === "" || host === "0.0.0.0") host = "127.0.0.1";
  let url: URL;
  try {
    url = new URL(`${scheme}://${host}:${port}${path}`);
  } catch {
    throw new ConfigError(`OLLAMA_HOST '${raw}' is not a valid address: use host:port or http://host:port`);
  }
  return `${url.protocol}//${url.host}${path}`;
}

const positiveInt = z.coerce.number().int().positive();

/** Every setting of the generation stage, with its default. */
export const ConfigSchema = z.object({
  /** Base URL of the Ollama server (`OLLAMA_HOST`). */
  ollamaHost: z.string().transform(normalizeOllamaHost).default(DEFAULT_OLLAMA_HOST),
  /** SQLite file for conversation checkpoints (`BRUNO_DB`); in memory when unset. */
  dbPath: z.string().min(1).optional(),
  /** JSON file overriding the model catalog (`BRUNO_CATALOG`). */
  catalogPath: z.string().min(1).optional(),
  /** pino level (`LOG_LEVEL`). */
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  limits: z
    .object({
      /** Longest accepted query, in characters (`BRUNO_MAX_QUERY_CHARS`). */
      maxQueryChars: positiveInt.default(8000),
      /** Most context documents accepted in one request (`BRUNO_MAX_DOCUMENTS`). */
      maxDocuments: positiveInt.default(50),
      /** Longest accepted document, in characters (`BRUNO_MAX_DOCUMENT_CHARS`). */
      maxDocumentChars: positiveInt.default(200_000),
    })
    .prefault({}),
  history: z
    .object({
      /** Earlier turns of the thread included in the prompt (`BRUNO_HISTORY_TURNS`). */
      promptTurns: z.coerce.number().int().min(0).default(3),
    })
    .prefault({}),
  timeouts: z
    .object({
      /** Whole request to the model, from send to last token (`BRUNO_TIMEOUT_MS`). */
      totalMs: positiveInt.default(300_000),
      /** Until the first token arrives; covers a cold model load (`BRUNO_FIRST_TOKEN_TIMEOUT_MS`). */
      firstTokenMs: positiveInt.default(120_000),
      /** Longest silence between two tokens (`BRUNO_STALL_TIMEOUT_MS`). */
      stallMs: positiveInt.default(30_000),
      /** Admin calls: tags, show, version (`BRUNO_ADMIN_TIMEOUT_MS`). */
      adminMs: positiveInt.default(5_000),
      /** A whole turn, retries and fallbacks included (`BRUNO_REQUEST_TIMEOUT_MS`). */
      requestMs: positiveInt.default(600_000),
      /** How long a turn waits for an earlier turn of the same thread (`BRUNO_THREAD_WAIT_MS`). */
      threadWaitMs: positiveInt.default(600_000),
    })
    .prefault({}),
  retry: z
    .object({
      /** Attempts per model on transient errors, the first included (`BRUNO_RETRY_ATTEMPTS`). */
      maxAttempts: positiveInt.default(3),
      /** First backoff delay (`BRUNO_RETRY_INITIAL_MS`); doubles each retry, with jitter. */
      initialDelayMs: z.coerce.number().int().min(0).default(2_000),
      /** Longest backoff delay (`BRUNO_RETRY_MAX_MS`). */
      maxDelayMs: z.coerce.number().int().min(0).default(10_000),
    })
    .prefault({}),
  breaker: z
    .object({
      /** Consecutive failures of one model that open its circuit (`BRUNO_BREAKER_THRESHOLD`). */
      failureThreshold: positiveInt.default(5),
      /** How long an open circuit waits before letting one trial call through (`BRUNO_BREAKER_COOLDOWN_MS`). */
      cooldownMs: positiveInt.default(60_000),
    })
    .prefault({}),
  concurrency: z
    .object({
      /** Model calls in flight per Ollama server (`BRUNO_CONCURRENCY`). */
      limit: positiveInt.default(3),
      /** Calls that may wait for a slot; beyond it callers get SERVER_BUSY at once (`BRUNO_QUEUE_SIZE`). */
      queueSize: z.coerce.number().int().min(0).default(32),
      /** Longest wait for a slot (`BRUNO_QUEUE_TIMEOUT_MS`). */
      queueTimeoutMs: positiveInt.default(60_000),
    })
    .prefault({}),
  embedded: z
    .object({
      /** Which engine answers: Ollama, in-process llama.cpp, or Ollama when it answers (`BRUNO_PROVIDER`). */
      provider: z.enum(PROVIDERS).default("auto"),
      /** A local GGUF file for the embedded engine (`BRUNO_MODEL_PATH`). */
      modelPath: z.string().min(1).optional(),
      /** CPU threads of the embedded engine (`BRUNO_THREADS`). */
      threads: positiveInt.optional(),
      /** Context size of the embedded engine in tokens (`BRUNO_CONTEXT_SIZE`). */
      contextSize: positiveInt.optional(),
      /** Where downloaded models are kept (`BRUNO_MODEL_CACHE`). */
      cacheDir: z.string().min(1).optional(),
      /** Hugging Face endpoint for `hf:` model URIs (`HF_ENDPOINT`); https://huggingface.co/ by default. */
      hfEndpoint: z.url().optional(),
    })
    .prefault({}),
  /** How long `/api/tags` answers are reused (`BRUNO_TAGS_TTL_MS`). */
  tagsTtlMs: z.coerce.number().int().min(0).default(30_000),
  /** Ollama `keep_alive` sent with every chat request (`BRUNO_KEEP_ALIVE`), e.g. `10m`, `-1`, `0`. */
  keepAlive: z.string().min(1).default("10m"),
  cache: z
    .object({
      /** Reuse answers of identical calls: off, auto (only temperature 0 or a seed), always (`BRUNO_CACHE`). */
      mode: z.enum(["off", "auto", "always"]).default("auto"),
      /** How long a cached answer is reused (`BRUNO_CACHE_TTL_MS`). */
      ttlMs: positiveInt.default(3_600_000),
      /** Most answers kept (`BRUNO_CACHE_MAX_ENTRIES`). */
      maxEntries: positiveInt.default(256),
    })
    .prefault({}),
  /** Sampling seed for reproducible answers (`BRUNO_SEED`). */
  seed: z.coerce.number().int().optional(),
  grounding: z
    .object({
      /** Citations whose support is below this are reported as unsupported (`BRUNO_GROUNDING_THRESHOLD`). */
      threshold: z.coerce.number().min(0).max(1).default(0.5),
      /** Ollama embedding model that refines support scores, e.g. `nomic-embed-text` (`BRUNO_EMBED_MODEL`); off when unset. */
      embedModel: z.string().min(1).optional(),
      /** Deadline for the embedding call (`BRUNO_EMBED_TIMEOUT_MS`); past it the string checks stand. */
      embedTimeoutMs: positiveInt.default(30_000),
    })
    .prefault({}),
});

export type BrunoConfigInput = z.input<typeof ConfigSchema>;
export type BrunoConfig = z.output<typeof ConfigSchema> & { catalog: ModelCatalog };

type Env = Record<string, string | undefined>;

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

/** True when the Ollama address was set on purpose (`OLLAMA_HOST`) rather than defaulted. */
export function ollamaHostConfigured(env: Env = process.env): boolean {
  return nonEmpty(env.OLLAMA_HOST) !== undefined;
}

/** Reads the settings this package knows from an environment. */
export function configFromEnv(env: Env): BrunoConfigInput {
  const e = (name: string) => nonEmpty(env[name]);
  return {
    ollamaHost: e("OLLAMA_HOST"),
    dbPath: e("BRUNO_DB"),
    catalogPath: e("BRUNO_CATALOG"),
    logLevel: e("LOG_LEVEL")?.toLowerCase() as BrunoConfigInput["logLevel"],
    limits: {
      maxQueryChars: e("BRUNO_MAX_QUERY_CHARS"),
      maxDocuments: e("BRUNO_MAX_DOCUMENTS"),
      maxDocumentChars: e("BRUNO_MAX_DOCUMENT_CHARS"),
    },
    history: { promptTurns: e("BRUNO_HISTORY_TURNS") },
    timeouts: {
      totalMs: e("BRUNO_TIMEOUT_MS"),
      firstTokenMs: e("BRUNO_FIRST_TOKEN_TIMEOUT_MS"),
      stallMs: e("BRUNO_STALL_TIMEOUT_MS"),
      adminMs: e("BRUNO_ADMIN_TIMEOUT_MS"),
      requestMs: e("BRUNO_REQUEST_TIMEOUT_MS"),
      threadWaitMs: e("BRUNO_THREAD_WAIT_MS"),
    },
    retry: {
      maxAttempts: e("BRUNO_RETRY_ATTEMPTS"),
      initialDelayMs: e("BRUNO_RETRY_INITIAL_MS"),
      maxDelayMs: e("BRUNO_RETRY_MAX_MS"),
    },
    breaker: {
      failureThreshold: e("BRUNO_BREAKER_THRESHOLD"),
      cooldownMs: e("BRUNO_BREAKER_COOLDOWN_MS"),
    },
    concurrency: {
      limit: e("BRUNO_CONCURRENCY"),
      queueSize: e("BRUNO_QUEUE_SIZE"),
      queueTimeoutMs: e("BRUNO_QUEUE_TIMEOUT_MS"),
    },
    embedded: {
      provider: e("BRUNO_PROVIDER")?.toLowerCase(),
      modelPath: e("BRUNO_MODEL_PATH"),
      threads: e("BRUNO_THREADS"),
      contextSize: e("BRUNO_CONTEXT_SIZE"),
      cacheDir: e("BRUNO_MODEL_CACHE"),
      hfEndpoint: e("HF_ENDPOINT"),
    },
    tagsTtlMs: e("BRUNO_TAGS_TTL_MS"),
    keepAlive: e("BRUNO_KEEP_ALIVE"),
    seed: e("BRUNO_SEED"),
    cache: {
      mode: e("BRUNO_CACHE")?.toLowerCase(),
      ttlMs: e("BRUNO_CACHE_TTL_MS"),
      maxEntries: e("BRUNO_CACHE_MAX_ENTRIES"),
    },
    grounding: {
      threshold: e("BRUNO_GROUNDING_THRESHOLD"),
      embedModel: e("BRUNO_EMBED_MODEL"),
      embedTimeoutMs: e("BRUNO_EMBED_TIMEOUT_MS"),
    },
  } as BrunoConfigInput;
}

function dropUndefined<T>(value: T): T {
  if (Array.isArray(value) || value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v !== undefined) out[k] = dropUndefined(v);
  }
  return out as T;
}

function mergeInputs(base: BrunoConfigInput, over: BrunoConfigInput): BrunoConfigInput {
  const a = dropUndefined(base) as Record<string, unknown>;
  const b = dropUndefined(over) as Record<string, unknown>;
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      prev && typeof prev === "object" && !Array.isArray(prev) && v && typeof v === "object" && !Array.isArray(v)
        ? { ...prev, ...v }
        : v;
  }
  return out as BrunoConfigInput;
}

export interface LoadConfigOptions {
  /** The environment to read; `process.env` when omitted. */
  env?: Env;
  /** Values that win over the environment (CLI flags). */
  overrides?: BrunoConfigInput;
  /** Values that replace the built-in defaults but lose to the environment (a host's own defaults). */
  defaults?: BrunoConfigInput;
  /** A catalog object that wins over `BRUNO_CATALOG` (tests, embedding hosts). */
  catalog?: ModelCatalog;
}

function readCatalogFile(path: string): ModelCatalog {
  let raw: string;
  try {
    raw = readFileSync(path, "utf8");
  } catch (cause) {
    throw new ConfigError(`cannot read the model catalog ${path} (BRUNO_CATALOG): ${(cause as Error).message}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (cause) {
    throw new ConfigError(`the model catalog ${path} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  const parsed = CatalogOverride.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(`the model catalog ${path} is invalid: ${z.prettifyError(parsed.error)}`);
  }
  try {
    return mergeCatalog(DEFAULT_CATALOG, parsed.data);
  } catch (cause) {
    const detail = cause instanceof z.ZodError ? z.prettifyError(cause) : String(cause);
    throw new ConfigError(`the model catalog ${path} is inconsistent: ${detail}`, { cause });
  }
}

/**
 * Validates all settings once: defaults, then the environment, then overrides.
 * The only place in the package that reads `process.env`.
 */
export function loadConfig(options: LoadConfigOptions = {}): BrunoConfig {
  const env = options.env ?? process.env;
  const input = mergeInputs(mergeInputs(options.defaults ?? {}, configFromEnv(env)), options.overrides ?? {});
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(`invalid settings: ${z.prettifyError(parsed.error)}`);
  }
  const catalog = options.catalog ?? (parsed.data.catalogPath ? readCatalogFile(parsed.data.catalogPath) : DEFAULT_CATALOG);
  return { ...parsed.data, catalog };
}
