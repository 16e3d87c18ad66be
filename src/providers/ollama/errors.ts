import type { OllamaCredentials } from "../../config/credentials.js";
import { BrunoError, CancelledError, ConfigError, GenerationError, ModelNotFoundError, ServerError, TimeoutError, isBrunoError } from "../../domain/errors.js";

const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);
const DROPPED_CODES = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED", "ERR_STREAM_PREMATURE_CLOSE"]);

function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && chain.length < 6) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

function systemCode(error: unknown): string | undefined {
  for (const e of causeChain(error)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

/** The HTTP status of an `ollama` client `ResponseError` (not exported by that package). */
export function ollamaStatus(error: unknown): number | undefined {
  if (error instanceof Error && error.name === "ResponseError") {
    const status = (error as { status_code?: unknown }).status_code;
    if (typeof status === "number") return status;
  }
  return undefined;
}

export interface ErrorContext {
  model?: string | undefined;
  host: string;
  /** The credentials sent, if any (a 401 then means they were refused). */
  credentials?: OllamaCredentials | undefined;
}

/**
 * Why a request failed below HTTP, in words: the innermost message of the cause chain that says
 * more than "fetch failed" (`bad port`, `getaddrinfo ENOTFOUND gpu`, a TLS error), with its code.
 */
export function causeText(error: unknown): string {
  let text = error instanceof Error ? error.message : String(error);
  for (const e of causeChain(error).slice(1)) {
    const message = e instanceof Error ? e.message : typeof e === "string" ? e : "";
    const errors = (e as { errors?: unknown }).errors;
    const inner = Array.isArray(errors) && errors[0] instanceof Error ? errors[0].message : "";
    const said = message || inner;
    if (said && !/^fetch failed$/i.test(said)) text = said;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && !text.includes(code)) text = `${text} (${code})`;
  }
  return text;
}

/** A 401 or 407: the server (or a proxy in front of it) wants credentials, or refused the ones sent. */
function credentialsError(status: number, message: string, ctx: ErrorContext, cause: unknown): ConfigError {
  const details = { host: ctx.host, status };
  if (ctx.credentials) {
    return new ConfigError(
      `Ollama at ${ctx.host} refused the credentials of OLLAMA_HOST (user '${ctx.credentials.username}', ${status}: ${message}): check the user name and password in OLLAMA_HOST / --host`,
      { cause, details },
    );
  }
  return new ConfigError(`Ollama at ${ctx.host} asks for credentials (${status}: ${message}): put them in OLLAMA_HOST / --host as http://user:password@host:port`, { cause, details });
}

/** Maps whatever the HTTP client threw to a typed error that says what to do. */
export function toBrunoError(error: unknown, ctx: ErrorContext): BrunoError {
  if (isBrunoError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const details = { host: ctx.host, ...(ctx.model ? { model: ctx.model } : {}) };
  const status = ollamaStatus(error);
  if (status !== undefined) {
    if (status === 404 && ctx.model && /not found/i.test(message)) {
      return new ModelNotFoundError(ctx.model, `model '${ctx.model}' is not installed on ${ctx.host}: run \`ollama pull ${ctx.model}\``, { cause: error, details });
    }
    if (status === 401 || status === 407) return credentialsError(status, message, ctx, error);
    if (status === 503 || status === 429) {
      return new ServerError("SERVER_BUSY", `Ollama at ${ctx.host} is busy (${status}: ${message}); retry later or raise OLLAMA_MAX_QUEUE / OLLAMA_NUM_PARALLEL`, {
        cause: error,
        details: { ...details, status },
      });
    }
    if (status >= 500) {
      return new ServerError("SERVER_ERROR", `Ollama at ${ctx.host} failed (${status}: ${message})`, { cause: error, details: { ...details, status } });
    }
    return new GenerationError(`Ollama at ${ctx.host} rejected the request (${status}: ${message})`, { cause: error, details: { ...details, status } });
  }
  const code = systemCode(error);
  if (code && UNREACHABLE_CODES.has(code)) {
    return new ServerError("SERVER_UNREACHABLE", `cannot reach Ollama at ${ctx.host} (${code}): start it with \`ollama serve\`, or point OLLAMA_HOST / --host at a running server`, {
      cause: error,
      details: { ...details, errno: code },
    });
  }
  if (code && DROPPED_CODES.has(code)) {
    return new ServerError("SERVER_ERROR", `the connection to Ollama at ${ctx.host} was dropped (${code})`, { cause: error, details: { ...details, errno: code } });
  }
  if (/^terminated$|other side closed|socket hang up/i.test(message)) {
    return new ServerError("SERVER_ERROR", `the connection to Ollama at ${ctx.host} was dropped mid-answer (${message})`, { cause: error, details });
  }
  if (error instanceof SyntaxError || /JSON|did not receive done/i.test(message)) {
    return new ServerError("SERVER_ERROR", `Ollama at ${ctx.host} sent a malformed response: ${message}`, { cause: error, details });
  }
  if (error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError")) {
    return new TimeoutError("TIMEOUT_TOTAL", `the request to Ollama at ${ctx.host} was aborted: ${message}`, { cause: error, details });
  }
  if (/^fetch failed$/i.test(message)) {
    const why = causeText(error);
    return new ServerError(
      "SERVER_UNREACHABLE",
      `cannot talk to Ollama at ${ctx.host} (${why === message ? message : `${message}: ${why}`}): check that it is running and OLLAMA_HOST / --host is right`,
      { cause: error, details },
    );
  }
  return new GenerationError(`generation failed: ${message}`, { cause: error, details });
}

/** A cancellation requested by the caller, as a typed error. */
export function cancelled(reason?: unknown): CancelledError {
  const why = reason instanceof Error ? reason.message : typeof reason === "string" ? reason : undefined;
  return new CancelledError(why ? `the run was cancelled: ${why}` : "the run was cancelled");
}
