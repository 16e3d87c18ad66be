import { describe, expect, it } from "vitest";
import { BrunoError, GenerationError, ModelNotFoundError, ServerError, TimeoutError, type BrunoErrorCode } from "../../src/domain/errors.js";
import { cancelled, ollamaStatus, toBrunoError } from "../../src/providers/ollama/errors.js";
import { handsOver, isRetryable } from "../../src/runtime/failurePolicy.js";

/** The shape of the `ollama` client's (unexported) ResponseError. */
class ResponseError extends Error {
  override name = "ResponseError";
  constructor(
    message: string,
    readonly status_code: number,
  ) {
    super(message);
  }
}

const HOST = "http://127.0.0.1:11434";
const ctx = { host: HOST, model: "llama3.1:8b" };

const fetchFailed = (code: string): TypeError => new TypeError("fetch failed", { cause: Object.assign(new Error(`connect ${code}`), { code }) });

describe("toBrunoError: HTTP statuses", () => {
  it.each<[string, number, string, BrunoErrorCode, boolean]>([
    ["404 model not found", 404, "model 'llama3.1:8b' not found", "MODEL_NOT_FOUND", false],
    ["404 try pulling", 404, 'model "llama3.1:8b" not found, try pulling it first', "MODEL_NOT_FOUND", false],
    ["404 something else", 404, "page missing", "GENERATION_FAILED", false],
    ["500", 500, "llama runner process has terminated", "SERVER_ERROR", true],
    ["502", 502, "bad gateway", "SERVER_ERROR", true],
    ["503", 503, "server busy, please try again", "SERVER_BUSY", true],
    ["429", 429, "too many requests", "SERVER_BUSY", true],
    ["400", 400, "invalid options", "GENERATION_FAILED", false],
  ])("%s → %s", (_name, status, message, code, transient) => {
    const source = new ResponseError(message, status);
    const error = toBrunoError(source, ctx);
    expect(error).toBeInstanceOf(BrunoError);
    expect(error.code).toBe(code);
    expect(isRetryable(error)).toBe(transient);
    expect(error.cause).toBe(source);
    expect(error.details).toMatchObject({ host: HOST });
    expect(error.message).toContain(HOST);
  });

  it("404 not found names the model and `ollama pull`", () => {
    const error = toBrunoError(new ResponseError("model 'x' not found", 404), { host: HOST, model: "x" });
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect(error.code).toBe("MODEL_NOT_FOUND");
    expect(error.message).toContain("ollama pull x");
    expect((error as ModelNotFoundError).model).toBe("x");
    expect(error.details).toMatchObject({ model: "x", host: HOST });
    expect(handsOver(error)).toBe(true);
  });

  it("404 without a model in context cannot name one: not MODEL_NOT_FOUND", () => {
    expect(toBrunoError(new ResponseError("model 'x' not found", 404), { host: HOST }).code).not.toBe("MODEL_NOT_FOUND");
  });

  it.each<[number, string]>([
    [500, "500"],
    [503, "OLLAMA_MAX_QUEUE"],
    [400, "400"],
  ])("status %i message mentions %s", (status, fragment) => {
    expect(toBrunoError(new ResponseError("boom", status), ctx).message).toContain(fragment);
  });

  it.each<[unknown, number | undefined]>([
    [new ResponseError("x", 404), 404],
    [Object.assign(new Error("x"), { status_code: 500 }), undefined],
    [{ name: "ResponseError", status_code: 500 }, undefined],
    [Object.assign(new ResponseError("x", 0), { status_code: "500" }), undefined],
  ])("ollamaStatus(%o) → %s", (error, status) => {
    expect(ollamaStatus(error)).toBe(status);
  });
});

describe("toBrunoError: network and other failures", () => {
  it.each<[string, () => unknown, BrunoErrorCode]>([
    ["ECONNREFUSED", () => new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } }), "SERVER_UNREACHABLE"],
    ["ECONNREFUSED as Error cause", () => fetchFailed("ECONNREFUSED"), "SERVER_UNREACHABLE"],
    ["ENOTFOUND", () => fetchFailed("ENOTFOUND"), "SERVER_UNREACHABLE"],
    ["EHOSTUNREACH", () => fetchFailed("EHOSTUNREACH"), "SERVER_UNREACHABLE"],
    ["UND_ERR_CONNECT_TIMEOUT", () => fetchFailed("UND_ERR_CONNECT_TIMEOUT"), "SERVER_UNREACHABLE"],
    ["nested two causes deep", () => new TypeError("fetch failed", { cause: new Error("wrapper", { cause: { code: "ECONNREFUSED" } }) }), "SERVER_UNREACHABLE"],
    ["ECONNRESET", () => fetchFailed("ECONNRESET"), "SERVER_ERROR"],
    ["EPIPE", () => fetchFailed("EPIPE"), "SERVER_ERROR"],
    ["UND_ERR_SOCKET", () => fetchFailed("UND_ERR_SOCKET"), "SERVER_ERROR"],
    ["SyntaxError", () => new SyntaxError("Unexpected token < in JSON at position 0"), "SERVER_ERROR"],
    ["bare fetch failed", () => new TypeError("fetch failed"), "SERVER_UNREACHABLE"],
    ["AbortSignal.timeout reason", () => new DOMException("The operation was aborted due to timeout", "TimeoutError"), "TIMEOUT_TOTAL"],
    ["plain Error", () => new Error("something odd"), "GENERATION_FAILED"],
    ["thrown string", () => "boom", "GENERATION_FAILED"],
    ["thrown undefined", () => undefined, "GENERATION_FAILED"],
  ])("%s → %s", (_name, make, code) => {
    const source = make();
    const error = toBrunoError(source, ctx);
    expect(error).toBeInstanceOf(BrunoError);
    expect(error.code).toBe(code);
    if (source !== undefined) expect(error.cause).toBe(source);
  });

  it("ECONNREFUSED tells the user to run `ollama serve` and check OLLAMA_HOST", () => {
    const error = toBrunoError(new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } }), { host: "http://gpu:11434" });
    expect(error).toBeInstanceOf(ServerError);
    expect(error.message).toContain("ollama serve");
    expect(error.message).toContain("OLLAMA_HOST");
    expect(error.message).toContain("http://gpu:11434");
    expect(error.message).toContain("ECONNREFUSED");
    expect(error.details).toMatchObject({ host: "http://gpu:11434", errno: "ECONNREFUSED" });
    expect(error.details).not.toHaveProperty("model");
    expect(isRetryable(error)).toBe(true);
  });

  it.each<[string, BrunoError]>([
    ["TimeoutError", new TimeoutError("TIMEOUT_STALL", "stalled")],
    ["GenerationError", new GenerationError("empty")],
    ["ModelNotFoundError", new ModelNotFoundError("m")],
    ["BrunoError", new BrunoError("CIRCUIT_OPEN", "open")],
  ])("a %s passes through unchanged", (_name, error) => {
    expect(toBrunoError(error, ctx)).toBe(error);
  });
});

describe("cancelled", () => {
  it.each<[unknown, string]>([
    [undefined, "the run was cancelled"],
    ["user pressed ctrl-c", "the run was cancelled: user pressed ctrl-c"],
    [new Error("client went away"), "the run was cancelled: client went away"],
    [42, "the run was cancelled"],
  ])("cancelled(%o) → %j", (reason, message) => {
    const error = cancelled(reason);
    expect(error.code).toBe("CANCELLED");
    expect(error.message).toBe(message);
    expect(isRetryable(error)).toBe(false);
    expect(handsOver(error)).toBe(false);
  });
});
