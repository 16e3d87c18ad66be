/**
 * How `bruno serve` answers a failure: one JSON shape, `{"error": {"code", "message"}}`, and an
 * HTTP status a load balancer or a client can act on (retry elsewhere, fix the request, wait).
 */
import type { Context } from "hono";
import { isBrunoError, type BrunoErrorCode } from "../../domain/errors.js";

/** Codes of failures decided by the HTTP layer itself, beside the typed errors of a turn. */
export type HttpFailureCode = "UNAUTHORIZED" | "PAYLOAD_TOO_LARGE" | "NOT_FOUND" | "SHUTTING_DOWN" | "UNKNOWN";

export type ServeErrorCode = BrunoErrorCode | HttpFailureCode;

export type FailureStatus = 400 | 401 | 404 | 409 | 413 | 500 | 502 | 503 | 504;

/** A failure as the server answers it. */
export interface HttpFailure {
  status: FailureStatus;
  code: ServeErrorCode;
  message: string;
  /** Seconds, for `Retry-After` (every 503). */
  retryAfterS?: number;
}

/** The JSON body of every failure. */
export interface ErrorBody {
  error: { code: ServeErrorCode; message: string };
}

/** `Retry-After` of a 503: a second is enough for a load balancer to pick another replica or a slot to free up. */
export const RETRY_AFTER_S = 1;

/** HTTP status of each typed error of a turn (see docs/operating.md, "bruno serve"). */
const STATUS: Record<BrunoErrorCode, FailureStatus> = {
  INVALID_INPUT: 400,
  CONTEXT_OVERFLOW: 400,
  THREAD_BUSY: 409,
  SERVER_BUSY: 503,
  DB_UNAVAILABLE: 503,
  CANCELLED: 503,
  TIMEOUT_FIRST_TOKEN: 504,
  TIMEOUT_STALL: 504,
  TIMEOUT_TOTAL: 504,
  SERVER_UNREACHABLE: 502,
  SERVER_ERROR: 502,
  ALL_MODELS_FAILED: 502,
  MODEL_NOT_FOUND: 502,
  NO_MODEL_AVAILABLE: 502,
  CIRCUIT_OPEN: 502,
  GENERATION_FAILED: 502,
  CONFIG_INVALID: 500,
  DOCS_UNREADABLE: 500,
  MODEL_FILE_INVALID: 500,
};

/** The status of a typed error code. */
export function statusOf(code: BrunoErrorCode): FailureStatus {
  return STATUS[code];
}

/** One line, whatever the message holds (a server's multi-line error body, say). */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

/**
 * What to answer for an error thrown by a turn: its typed code and message; anything untyped is
 * a 500 whose message names no internals (the log line has them).
 */
export function failureOf(error: unknown): HttpFailure {
  if (!isBrunoError(error)) return { status: 500, code: "UNKNOWN", message: "internal error; the server log has the details" };
  const status = statusOf(error.code);
  return { status, code: error.code, message: oneLine(error.message), ...(status === 503 ? { retryAfterS: RETRY_AFTER_S } : {}) };
}

/** The failure as its JSON body. */
export function errorBody(failure: HttpFailure): ErrorBody {
  return { error: { code: failure.code, message: failure.message } };
}

/** The failure as a response: JSON body, status, `Retry-After` on a 503, extra headers if given. */
export function failureResponse(c: Context, failure: HttpFailure, headers: Record<string, string> = {}): Response {
  const all: Record<string, string> = { ...headers };
  if (failure.retryAfterS !== undefined) all["Retry-After"] = String(failure.retryAfterS);
  return c.json(errorBody(failure), failure.status, all);
}
