import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { configFromEnv, DEFAULT_OLLAMA_HOST, loadConfig, normalizeOllamaHost, ollamaHostConfigured, redactPasswords, SETTINGS, type AnySetting, type BrunoConfig } from "../../src/config/config.js";
import { count, fraction, integer, ollamaHost, positiveInt, text, url, ollamaHostList } from "../../src/config/kinds.js";
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
    ["http://x:8080/ollama//", "http://x:8080/ollama"],
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

  it.each<[string]>([["ftp://x"], ["file:///tmp/sock"], ["ws://host:1234"], ["http://"], ["::1"], ["host:notaport"], ["http://x:8080/api//"], ["x/v1/chat"]])("%j → ConfigError", (raw) => {
    const error = thrown(() => normalizeOllamaHost(raw));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe("CONFIG_INVALID");
    expect((error as ConfigError).message).toContain("OLLAMA_HOST");
  });

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

/** A valid value of each kind of setting, as text in the environment, and what it becomes. */
function sampleFor(setting: AnySetting): [raw: string, expected: unknown] {
  const schema = setting.schema;
  if (schema === positiveInt) return ["7", 7];
  if (schema === count) return ["0", 0];
  if (schema === integer) return ["-3", -3];
  if (schema === fraction) return ["0.25", 0.25];
  if (schema === text) return ["/srv/bruno/value", "/srv/bruno/value"];
  if (schema === url) return ["https://mirror.example/hf/", "https://mirror.example/hf/"];
  if (schema === ollamaHost) return ["gpu-box:8080", "http://gpu-box:8080"];
  if (schema === ollamaHostList) return ["gpu-a:8080,http://gpu-b", [{ address: "http://gpu-a:8080" }, { address: "http://gpu-b" }]];
  if (schema instanceof z.ZodEnum) {
    const value = schema.options.map(String).find((o) => o !== setting.default);
    if (value === undefined) throw new Error(`${setting.env}: an enum with a single value`);
    return [value.toUpperCase(), value];
  }
  throw new Error(`${setting.env}: no sample for this kind of setting; add one to sampleFor`);
}

/** A copy of `config` with one dotted path set. */
function withValue(config: BrunoConfig, path: string, value: unknown): BrunoConfig {
  const copy = structuredClone(config) as unknown as Record<string, Record<string, unknown>>;
  const [first = "", second] = path.split(".");
  if (second === undefined) (copy as Record<string, unknown>)[first] = value;
  else copy[first] = { ...copy[first], [second]: value };
  return copy as unknown as BrunoConfig;
}

describe("the settings table", () => {
  const defaults = loadConfig({ env: {} });

  it("holds every setting the README and the old schema knew", () => {
    expect(SETTINGS.length).toBeGreaterThanOrEqual(37);
  });

  it("writes no variable twice (names and aliases together) and no path twice", () => {
    const variables = SETTINGS.flatMap((s) => [s.env, ...s.aliases]);
    expect(variables.filter((v, i) => variables.indexOf(v) !== i)).toEqual([]);
    const paths = SETTINGS.map((s) => s.path);
    expect(paths.filter((p, i) => paths.indexOf(p) !== i)).toEqual([]);
  });

  it("every optional setting says in the README what happens when it is unset", () => {
    const silent = SETTINGS.filter((s) => s.default === undefined && s.unset === undefined).map((s) => s.env);
    // unset means unset for these: the feature is off or the value is simply not sent
    expect(silent.sort()).toEqual(["BRUNO_EMBED_MODEL", "BRUNO_MODEL_PATH", "BRUNO_SEED"]);
  });

  it.each(SETTINGS.flatMap((s) => [s.env, ...s.aliases].map((variable) => [variable, s] as const)))("%s is read into its path, and nothing else changes", (variable, setting) => {
    const [raw, expected] = sampleFor(setting);
    // the catalog option keeps BRUNO_CATALOG's sample path from being opened
    const config = loadConfig({ env: { [variable]: raw }, catalog: DEFAULT_CATALOG });
    expect(config).toEqual(withValue(defaults, setting.path, expected));
  });

  it("every setting with a default has it in the parsed config", () => {
    for (const s of SETTINGS.filter((x) => x.default !== undefined)) {
      const [first = "", second] = s.path.split(".");
      const group = (defaults as unknown as Record<string, unknown>)[first];
      const value = second === undefined ? group : (group as Record<string, unknown>)[second];
      expect([s.env, value]).toEqual([s.env, s.default]);
    }
  });
});

