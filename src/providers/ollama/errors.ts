import {
  BrunoError,
  CancelledError,
  GenerationError,
  ModelNotFoundError,
  ServerError,
  TimeoutError,
  isBrunoError,
} from "../../domain/errors.js";

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
    if (status === 503 || status === 429) {
      return new ServerError("SERVER_BUSY", `Ollama at ${ctx.host} is busy (${status}: ${message}); retry later or raise OLLAMA_MAX_QUEUE / OLLAMA_NUM_PARALLEL`, { cause: error, details: { ...details, status } });
    }
    if (status >= 500) {
      return new ServerError("SERVER_ERROR", `Ollama at ${ctx.host} failed (${status}: ${message})`, { cause: error, details: { ...details, status } });
    }
    return new GenerationError(`Ollama at ${ctx.host} rejected the request (${status}: ${message})`, { cause: error, details: { ...details, status } });
  }
  const code = systemCode(error);
  if (code && UNREACHABLE_CODES.has(code)) {
    return new ServerError("SERVER_UNREACHABLE", `cannot reach Ollama at ${ctx.host} (${code}): start it with \`ollama serve\`, or point OLLAMA_HOST / --host at a running server`, { cause: error, details: { ...details, errno: code } });
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
    return new ServerError("SERVER_UNREACHABLE", `cannot talk to Ollama at ${ctx.host} (${message}): check that it is running and OLLAMA_HOST / --host is right`, { cause: error, details });
  }
  return new GenerationError(`generation failed: ${message}`, { cause: error, details });
}

/** A cancellation requested by the caller, as a typed error. */
export function cancelled(reason?: unknown): CancelledError {
  const why = reason instanceof Error ? reason.message : typeof reason === "string" ? reason : undefined;
  return new CancelledError(why ? `the run was cancelled: ${why}` : "the run was cancelled");
}
