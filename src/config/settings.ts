import type { z } from "zod";
import { count, fraction, integer, oneOf, ollamaHost, ollamaHostList, positiveInt, text, url } from "./kinds.js";
import { DEFAULT_OLLAMA_HOST } from "./ollamaHost.js";

/** Which engine answers: Ollama, the embedded llama.cpp engine, or Ollama when it answers. */
export const PROVIDERS = ["ollama", "embedded", "auto"] as const;
export type Provider = (typeof PROVIDERS)[number];

/** pino levels. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** What a turn does when its thread is answering another turn: wait its turn (up to `BRUNO_THREAD_WAIT_MS`), or fail with THREAD_BUSY at once. */
export const THREAD_STRATEGIES = ["enqueue", "reject"] as const;
export type ThreadStrategy = (typeof THREAD_STRATEGIES)[number];

/** When answers of identical calls are reused. */
export const CACHE_MODES = ["off", "auto", "always"] as const;

/**
 * One setting: where it is read from, where it lands in the config object, what it accepts.
 * `D` is the default; `undefined` makes the setting optional.
 */
export interface Setting<P extends string = string, S extends z.ZodType = z.ZodType, D = unknown> {
  /** The environment variable that sets it. */
  readonly env: string;
  /** Older names read when `env` is unset, first match wins. */
  readonly aliases: readonly string[];
  /** Where the value lands in the config object, e.g. `timeouts.totalMs` (one level of nesting at most). */
  readonly path: P;
  /** What the value may be; without the default. */
  readonly schema: S;
  /** The value when nothing sets it; `undefined` for an optional setting. */
  readonly default: D | undefined;
  /** One line for the README: what the setting does. */
  readonly doc: string;
  /** For an optional setting: what happens when it is unset (README's default column). */
  readonly unset?: string | undefined;
  /** A remark after the default in the README, e.g. a different default of the CLI. */
  readonly defaultNote?: string | undefined;
  /** The `bruno` command-line flag that sets it, if any. */
  readonly flag?: string | undefined;
}

/** A setting of any path, schema and default. */
export type AnySetting = Setting<string, z.ZodType, unknown>;

interface SettingSpec<P extends string, S extends z.ZodType, D> {
  env: string;
  aliases?: readonly string[];
  path: P;
  schema: S;
  default?: D;
  doc: string;
  unset?: string;
  defaultNote?: string;
  flag?: string;
}

/** Declares a setting; the default is checked against the schema's output type. */
function setting<const P extends string, S extends z.ZodType, D extends z.output<S> | undefined = undefined>(spec: SettingSpec<P, S, D>): Setting<P, S, D> {
  return {
    env: spec.env,
    aliases: spec.aliases ?? [],
    path: spec.path,
    schema: spec.schema,
    default: spec.default,
    doc: spec.doc,
    unset: spec.unset,
    defaultNote: spec.defaultNote,
    flag: spec.flag,
  };
}