describe("loadConfig: BRUNO_LOG_LEVEL and LOG_LEVEL", () => {
  it.each<[string, Record<string, string>, string]>([
    ["BRUNO_LOG_LEVEL alone", { BRUNO_LOG_LEVEL: "debug" }, "debug"],
    ["LOG_LEVEL alone (fallback)", { LOG_LEVEL: "warn" }, "warn"],
    ["BRUNO_LOG_LEVEL wins over LOG_LEVEL", { BRUNO_LOG_LEVEL: "error", LOG_LEVEL: "trace" }, "error"],
    ["a blank BRUNO_LOG_LEVEL falls back to LOG_LEVEL", { BRUNO_LOG_LEVEL: " ", LOG_LEVEL: "trace" }, "trace"],
    ["any case", { BRUNO_LOG_LEVEL: "Silent" }, "silent"],
  ])("%s", (_name, env, expected) => {
    expect(loadConfig({ env }).logLevel).toBe(expected);
  });

  it("a bad BRUNO_LOG_LEVEL is reported even when LOG_LEVEL is fine: the project name wins", () => {
    expect((thrown(() => loadConfig({ env: { BRUNO_LOG_LEVEL: "loud", LOG_LEVEL: "info" } })) as Error).message).toMatch(/^BRUNO_LOG_LEVEL: /);
  });

  it("the environment wins over the defaults option (the CLI's quieter default)", () => {
    expect(loadConfig({ env: {}, defaults: { logLevel: "error" } }).logLevel).toBe("error");
    expect(loadConfig({ env: { LOG_LEVEL: "debug" }, defaults: { logLevel: "error" } }).logLevel).toBe("debug");
  });
});

describe("loadConfig: words of a fixed list in any case", () => {
  it.each<[Record<string, string>, (c: BrunoConfig) => unknown, unknown]>([
    [{ BRUNO_PROVIDER: "EMBEDDED" }, (c) => c.embedded.provider, "embedded"],
    [{ BRUNO_PROVIDER: " Ollama " }, (c) => c.embedded.provider, "ollama"],
    [{ BRUNO_CACHE: "Always" }, (c) => c.cache.mode, "always"],
    [{ BRUNO_CACHE: "OFF" }, (c) => c.cache.mode, "off"],
    [{ LOG_LEVEL: "Debug" }, (c) => c.logLevel, "debug"],
  ])("%j", (env, get, expected) => {
    expect(get(loadConfig({ env }))).toBe(expected);
  });

  it("other values keep their case", () => {
    expect(loadConfig({ env: { BRUNO_EMBED_MODEL: "Nomic-Embed-Text", BRUNO_KEEP_ALIVE: "10M" } })).toMatchObject({
      grounding: { embedModel: "Nomic-Embed-Text" },
      keepAlive: "10M",
    });
  });
});

