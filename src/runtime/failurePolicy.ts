/**
 * The failure policy of a turn, in one table: for each kind of failure, whether the same model
 * is called again (with backoff), whether it counts against the (host, model) circuit, whether
 * the same model is tried on another Ollama host that has it (`OLLAMA_HOSTS`), and what happens
 * when that model is done with on every host: hand over to the next model of the chain, or end
 * the turn. The resilience layer, the model chain and the docs read this table; nothing else decides.
 */
import { isBrunoError, isServerError, isTimeoutError, type BrunoError, type BrunoErrorCode } from "../domain/errors.js";

/** A failure as the policy tells them apart: its code, refined where one code has two origins. */
export type FailureKind = BrunoErrorCode | "SERVER_BUSY_QUEUE" | "TIMEOUT_TURN";

/** What a turn does after a failure when the model's retries are spent. */
export type OnExhausted = "next-model" | "end-turn";

export interface FailureRule {
  /** Call the same model again, after a backoff, up to `BRUNO_RETRY_ATTEMPTS`. */
  retry: boolean;
  /** Counts towards opening the (host, model) circuit. */
  circuit: boolean;
  /**
   * With several Ollama hosts: the failure is the host's, so the same model is tried at once on
   * the next host that has it (no retry on this one); retried with backoff only on the last host.
   */
  failover: boolean;
  /** Then: hand over to the next model, or end the turn with this error. */
  then: OnExhausted;
  /** Why, in a few words (the README's failure table shows it). */
  why: string;
}

const rule = (retry: boolean, circuit: boolean, failover: boolean, then: OnExhausted, why: string): FailureRule => ({ retry, circuit, failover, then, why });

export const FAILURE_POLICY: Readonly<Record<FailureKind, FailureRule>> = {
  SERVER_UNREACHABLE: rule(true, true, true, "end-turn", "the host is gone; when no host with the model is left, neither are the chain's other models"),
  SERVER_ERROR: rule(true, true, true, "next-model", "a 5xx or a broken stream may be this host's or this model's fault"),
  SERVER_BUSY: rule(true, true, true, "end-turn", "the host said it is saturated; when no host with the model is left, the chain's models share the saturated ones"),
  SERVER_BUSY_QUEUE: rule(false, false, true, "end-turn", "this process's queue for the host is full: waiting more only adds load"),
  TIMEOUT_FIRST_TOKEN: rule(true, true, true, "next-model", "a cold or overloaded model; another host or a smaller model may answer"),
  TIMEOUT_STALL: rule(true, true, true, "next-model", "the stream stalled; another host or a smaller model may answer"),
  TIMEOUT_TOTAL: rule(true, true, false, "next-model", "the request ran out of time; a smaller one may answer"),
  TIMEOUT_TURN: rule(false, false, false, "end-turn", "the turn's own deadline passed"),
  GENERATION_FAILED: rule(false, true, false, "next-model", "this model answered with nothing usable"),
  MODEL_NOT_FOUND: rule(false, false, true, "next-model", "this model is not installed (on this host)"),
  MODEL_FILE_INVALID: rule(false, false, false, "next-model", "this model's GGUF file cannot be loaded"),
  CONTEXT_OVERFLOW: rule(false, false, false, "next-model", "the prompt does not fit this model's window"),
  CIRCUIT_OPEN: rule(false, false, true, "next-model", "this model failed repeatedly on this host and is resting"),
  CANCELLED: rule(false, false, false, "end-turn", "the caller stopped the turn"),
  INVALID_INPUT: rule(false, false, false, "end-turn", "the input is wrong whatever the model"),
  CONFIG_INVALID: rule(false, false, false, "end-turn", "a setting is wrong whatever the model"),
  DOCS_UNREADABLE: rule(false, false, false, "end-turn", "the documents cannot be read"),
  NO_MODEL_AVAILABLE: rule(false, false, false, "end-turn", "no model of the chain is installed"),
  THREAD_BUSY: rule(false, false, false, "end-turn", "the thread is answering another turn"),
  DB_UNAVAILABLE: rule(false, false, false, "end-turn", "the conversation database does not answer; the turn is not saved"),
  ALL_MODELS_FAILED: rule(false, false, false, "end-turn", "the chain is spent"),
};

/** The policy's name for a failure. */
export function failureKind(error: BrunoError): FailureKind {
  if (isServerError(error) && error.code === "SERVER_BUSY" && error.origin === "queue") return "SERVER_BUSY_QUEUE";
  if (isTimeoutError(error) && error.scope === "turn") return "TIMEOUT_TURN";
  return error.code;
}

/** The rule for a failure; anything that is not a `BrunoError` ends the turn unretried. */
export function failureRule(error: unknown): FailureRule {
  return isBrunoError(error) ? FAILURE_POLICY[failureKind(error)] : FAILURE_POLICY.ALL_MODELS_FAILED;
}

/** Worth another call to the same model. */
export function isRetryable(error: unknown): boolean {
  return failureRule(error).retry;
}

/** Counts towards opening the model's circuit. */
export function countsAgainstCircuit(error: unknown): boolean {
  return failureRule(error).circuit;
}

/** The next model of the chain may still answer after this failure. */
export function handsOver(error: unknown): boolean {
  return failureRule(error).then === "next-model";
}

/** With several Ollama hosts: the same model is tried on the next host that has it. */
export function failsOver(error: unknown): boolean {
  return failureRule(error).failover;
}
