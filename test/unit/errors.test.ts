import { describe, expect, it } from "vitest";
import {
  AllModelsFailedError,
  BrunoError,
  CancelledError,
  ConfigError,
  ContextOverflowError,
  DocumentsError,
  GenerationError,
  InvalidInputError,
  ModelNotFoundError,
  NoModelAvailableError,
  ServerError,
  TimeoutError,
  isAllModelsFailedError,
  isBrunoError,
  isCancelledError,
  isInvalidInputError,
  isModelNotFoundError,
  isTimeoutError,
  type BrunoErrorCode,
  type ModelFailure,
} from "../../src/domain/errors.js";

const ATTEMPTS: ModelFailure[] = [
  { model: "sre-agent:v1.0", code: "MODEL_NOT_FOUND", message: "not installed" },
  { model: "llama3.1:8b", code: "TIMEOUT_FIRST_TOKEN", message: "no token within 120000 ms" },
  { model: "llama3.2:3b", code: "SERVER_ERROR", message: "500" },
];

const SUBCLASSES: Array<[string, () => BrunoError, BrunoErrorCode]> = [
  ["InvalidInputError", () => new InvalidInputError("query", "must not be empty"), "INVALID_INPUT"],
  ["ConfigError", () => new ConfigError("bad"), "CONFIG_INVALID"],
  ["DocumentsError", () => new DocumentsError("unreadable"), "DOCS_UNREADABLE"],
  ["ServerError", () => new ServerError("SERVER_UNREACHABLE", "down"), "SERVER_UNREACHABLE"],
  ["ServerError", () => new ServerError("SERVER_ERROR", "500"), "SERVER_ERROR"],
  ["ServerError", () => new ServerError("SERVER_BUSY", "503"), "SERVER_BUSY"],
  ["ModelNotFoundError", () => new ModelNotFoundError("llama3.1:8b"), "MODEL_NOT_FOUND"],
  ["NoModelAvailableError", () => new NoModelAvailableError("none"), "NO_MODEL_AVAILABLE"],
  ["TimeoutError", () => new TimeoutError("TIMEOUT_FIRST_TOKEN", "t"), "TIMEOUT_FIRST_TOKEN"],
  ["TimeoutError", () => new TimeoutError("TIMEOUT_STALL", "t"), "TIMEOUT_STALL"],
  ["TimeoutError", () => new TimeoutError("TIMEOUT_TOTAL", "t"), "TIMEOUT_TOTAL"],
  ["ContextOverflowError", () => new ContextOverflowError("too big"), "CONTEXT_OVERFLOW"],
  ["CancelledError", () => new CancelledError(), "CANCELLED"],
  ["GenerationError", () => new GenerationError("empty"), "GENERATION_FAILED"],
  ["AllModelsFailedError", () => new AllModelsFailedError(ATTEMPTS), "ALL_MODELS_FAILED"],
];