describe("ollamaHostConfigured", () => {
  it.each<[Record<string, string>, boolean]>([
    [{}, false],
    [{ OLLAMA_HOST: "  " }, false],
    [{ OLLAMA_HOST: "gpu-box" }, true],
  ])("%j → %s", (env, expected) => {
    expect(ollamaHostConfigured(env)).toBe(expected);
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
  // The message names the variable the user set, never the internal path.
  it.each<[Record<string, string>, string, string]>([
    [{ BRUNO_TIMEOUT_MS: "abc" }, "BRUNO_TIMEOUT_MS", "timeouts.totalMs"],
    [{ BRUNO_TIMEOUT_MS: "0" }, "BRUNO_TIMEOUT_MS", "timeouts.totalMs"],
    [{ BRUNO_FIRST_TOKEN_TIMEOUT_MS: "-5" }, "BRUNO_FIRST_TOKEN_TIMEOUT_MS", "timeouts.firstTokenMs"],
    [{ BRUNO_STALL_TIMEOUT_MS: "1.5" }, "BRUNO_STALL_TIMEOUT_MS", "timeouts.stallMs"],
    [{ BRUNO_ADMIN_TIMEOUT_MS: "soon" }, "BRUNO_ADMIN_TIMEOUT_MS", "timeouts.adminMs"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL", "logLevel"],
    [{ BRUNO_LOG_LEVEL: "loud" }, "BRUNO_LOG_LEVEL", "logLevel"],
    [{ BRUNO_MAX_QUERY_CHARS: "0" }, "BRUNO_MAX_QUERY_CHARS", "limits.maxQueryChars"],
    [{ BRUNO_MAX_QUERY_CHARS: "lots" }, "BRUNO_MAX_QUERY_CHARS", "limits.maxQueryChars"],
    [{ BRUNO_MAX_DOCUMENTS: "-1" }, "BRUNO_MAX_DOCUMENTS", "limits.maxDocuments"],
    [{ BRUNO_HISTORY_TURNS: "-1" }, "BRUNO_HISTORY_TURNS", "history.promptTurns"],
    [{ BRUNO_TAGS_TTL_MS: "-1" }, "BRUNO_TAGS_TTL_MS", "tagsTtlMs"],
    [{ BRUNO_SEED: "x" }, "BRUNO_SEED", "seed"],
    [{ BRUNO_GROUNDING_THRESHOLD: "1.5" }, "BRUNO_GROUNDING_THRESHOLD", "grounding.threshold"],
    [{ BRUNO_PROVIDER: "cloud" }, "BRUNO_PROVIDER", "embedded.provider"],
    [{ BRUNO_CACHE: "sometimes" }, "BRUNO_CACHE", "cache.mode"],
    [{ HF_ENDPOINT: "not a url" }, "HF_ENDPOINT", "embedded.hfEndpoint"],
    [{ OLLAMA_HOST: "ftp://x" }, "OLLAMA_HOST", "ollamaHost"],
  ])("%j → ConfigError naming %s", (env, variable, path) => {
    const error = thrown(() => loadConfig({ env }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(isBrunoError(error)).toBe(true);
    expect((error as ConfigError).code).toBe("CONFIG_INVALID");
    const message = (error as ConfigError).message;
    expect(message.startsWith(`${variable}: `)).toBe(true);
    expect(message).toContain(`got ${JSON.stringify(Object.values(env)[0])}`);
    expect(message).not.toContain(path);
    expect((error as ConfigError).details).toMatchObject({ variables: [variable], settings: [path] });
  });

  it("says what was expected and what was found", () => {
    expect(thrown(() => loadConfig({ env: { BRUNO_TIMEOUT_MS: "abc" } }))).toMatchObject({
      code: "CONFIG_INVALID",
      message: 'BRUNO_TIMEOUT_MS: expected a positive integer, got "abc"',
    });
    expect((thrown(() => loadConfig({ env: { BRUNO_PROVIDER: "cloud" } })) as Error).message).toBe('BRUNO_PROVIDER: expected one of ollama, embedded, auto, got "cloud"');
    expect((thrown(() => loadConfig({ env: { OLLAMA_HOST: "ftp://x" } })) as Error).message).toBe('OLLAMA_HOST: must use http or https, got "ftp://x"');
  });

  it("names every bad variable at once, each once", () => {
    const error = thrown(() => loadConfig({ env: { BRUNO_TIMEOUT_MS: "-1.5", BRUNO_SEED: "x", BRUNO_DB: "/ok.sqlite" } })) as ConfigError;
    expect(error.message.split("; ").sort()).toEqual(['BRUNO_SEED: expected an integer, got "x"', 'BRUNO_TIMEOUT_MS: expected a positive integer, got "-1.5"']);
  });

  it("configFromEnv reports the variable too, and returns only what the environment sets", () => {
    expect((thrown(() => configFromEnv({ BRUNO_QUEUE_SIZE: "-2" })) as Error).message).toBe('BRUNO_QUEUE_SIZE: expected an integer of 0 or more, got "-2"');
    expect(configFromEnv({ BRUNO_QUEUE_SIZE: "0", OLLAMA_HOST: ":9" })).toEqual({ concurrency: { queueSize: 0 }, ollamaHost: "http://127.0.0.1:9" });
    expect(configFromEnv({})).toEqual({});
  });

  it("an override's bad value is named by its setting path and flag, not by a variable", () => {
    const host = thrown(() => loadConfig({ env: { OLLAMA_HOST: "good-host" }, overrides: { ollamaHost: "ftp://x" } })) as ConfigError;
    expect(host.code).toBe("CONFIG_INVALID");
    expect(host.message).toBe('ollamaHost (--host): must use http or https, got "ftp://x"');
    const timeout = thrown(() => loadConfig({ env: { BRUNO_TIMEOUT_MS: "5000" }, overrides: { timeouts: { totalMs: -1 } } })) as ConfigError;
    expect(timeout.message).toBe("timeouts.totalMs: expected a positive integer, got -1");
    expect(timeout.message).not.toContain("BRUNO_TIMEOUT_MS");
  });

  it("a bad value in the defaults option is named by its setting path", () => {
    const error = thrown(() => loadConfig({ env: {}, defaults: { cache: { ttlMs: 0 } } })) as ConfigError;
    expect(error.message).toBe("cache.ttlMs: expected a positive integer, got 0");
  });

  it("a variable an override replaces is not read, so its bad value does not fail", () => {
    expect(loadConfig({ env: { OLLAMA_HOST: "ftp://x" }, overrides: { ollamaHost: "h:1" } }).ollamaHost).toBe("http://h:1");
    expect(() => loadConfig({ env: { OLLAMA_HOST: "ftp://x" }, overrides: { dbPath: "/x" } })).toThrow(/OLLAMA_HOST/);
  });
});

describe("loadConfig: passwords in URLs are never echoed", () => {
  it.each<[string, () => unknown]>([
    ["OLLAMA_HOST", () => loadConfig({ env: { OLLAMA_HOST: "ftp://admin:s3cret@host:21" } })],
    ["HF_ENDPOINT", () => loadConfig({ env: { HF_ENDPOINT: "https://admin:s3cret@ho st/" } })],
    ["the --host override", () => loadConfig({ env: {}, overrides: { ollamaHost: "ftp://admin:s3cret@host" } })],
    ["normalizeOllamaHost", () => normalizeOllamaHost("ws://admin:s3cret@host:1")],
  ])("%s", (_name, run) => {
    const error = thrown(run) as ConfigError;
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).not.toContain("s3cret");
    expect(error.message).toContain("admin:***@");
    expect(JSON.stringify(error.details)).not.toContain("s3cret");
  });

  it.each<[string, string]>([
    ["http://u:pw@host:1/p", "http://u:***@host:1/p"],
    ["https://u:p@ss@host", "https://u:***@host"],
    ["u:pw@host:11434", "u:***@host:11434"],
    ['got "postgres://app:pw@db/x"; and http://plain/', 'got "postgres://app:***@db/x"; and http://plain/'],
    ["https://user@host (no password)", "https://user@host (no password)"],
    ["expected a positive integer", "expected a positive integer"],
  ])("redactPasswords(%j) → %j", (raw, expected) => {
    expect(redactPasswords(raw)).toBe(expected);
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
