/**
 * Typed errors of the generation stage. Every failure a caller can act on is a
 * `BrunoError` with a stable `code`; its message says what to do next.
 */

/** Every code a `BrunoError` can carry. */
export const BRUNO_ERROR_CODES = [
  "INVALID_INPUT",
  "CONFIG_INVALID",
  "DOCS_UNREADABLE",
  "SERVER_UNREACHABLE",
  "SERVER_ERROR",
  "SERVER_BUSY",
  "MODEL_NOT_FOUND",
  "NO_MODEL_AVAILABLE",
  "TIMEOUT_FIRST_TOKEN",
  "TIMEOUT_STALL",
  "TIMEOUT_TOTAL",
  "CONTEXT_OVERFLOW",
  "CIRCUIT_OPEN",
  "CANCELLED",
  "THREAD_BUSY",
  "ALL_MODELS_FAILED",
  "MODEL_FILE_INVALID",
  "GENERATION_FAILED",
  "DB_UNAVAILABLE",
] as const;
export type BrunoErrorCode = (typeof BRUNO_ERROR_CODES)[number];

export interface BrunoErrorOptions {
  cause?: unknown;
  /** Extra structured facts (model tag, host, field name…), safe to log. */
  details?: Record<string, unknown>;
}

/** Base class of every error this package raises on purpose. */
export class BrunoError extends Error {
  override name = "BrunoError";
  readonly code: BrunoErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: BrunoErrorCode, message: string, options: BrunoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }

  toJSON(): { name: string; code: BrunoErrorCode; message: string; details: Record<string, unknown> } {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }
}

/** A field path as the errors name it: `documents[2].content`. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((acc, key) => (typeof key === "number" ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), "");
}

/** The caller's input failed validation; `field` names the offending path. */
export class InvalidInputError extends BrunoError {
  override name = "InvalidInputError";
  readonly field: string;
  constructor(field: string, message: string, options: BrunoErrorOptions = {}) {
    super("INVALID_INPUT", `invalid input: ${field}: ${message}`, {
      ...options,
      details: { field, ...options.details },
    });
    this.field = field;
  }
}

/** A setting (env variable, flag or catalog file) failed validation. */
export class ConfigError extends BrunoError {
  override name = "ConfigError";
  constructor(message: string, options: BrunoErrorOptions = {}) {
    super("CONFIG_INVALID", message, options);
  }
}

/** A `--docs` path could not be read or held no usable documents. */
export class DocumentsError extends BrunoError {
  override name = "DocumentsError";
  constructor(message: string, options: BrunoErrorOptions = {}) {
    super("DOCS_UNREADABLE", message, options);
  }
}

/**
 * Where a server failure was decided: by the model server itself (`server`: refused, 5xx, a
 * broken stream, its own 503), or here, before any request left (`queue`: this process's
 * bulkhead for that server was full or the wait for a slot ran out).
 */
export type ServerFailureOrigin = "server" | "queue";

/** The Ollama server could not be reached, or answered with a failure. */
export class ServerError extends BrunoError {
  override name = "ServerError";
  readonly origin: ServerFailureOrigin;
  constructor(code: "SERVER_UNREACHABLE" | "SERVER_ERROR" | "SERVER_BUSY", message: string, options: BrunoErrorOptions & { origin?: ServerFailureOrigin } = {}) {
    super(code, message, options);
    this.origin = options.origin ?? "server";
  }
}

/** The requested model is not installed on the server. */
export class ModelNotFoundError extends BrunoError {
  override name = "ModelNotFoundError";
  readonly model: string;
  constructor(model: string, message?: string, options: BrunoErrorOptions = {}) {
    super("MODEL_NOT_FOUND", message ?? `model '${model}' is not installed: run \`ollama pull ${model}\``, {
      ...options,
      details: { model, ...options.details },
    });
    this.model = model;
  }
}

/** No model of the catalog (or the explicit override) is installed on the server. */
export class NoModelAvailableError extends BrunoError {
  override name = "NoModelAvailableError";
  constructor(message: string, options: BrunoErrorOptions = {}) {
    super("NO_MODEL_AVAILABLE", message, options);
  }
}

/** What a deadline bounded: one model request (`attempt`) or the caller's whole turn (`turn`). */
export type TimeoutScope = "attempt" | "turn";

/** A deadline expired: before the first token, between tokens, or for the whole request or turn. */
export class TimeoutError extends BrunoError {
  override name = "TimeoutError";
  readonly scope: TimeoutScope;
  constructor(code: "TIMEOUT_FIRST_TOKEN" | "TIMEOUT_STALL" | "TIMEOUT_TOTAL", message: string, options: BrunoErrorOptions & { scope?: TimeoutScope } = {}) {
    super(code, message, options);
    this.scope = options.scope ?? "attempt";
  }
}

