import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_OLLAMA_HOST, loadConfig, normalizeOllamaHost, type BrunoConfig } from "../../src/config/config.js";
import { ConfigError, isBrunoError } from "../../src/domain/errors.js";
import { DEFAULT_CATALOG, type ModelCatalog } from "../../src/domain/catalog.js";
import { thrown } from "../support/thrown.js";


describe("normalizeOllamaHost", () => {
  it.each<[string, string]>([
    ["127.0.0.1:11434", "http://127.0.0.1:11434"],
    ["localhost", "http://localhost:11434"],
    ["LOCALHOST", "http://localhost:11434"],
    ["  localhost  ", "http://localhost:11434"],
    [":8080", "http://127.0.0.1:8080"],
    ["0.0.0.0", "http://127.0.0.1:11434"],
    ["0.0.0.0:9000", "http://127.0.0.1:9000"],
    ["ollama.lan", "http://ollama.lan:11434"],
    ["ollama.lan:1234", "http://ollama.lan:1234"],
    ["http://host:1234/", "http://host:1234"],
    ["http://host:1234", "http://host:1234"],
    ["HTTP://Host:1234", "http://host:1234"],
    ["https://x", "https://x"],
    ["https://x:443", "https://x"],
    ["https://x:8443", "https://x:8443"],
    ["https://x.example/ollama/", "https://x.example/ollama"],
    ["http://x:8080/api//", "http://x:8080/api"],
    ["[::1]:11434", "http://[::1]:11434"],
    ["", DEFAULT_OLLAMA_HOST],
    ["   ", DEFAULT_OLLAMA_HOST],
  ])("%j → %s", (raw, expected) => {
    expect(normalizeOllamaHost(raw)).toBe(expected);
  });

  it("the default is Ollama's own", () => {
    expect(DEFAULT_OLLAMA_HOST).toBe("http://127.0.0.1:11434");
  });

  it("is idempotent on its own output", () => {
    for (const raw of ["localhost", ":8080", "https://x:8443/p/", "0.0.0.0"]) {
      const once = normalizeOllamaHost(raw);
      expect(normalizeOllamaHost(once)).toBe(once);
    }
  });

  it.each<[string]>([["ftp://x"], ["file:///tmp/sock"], ["ws://host:1234"], ["http://"], ["::1"], ["host:notaport"]])(
    "%j → ConfigError",
    (raw) => {
      const error = thrown(() => normalizeOllamaHost(raw));
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).code).toBe("CONFIG_INVALID");
      expect((error as ConfigError).message).toContain("OLLAMA_HOST");
    },
  );

  it("reads a scheme without a port as the scheme's port, as Ollama does", () => {
    expect(normalizeOllamaHost("http://x:80")).toBe("http://x");
    expect(normalizeOllamaHost("http://x")).toBe("http://x");
    expect(normalizeOllamaHost("https://x")).toBe("https://x");
    expect(normalizeOllamaHost('"localhost:8080"')).toBe("http://localhost:8080");
  });
});

describe("loadConfig: defaults", () => {
  const config = loadConfig({ env: {} });
  it.each<[string, (c: BrunoConfig) => unknown, unknown]>([
    ["ollamaHost", (c) => c.ollamaHost, "http://127.0.0.1:11434"],
    ["dbPath", (c) => c.dbPath, undefined],
    ["catalogPath", (c) => c.catalogPath, undefined],
    ["logLevel", (c) => c.logLevel, "info"],
    ["limits", (c) => c.limits, { maxQueryChars: 8000, maxDocuments: 50, maxDocumentChars: 200_000 }],
    ["history", (c) => c.history, { promptTurns: 3 }],
    ["timeouts", (c) => c.timeouts, { totalMs: 300_000, firstTokenMs: 120_000, stallMs: 30_000, adminMs: 5_000 }],
    ["tagsTtlMs", (c) => c.tagsTtlMs, 30_000],
    ["keepAlive", (c) => c.keepAlive, "10m"],
    ["seed", (c) => c.seed, undefined],
    ["catalog", (c) => c.catalog, DEFAULT_CATALOG],
  ])("%s", (_name, get, expected) => {
    // Objects are matched, not compared whole: other settings may be added next to these.
    if (typeof expected === "object" && expected !== null) expect(get(config)).toMatchObject(expected);
    else expect(get(config)).toBe(expected);
  });

  it("blank variables count as unset", () => {
    expect(loadConfig({ env: { OLLAMA_HOST: "", BRUNO_TIMEOUT_MS: "  ", LOG_LEVEL: "" } })).toEqual(config);
  });
});

