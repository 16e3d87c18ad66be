import { describe, expect, it } from "vitest";
import { BRUNO_ERROR_CODES, BrunoError, CancelledError, CircuitOpenError, ContextOverflowError, GenerationError, ModelNotFoundError, ServerError, TimeoutError } from "../../src/domain/errors.js";
import { countsAgainstCircuit, FAILURE_POLICY, failureKind, failureRule, handsOver, isRetryable } from "../../src/runtime/failurePolicy.js";

describe("the failure policy table", () => {
  it("has a rule for every error code", () => {
    for (const code of BRUNO_ERROR_CODES) expect(FAILURE_POLICY[code], code).toBeDefined();
  });

  it("never retries what also ends the turn for a reason the caller owns (input, settings, cancel, a busy thread)", () => {
    for (const code of ["INVALID_INPUT", "CONFIG_INVALID", "CANCELLED", "THREAD_BUSY", "ALL_MODELS_FAILED"] as const) {
      expect(FAILURE_POLICY[code]).toMatchObject({ retry: false, then: "end-turn" });
    }
  });

  it("a refused connection is retried, then ends the turn: every model of the chain lives on that server", () => {
    const refused = new ServerError("SERVER_UNREACHABLE", "cannot reach");
    expect(isRetryable(refused)).toBe(true);
    expect(countsAgainstCircuit(refused)).toBe(true);
    expect(handsOver(refused)).toBe(false);
  });

  it("a 5xx from the server is retried, counts against the model's circuit, then hands over to the next model", () => {
    const error = new ServerError("SERVER_ERROR", "500");
    expect([isRetryable(error), countsAgainstCircuit(error), handsOver(error)]).toEqual([true, true, true]);
  });

  it("a full local queue is neither retried nor held against the model, and ends the turn", () => {
    const local = new ServerError("SERVER_BUSY", "no free slot", { origin: "queue" });
    expect(failureKind(local)).toBe("SERVER_BUSY_QUEUE");
    expect([isRetryable(local), countsAgainstCircuit(local), handsOver(local)]).toEqual([false, false, false]);
  });

  it("the server's own 503 is told apart from the local queue by the error's origin, not its code", () => {
    expect(failureKind(new ServerError("SERVER_BUSY", "503"))).toBe("SERVER_BUSY");
  });

  it("a server that says it is saturated is retried after a backoff, then ends the turn instead of spraying the other models", () => {
    const busy = new ServerError("SERVER_BUSY", "maximum pending requests exceeded");
    expect([isRetryable(busy), handsOver(busy)]).toEqual([true, false]);
  });

  it("the turn's deadline ends the turn at once; an attempt's deadline is retried and hands over", () => {
    const turn = new TimeoutError("TIMEOUT_TOTAL", "turn", { scope: "turn" });
    const attempt = new TimeoutError("TIMEOUT_TOTAL", "attempt");
    expect([isRetryable(turn), countsAgainstCircuit(turn), handsOver(turn)]).toEqual([false, false, false]);
    expect([isRetryable(attempt), countsAgainstCircuit(attempt), handsOver(attempt)]).toEqual([true, true, true]);
  });

  it.each<[string, BrunoError]>([
    ["a model that is not installed", new ModelNotFoundError("m")],
    ["a prompt too large for the window", new ContextOverflowError("too big")],
    ["an open circuit", new CircuitOpenError("http://h", "m", 1000)],
  ])("%s hands over without a retry and without counting against the circuit", (_name, error) => {
    expect([isRetryable(error), countsAgainstCircuit(error), handsOver(error)]).toEqual([false, false, true]);
  });

  it("an empty answer is not retried on the same model but counts against it and hands over", () => {
    const error = new GenerationError("empty");
    expect([isRetryable(error), countsAgainstCircuit(error), handsOver(error)]).toEqual([false, true, true]);
  });

  it.each<[string, unknown]>([
    ["plain Error", new Error("ECONNREFUSED")],
    ["lookalike", { code: "SERVER_ERROR" }],
    ["undefined", undefined],
  ])("a non-BrunoError (%s) ends the turn unretried", (_name, value) => {
    expect(failureRule(value)).toMatchObject({ retry: false, circuit: false, then: "end-turn" });
  });

  it("cancellation ends the turn", () => {
    expect(handsOver(new CancelledError())).toBe(false);
  });
});