describe("error classes", () => {
  it.each(SUBCLASSES)("%s sets name and code (%s)", (name, make, code) => {
    const error = make();
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(error).toBeInstanceOf(BrunoError);
    expect(error).toBeInstanceOf(Error);
    expect(isBrunoError(error)).toBe(true);
    expect(error.message).not.toBe("");
    expect(String(error)).toBe(`${name}: ${error.message}`);
    expect(error.stack).toBeDefined();
  });

  it.each(SUBCLASSES)("%s toJSON is { name, code, message, details }", (name, make, code) => {
    const error = make();
    const json = error.toJSON();
    expect(json).toEqual({ name, code, message: error.message, details: error.details });
    expect(JSON.parse(JSON.stringify(error))).toEqual(JSON.parse(JSON.stringify(json)));
  });

  it("BrunoError itself", () => {
    const error = new BrunoError("CIRCUIT_OPEN", "open", { details: { model: "m" } });
    expect(error.name).toBe("BrunoError");
    expect(error.details).toEqual({ model: "m" });
    expect(new BrunoError("THREAD_BUSY", "x").details).toEqual({});
  });

  it.each<[string, BrunoError]>([
    ["BrunoError", new BrunoError("GENERATION_FAILED", "x", { cause: new Error("root") })],
    ["ConfigError", new ConfigError("x", { cause: new Error("root") })],
    ["ModelNotFoundError", new ModelNotFoundError("m", undefined, { cause: new Error("root") })],
  ])("%s keeps its cause", (_name, error) => {
    expect((error.cause as Error).message).toBe("root");
  });

  it("no cause → no cause property", () => {
    expect("cause" in new ConfigError("x")).toBe(false);
  });

  it("InvalidInputError names the field in message, field and details", () => {
    const error = new InvalidInputError("documents[2].content", "too long", { details: { max: 10 } });
    expect(error.message).toBe("invalid input: documents[2].content: too long");
    expect(error.field).toBe("documents[2].content");
    expect(error.details).toEqual({ field: "documents[2].content", max: 10 });
  });

  it("ModelNotFoundError default message says how to install the model", () => {
    const error = new ModelNotFoundError("qwen2.5:7b");
    expect(error.message).toContain("ollama pull qwen2.5:7b");
    expect(error.model).toBe("qwen2.5:7b");
    expect(error.details).toEqual({ model: "qwen2.5:7b" });
    expect(new ModelNotFoundError("m", "custom").message).toBe("custom");
  });

  it("AllModelsFailedError lists every attempt in message and attempts", () => {
    const error = new AllModelsFailedError(ATTEMPTS);
    expect(error.attempts).toEqual(ATTEMPTS);
    expect(error.details).toEqual({ attempts: ATTEMPTS });
    for (const a of ATTEMPTS) {
      expect(error.message).toContain(a.model);
      expect(error.message).toContain(a.code);
      expect(error.message).toContain(a.message);
    }
    const order = ATTEMPTS.map((a) => error.message.indexOf(a.model));
    expect(order).toEqual([...order].sort((x, y) => x - y));
    expect(error.toJSON().details).toEqual({ attempts: ATTEMPTS });
  });

  it("CancelledError has a default message", () => {
    expect(new CancelledError().message).toBe("the run was cancelled");
  });
});

describe("guards", () => {
  const samples: Array<[string, unknown]> = [
    ["InvalidInputError", new InvalidInputError("f", "m")],
    ["ModelNotFoundError", new ModelNotFoundError("m")],
    ["AllModelsFailedError", new AllModelsFailedError([])],
    ["TimeoutError", new TimeoutError("TIMEOUT_TOTAL", "t")],
    ["CancelledError", new CancelledError()],
    ["ConfigError", new ConfigError("c")],
    ["plain Error", new Error("x")],
    ["DOMException TimeoutError", new DOMException("t", "TimeoutError")],
    ["lookalike object", { name: "TimeoutError", code: "TIMEOUT_TOTAL", message: "t" }],
    ["string", "TimeoutError"],
    ["null", null],
  ];
  const guards: Array<[string, (e: unknown) => boolean, string[]]> = [
    ["isBrunoError", isBrunoError, ["InvalidInputError", "ModelNotFoundError", "AllModelsFailedError", "TimeoutError", "CancelledError", "ConfigError"]],
    ["isInvalidInputError", isInvalidInputError, ["InvalidInputError"]],
    ["isModelNotFoundError", isModelNotFoundError, ["ModelNotFoundError"]],
    ["isAllModelsFailedError", isAllModelsFailedError, ["AllModelsFailedError"]],
    ["isTimeoutError", isTimeoutError, ["TimeoutError"]],
    ["isCancelledError", isCancelledError, ["CancelledError"]],
  ];
  const cases = guards.flatMap(([g, fn, yes]) => samples.map(([s, value]) => [g, s, fn, value, yes.includes(s)] as const));
  it.each(cases)("%s(%s)", (_g, _s, fn, value, expected) => {
    expect(fn(value)).toBe(expected);
  });
});