describe("loadConfig: environment", () => {
  it.each<[string, Record<string, string>, (c: BrunoConfig) => unknown, unknown]>([
    ["OLLAMA_HOST normalized", { OLLAMA_HOST: "gpu-box:11434" }, (c) => c.ollamaHost, "http://gpu-box:11434"],
    ["OLLAMA_HOST :port", { OLLAMA_HOST: ":9999" }, (c) => c.ollamaHost, "http://127.0.0.1:9999"],
    ["BRUNO_DB", { BRUNO_DB: "/var/lib/bruno/threads.sqlite" }, (c) => c.dbPath, "/var/lib/bruno/threads.sqlite"],
    ["LOG_LEVEL", { LOG_LEVEL: "debug" }, (c) => c.logLevel, "debug"],
    ["LOG_LEVEL upper case", { LOG_LEVEL: "WARN" }, (c) => c.logLevel, "warn"],
    ["BRUNO_MAX_QUERY_CHARS", { BRUNO_MAX_QUERY_CHARS: "1200" }, (c) => c.limits.maxQueryChars, 1200],
    ["BRUNO_MAX_DOCUMENTS", { BRUNO_MAX_DOCUMENTS: "7" }, (c) => c.limits.maxDocuments, 7],
    ["BRUNO_MAX_DOCUMENT_CHARS", { BRUNO_MAX_DOCUMENT_CHARS: "999" }, (c) => c.limits.maxDocumentChars, 999],
    ["BRUNO_HISTORY_TURNS=0", { BRUNO_HISTORY_TURNS: "0" }, (c) => c.history.promptTurns, 0],
    ["BRUNO_TIMEOUT_MS", { BRUNO_TIMEOUT_MS: "60000" }, (c) => c.timeouts.totalMs, 60_000],
    ["BRUNO_FIRST_TOKEN_TIMEOUT_MS", { BRUNO_FIRST_TOKEN_TIMEOUT_MS: "15000" }, (c) => c.timeouts.firstTokenMs, 15_000],
    ["BRUNO_STALL_TIMEOUT_MS", { BRUNO_STALL_TIMEOUT_MS: "2500" }, (c) => c.timeouts.stallMs, 2_500],
    ["BRUNO_ADMIN_TIMEOUT_MS", { BRUNO_ADMIN_TIMEOUT_MS: "750" }, (c) => c.timeouts.adminMs, 750],
    ["one timeout leaves the others at default", { BRUNO_STALL_TIMEOUT_MS: "2500" }, (c) => c.timeouts.totalMs, 300_000],
    ["BRUNO_TAGS_TTL_MS=0", { BRUNO_TAGS_TTL_MS: "0" }, (c) => c.tagsTtlMs, 0],
    ["BRUNO_KEEP_ALIVE", { BRUNO_KEEP_ALIVE: "-1" }, (c) => c.keepAlive, "-1"],
    ["BRUNO_SEED", { BRUNO_SEED: "42" }, (c) => c.seed, 42],
  ])("%s", (_name, env, get, expected) => {
    expect(get(loadConfig({ env }))).toEqual(expected);
  });

  it("ignores variables it does not know", () => {
    expect(loadConfig({ env: { PATH: "/bin", HOME: "/root" } })).toEqual(loadConfig({ env: {} }));
  });
});

describe("loadConfig: overrides win over the environment", () => {
  const env = { OLLAMA_HOST: "env-host", LOG_LEVEL: "debug", BRUNO_TIMEOUT_MS: "5000", BRUNO_STALL_TIMEOUT_MS: "700", BRUNO_DB: "/env.sqlite" };
  it.each<[string, Parameters<typeof loadConfig>[0], (c: BrunoConfig) => unknown, unknown]>([
    ["ollamaHost", { env, overrides: { ollamaHost: "flag-host:1" } }, (c) => c.ollamaHost, "http://flag-host:1"],
    ["logLevel", { env, overrides: { logLevel: "error" } }, (c) => c.logLevel, "error"],
    ["dbPath", { env, overrides: { dbPath: "/flag.sqlite" } }, (c) => c.dbPath, "/flag.sqlite"],
    ["one timeout overridden, the env's other timeout kept", { env, overrides: { timeouts: { totalMs: 1000 } } }, (c) => [c.timeouts.totalMs, c.timeouts.stallMs], [1000, 700]],
    ["env used where no override", { env, overrides: { logLevel: "error" } }, (c) => c.ollamaHost, "http://env-host:11434"],
    ["undefined override does not erase env", { env, overrides: { logLevel: undefined } }, (c) => c.logLevel, "debug"],
  ])("%s", (_name, options, get, expected) => {
    expect(get(loadConfig(options))).toEqual(expected);
  });

  it("invalid overrides are rejected like env values", () => {
    expect(() => loadConfig({ env: {}, overrides: { timeouts: { totalMs: -1 } } })).toThrow(ConfigError);
  });
});