/** The prompt cannot fit the model's context window even with every optional part dropped. */
export class ContextOverflowError extends BrunoError {
  override name = "ContextOverflowError";
  constructor(message: string, options: BrunoErrorOptions = {}) {
    super("CONTEXT_OVERFLOW", message, options);
  }
}

/** A (host, model) circuit is open after repeated failures: calls fail at once until its cool-down passes. */
export class CircuitOpenError extends BrunoError {
  override name = "CircuitOpenError";
  readonly host: string;
  readonly model: string;
  constructor(host: string, model: string, cooldownMs: number, options: BrunoErrorOptions = {}) {
    super("CIRCUIT_OPEN", `the circuit for ${model} on ${host} is open after repeated failures; it is retried after ${cooldownMs} ms (BRUNO_BREAKER_COOLDOWN_MS)`, {
      ...options,
      details: { host, model, ...options.details },
    });
    this.host = host;
    this.model = model;
  }
}

/** The caller aborted the run. */
export class CancelledError extends BrunoError {
  override name = "CancelledError";
  constructor(message = "the run was cancelled", options: BrunoErrorOptions = {}) {
    super("CANCELLED", message, options);
  }
}

/** The model failed in a way that fits no other code (e.g. an empty answer, a malformed stream). */
export class GenerationError extends BrunoError {
  override name = "GenerationError";
  constructor(message: string, options: BrunoErrorOptions = {}) {
    super("GENERATION_FAILED", message, options);
  }
}

/** What is wrong with a model file of the embedded engine. */
export type ModelFileProblem = "missing" | "not-gguf" | "unreadable" | "download-failed";

/**
 * A GGUF file for the embedded engine is missing, is not a GGUF model, cannot be read, or could
 * not be downloaded. The message names the path (or URI) and how to point at a usable file.
 */
export class ModelFileError extends BrunoError {
  override name = "ModelFileError";
  /** The file path, or the URI of a failed download. */
  readonly path: string;
  readonly problem: ModelFileProblem;
  constructor(path: string, problem: ModelFileProblem, message: string, options: BrunoErrorOptions = {}) {
    super("MODEL_FILE_INVALID", message, { ...options, details: { path, problem, ...options.details } });
    this.path = path;
    this.problem = problem;
  }
}

/** What failed about the conversation database. */
export type DatabaseFault = "unreachable" | "connection-lost" | "schema" | "lock-lost" | "query";

/**
 * The conversation database (`--db` / `BRUNO_DB`) cannot be used right now: it does not answer,
 * the connection dropped mid-turn, or the thread's lock was lost. The turn was not saved (not
 * even in part); the next turn works once the database is back. The message never carries a
 * password.
 */
export class DatabaseError extends BrunoError {
  override name = "DatabaseError";
  readonly problem: DatabaseFault;
  constructor(problem: DatabaseFault, message: string, options: BrunoErrorOptions = {}) {
    super("DB_UNAVAILABLE", message, { ...options, details: { problem, ...options.details } });
    this.problem = problem;
  }
}

/** One model's failed attempt, as recorded in `modelsTried`. */
export interface ModelFailure {
  model: string;
  code: BrunoErrorCode;
  message: string;
}

/** Every model of the fallback chain failed; `attempts` lists each one and why. */
export class AllModelsFailedError extends BrunoError {
  override name = "AllModelsFailedError";
  readonly attempts: ModelFailure[];
  constructor(attempts: ModelFailure[], options: BrunoErrorOptions = {}) {
    const summary = attempts.map((a) => `${a.model}: ${a.code} (${a.message})`).join("; ");
    super("ALL_MODELS_FAILED", `every model failed: ${summary}`, {
      ...options,
      details: { attempts, ...options.details },
    });
    this.attempts = attempts;
  }
}

export function isBrunoError(error: unknown): error is BrunoError {
  return error instanceof BrunoError;
}

export function isInvalidInputError(error: unknown): error is InvalidInputError {
  return error instanceof InvalidInputError;
}

export function isModelNotFoundError(error: unknown): error is ModelNotFoundError {
  return error instanceof ModelNotFoundError;
}

export function isAllModelsFailedError(error: unknown): error is AllModelsFailedError {
  return error instanceof AllModelsFailedError;
}

export function isTimeoutError(error: unknown): error is TimeoutError {
  return error instanceof TimeoutError;
}

export function isCancelledError(error: unknown): error is CancelledError {
  return error instanceof CancelledError;
}

export function isServerError(error: unknown): error is ServerError {
  return error instanceof ServerError;
}

export function isModelFileError(error: unknown): error is ModelFileError {
  return error instanceof ModelFileError;
}

export function isDatabaseError(error: unknown): error is DatabaseError {
  return error instanceof DatabaseError;
}