/** Every setting of the generation stage. `ConfigSchema`, the environment reader and the README's table come from here. */
export const SETTINGS = [
  setting({
    env: "OLLAMA_HOST",
    path: "ollamaHost",
    schema: ollamaHost,
    default: DEFAULT_OLLAMA_HOST,
    doc:
      "Ollama's address; `host:port` without a scheme works, as in Ollama; `http://user:password@host:port` sends basic auth " +
      "(a reverse proxy), and the password is never printed; a proxy's path prefix is kept, an API path (`/api`, `/v1`) is refused",
    flag: "--host",
  }),
  setting({
    env: "OLLAMA_HOSTS",
    path: "ollamaHosts",
    schema: ollamaHostList,
    unset: "`OLLAMA_HOST` alone",
    doc:
      "several Ollama servers, comma-separated, each in `OLLAMA_HOST`'s form with its own credentials (a `,` in a password as `%2C`); " +
      "a model is sent only to the servers that have it, the least busy first, and to another one when a server fails; " +
      "wins over `OLLAMA_HOST` (`--host` names one server); a blank entry or a server listed twice is refused",
  }),
  setting({
    env: "BRUNO_DB",
    path: "dbPath",
    schema: text,
    unset: "in memory",
    doc: "where conversation threads are kept: a SQLite file, or a PostgreSQL URL (`postgres://user:password@host:5432/db`; the password is never printed)",
    flag: "--db",
  }),
  setting({
    env: "BRUNO_DB_POOL_SIZE",
    path: "db.poolSize",
    schema: positiveInt,
    default: 18,
    doc: "PostgreSQL connections per process, at least 2: each turn in flight holds one for its thread lock, so use concurrent turns + 2 (the default fits `BRUNO_SERVE_MAX_TURNS`)",
  }),
  setting({
    env: "BRUNO_THREAD_STRATEGY",
    path: "threads.strategy",
    schema: oneOf(THREAD_STRATEGIES),
    default: "enqueue",
    doc: "a turn sent while its thread answers another: `enqueue` waits (up to `BRUNO_THREAD_WAIT_MS`), `reject` fails with `THREAD_BUSY` at once",
  }),
  setting({
    env: "BRUNO_THREAD_LEASE_MS",
    path: "threads.leaseMs",
    schema: positiveInt,
    default: 30_000,
    doc: "how long a SQLite thread lock outlives a process that died mid-turn (it is renewed while the turn runs)",
  }),
  setting({ env: "BRUNO_CATALOG", path: "catalogPath", schema: text, unset: "built in", doc: "JSON file overriding the model catalog" }),
  setting({
    env: "BRUNO_LOG_LEVEL",
    aliases: ["LOG_LEVEL"],
    path: "logLevel",
    schema: oneOf(LOG_LEVELS),
    default: "info",
    defaultNote: "`error` in the CLI",
    doc: "pino level: `trace`, `debug`, `info`, `warn`, `error`, `fatal` or `silent`, any case (`--verbose` means `debug`)",
  }),

  setting({ env: "BRUNO_MAX_QUERY_CHARS", path: "limits.maxQueryChars", schema: positiveInt, default: 8000, doc: "longest query accepted, in characters" }),
  setting({ env: "BRUNO_MAX_DOCUMENTS", path: "limits.maxDocuments", schema: positiveInt, default: 50, doc: "most documents accepted per request" }),
  setting({ env: "BRUNO_MAX_DOCUMENT_CHARS", path: "limits.maxDocumentChars", schema: positiveInt, default: 200_000, doc: "longest document accepted, in characters" }),
  setting({ env: "BRUNO_HISTORY_TURNS", path: "history.promptTurns", schema: count, default: 3, doc: "earlier turns of the thread included in the prompt" }),

  setting({ env: "BRUNO_TIMEOUT_MS", path: "timeouts.totalMs", schema: positiveInt, default: 300_000, doc: "deadline for a whole model call, from send to last token" }),
  setting({
    env: "BRUNO_FIRST_TOKEN_TIMEOUT_MS",
    path: "timeouts.firstTokenMs",
    schema: positiveInt,
    default: 120_000,
    doc: "deadline for the first token (covers a cold model load)",
  }),
  setting({ env: "BRUNO_STALL_TIMEOUT_MS", path: "timeouts.stallMs", schema: positiveInt, default: 30_000, doc: "longest silence between two tokens" }),
  setting({
    env: "BRUNO_ADMIN_TIMEOUT_MS",
    path: "timeouts.adminMs",
    schema: positiveInt,
    default: 5_000,
    doc: "deadline for `/api/tags`, `/api/show`, `/api/version`",
  }),
  setting({
    env: "BRUNO_REQUEST_TIMEOUT_MS",
    path: "timeouts.requestMs",
    schema: positiveInt,
    default: 120_000,
    doc: "deadline for a whole turn, retries and fallbacks included; each model of the chain gets its share of what is left",
  }),
  setting({
    env: "BRUNO_THREAD_WAIT_MS",
    path: "timeouts.threadWaitMs",
    schema: positiveInt,
    default: 600_000,
    doc: "how long a turn waits for an earlier turn of the same thread",
  }),

  setting({ env: "BRUNO_RETRY_ATTEMPTS", path: "retry.maxAttempts", schema: positiveInt, default: 3, doc: "attempts per model on transient errors (the first included)" }),
  setting({
    env: "BRUNO_RETRY_INITIAL_MS",
    path: "retry.initialDelayMs",
    schema: count,
    default: 2_000,
    doc: "first backoff delay between attempts; it doubles each retry, with jitter",
  }),
  setting({ env: "BRUNO_RETRY_MAX_MS", path: "retry.maxDelayMs", schema: count, default: 10_000, doc: "longest backoff delay between attempts" }),
  setting({ env: "BRUNO_BREAKER_THRESHOLD", path: "breaker.failureThreshold", schema: positiveInt, default: 5, doc: "consecutive failures that open a model's circuit" }),
  setting({
    env: "BRUNO_BREAKER_COOLDOWN_MS",
    path: "breaker.cooldownMs",
    schema: positiveInt,
    default: 60_000,
    doc: "how long an open circuit waits before one trial call",
  }),
  setting({ env: "BRUNO_CONCURRENCY", path: "concurrency.limit", schema: positiveInt, default: 3, doc: "model calls in flight per Ollama server" }),
  setting({
    env: "BRUNO_QUEUE_SIZE",
    path: "concurrency.queueSize",
    schema: count,
    default: 32,
    doc: "calls that may wait for a slot; beyond it `SERVER_BUSY` at once",
  }),
  setting({ env: "BRUNO_QUEUE_TIMEOUT_MS", path: "concurrency.queueTimeoutMs", schema: positiveInt, default: 60_000, doc: "longest wait for a slot" }),

  setting({
    env: "BRUNO_PROVIDER",
    path: "embedded.provider",
    schema: oneOf(PROVIDERS),
    default: "auto",
    doc: "`ollama`, `embedded` or `auto` (Ollama when it answers), any case; see [Embedded engine](#embedded-engine-no-ollama)",
    flag: "--provider",
  }),
  setting({
    env: "BRUNO_MODEL_PATH",
    path: "embedded.modelPath",
    schema: text,
    doc: "a local GGUF file for the embedded engine, used for every model",
    flag: "--model-file",
  }),
  setting({
    env: "BRUNO_THREADS",
    path: "embedded.threads",
    schema: positiveInt,
    unset: "1",
    doc: "CPU threads of the embedded engine (measured default, see below)",
  }),
  setting({
    env: "BRUNO_CONTEXT_SIZE",
    path: "embedded.contextSize",
    schema: positiveInt,
    unset: "the model's trained context, clamped to 2048–8192",
    doc: "tokens per context sequence of the embedded engine",
  }),
  setting({
    env: "BRUNO_MODEL_CACHE",
    path: "embedded.cacheDir",
    schema: text,
    unset: "`~/.cache/bruno/models`",
    doc: "where the embedded engine's downloaded models are kept",
  }),
  setting({
    env: "HF_ENDPOINT",
    path: "embedded.hfEndpoint",
    schema: url,
    unset: "`https://huggingface.co/`",
    doc: "Hugging Face endpoint (or mirror) for `hf:` model URIs",
  }),

  setting({ env: "BRUNO_SERVE_PORT", path: "serve.port", schema: count, default: 8080, doc: "port of `bruno serve` (0 picks a free one); `bruno serve --port` sets it" }),
  setting({
    env: "BRUNO_SERVE_HOST",
    path: "serve.host",
    schema: text,
    default: "127.0.0.1",
    doc: "address `bruno serve` listens on (`0.0.0.0` for every interface); `bruno serve --host` sets it",
  }),
  setting({
    env: "BRUNO_API_TOKEN",
    path: "serve.apiToken",
    schema: text,
    unset: "no authentication",
    doc: "bearer token `bruno serve` requires on `/v1/*` (compared in constant time; never printed)",
  }),
  setting({
    env: "BRUNO_SERVE_MAX_TURNS",
    path: "serve.maxTurns",
    schema: positiveInt,
    default: 16,
    doc: "turns one `bruno serve` process runs or holds at once; beyond it 503 with `Retry-After` (keep `BRUNO_DB_POOL_SIZE` at this + 2)",
  }),
  setting({ env: "BRUNO_SERVE_BODY_LIMIT", path: "serve.bodyLimitBytes", schema: positiveInt, default: 8_388_608, doc: "largest request body `bruno serve` accepts, in bytes" }),
  setting({ env: "BRUNO_SERVE_GRACE_MS", path: "serve.graceMs", schema: count, default: 30_000, doc: "on SIGTERM, how long in-flight turns may finish before they are cancelled" }),

  setting({ env: "BRUNO_TAGS_TTL_MS", path: "tagsTtlMs", schema: count, default: 30_000, doc: "how long the installed-model list (`/api/tags`) is reused" }),
  setting({ env: "BRUNO_KEEP_ALIVE", path: "keepAlive", schema: text, default: "10m", doc: "Ollama `keep_alive` sent with every request, e.g. `10m`, `-1`, `0`" }),
  setting({
    env: "BRUNO_CACHE",
    path: "cache.mode",
    schema: oneOf(CACHE_MODES),
    default: "auto",
    doc:
      "reuse answers of identical calls (same model, messages, sampling settings): `off`, `auto` (only at temperature 0 or with " +
      "`BRUNO_SEED`), `always`, any case; errors and partial streams are never cached; an answer from the cache comes whole in " +
      'the run\'s output (no tokens in `streamMode: "messages"`)',
  }),
  setting({ env: "BRUNO_CACHE_TTL_MS", path: "cache.ttlMs", schema: positiveInt, default: 3_600_000, doc: "how long a cached answer is reused" }),
  setting({ env: "BRUNO_CACHE_MAX_ENTRIES", path: "cache.maxEntries", schema: positiveInt, default: 256, doc: "most answers kept (least recently used go first)" }),
  setting({ env: "BRUNO_SEED", path: "seed", schema: integer, doc: "sampling seed for reproducible answers" }),

  setting({
    env: "BRUNO_GROUNDING_THRESHOLD",
    path: "grounding.threshold",
    schema: fraction,
    default: 0.5,
    doc: "support below which a citation is reported as unsupported",
  }),
  setting({
    env: "BRUNO_EMBED_MODEL",
    path: "grounding.embedModel",
    schema: text,
    doc: "Ollama embedding model (e.g. `nomic-embed-text`) that refines grounding scores",
  }),
  setting({
    env: "BRUNO_EMBED_TIMEOUT_MS",
    path: "grounding.embedTimeoutMs",
    schema: positiveInt,
    default: 30_000,
    doc: "deadline of the embedding call; on expiry the string scores stand",
  }),
] as const;