describe("loadConfig: invalid values", () => {
  it.each<[Record<string, string>, string]>([
    [{ BRUNO_TIMEOUT_MS: "abc" }, "timeouts.totalMs"],
    [{ BRUNO_TIMEOUT_MS: "0" }, "timeouts.totalMs"],
    [{ BRUNO_FIRST_TOKEN_TIMEOUT_MS: "-5" }, "timeouts.firstTokenMs"],
    [{ BRUNO_STALL_TIMEOUT_MS: "1.5" }, "timeouts.stallMs"],
    [{ BRUNO_ADMIN_TIMEOUT_MS: "soon" }, "timeouts.adminMs"],
    [{ LOG_LEVEL: "loud" }, "logLevel"],
    [{ BRUNO_MAX_QUERY_CHARS: "0" }, "limits.maxQueryChars"],
    [{ BRUNO_MAX_QUERY_CHARS: "lots" }, "limits.maxQueryChars"],
    [{ BRUNO_MAX_DOCUMENTS: "-1" }, "limits.maxDocuments"],
    [{ BRUNO_HISTORY_TURNS: "-1" }, "history.promptTurns"],
    [{ BRUNO_TAGS_TTL_MS: "-1" }, "tagsTtlMs"],
    [{ BRUNO_SEED: "x" }, "seed"],
    [{ OLLAMA_HOST: "ftp://x" }, "OLLAMA_HOST"],
  ])("%j → ConfigError mentioning %s", (env, setting) => {
    const error = thrown(() => loadConfig({ env }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(isBrunoError(error)).toBe(true);
    expect((error as ConfigError).code).toBe("CONFIG_INVALID");
    expect((error as ConfigError).message).toContain(setting);
  });
});

describe("loadConfig: BRUNO_CATALOG", () => {
  const dir = mkdtempSync(join(tmpdir(), "bruno-catalog-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, content, "utf8");
    return path;
  };

  it("adds a model and reroutes fast", () => {
    const path = file(
      "ok.json",
      JSON.stringify({
        models: [{ tag: "qwen2.5:0.5b", contextLength: 4096, speedTier: "fast", fallbacks: ["llama3.2:3b"] }],
        routes: { fast: "qwen2.5:0.5b" },
      }),
    );
    const config = loadConfig({ env: { BRUNO_CATALOG: path } });
    expect(config.catalogPath).toBe(path);
    expect(config.catalog.routes).toEqual({ ...DEFAULT_CATALOG.routes, fast: "qwen2.5:0.5b" });
    expect(config.catalog.models.map((m) => m.tag)).toContain("qwen2.5:0.5b");
    expect(config.catalog.models).toHaveLength(DEFAULT_CATALOG.models.length + 1);
  });

  it("a model without fallbacks is accepted (defaults to [])", () => {
    const path = file("nofallbacks.json", JSON.stringify({ models: [{ tag: "phi3:mini", contextLength: 4096, speedTier: "fast" }] }));
    const config = loadConfig({ env: { BRUNO_CATALOG: path } });
    expect(config.catalog.models.find((m) => m.tag === "phi3:mini")?.fallbacks).toEqual([]);
  });

  it.each<[string, () => string, RegExp]>([
    ["missing file", () => join(dir, "does-not-exist.json"), /cannot read.*BRUNO_CATALOG/],
    ["invalid JSON", () => file("bad.json", "{ models: [ }"), /not valid JSON/],
    ["wrong shape", () => file("shape.json", JSON.stringify({ models: [{ tag: "x", contextLength: "big", speedTier: "fast" }] })), /invalid/],
    ["route to an unknown model", () => file("route.json", JSON.stringify({ routes: { fast: "ghost:1b" } })), /inconsistent[\s\S]*routes\.fast/],
    [
      "fallback to an unknown model",
      () => file("fallback.json", JSON.stringify({ models: [{ tag: "x:1", contextLength: 1, speedTier: "fast", fallbacks: ["ghost:1b"] }] })),
      /inconsistent[\s\S]*ghost:1b/,
    ],
  ])("%s → ConfigError", (_name, makePath, message) => {
    const path = makePath();
    const error = thrown(() => loadConfig({ env: { BRUNO_CATALOG: path } }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe("CONFIG_INVALID");
    expect((error as ConfigError).message).toMatch(message);
    expect((error as ConfigError).message).toContain(path);
  });

  it("an explicit catalog option wins over BRUNO_CATALOG (the file is not read)", () => {
    const catalog: ModelCatalog = {
      models: [{ tag: "only:1b", contextLength: 2048, speedTier: "fast", fallbacks: [] }],
      routes: { code: "only:1b", sre: "only:1b", fast: "only:1b", general: "only:1b" },
    };
    const config = loadConfig({ env: { BRUNO_CATALOG: join(dir, "does-not-exist.json") }, catalog });
    expect(config.catalog).toBe(catalog);
  });
});
