import { realpathSync } from "node:fs";
/**
 * Choosing the provider, mapping logical models to GGUF files, and the model download — all
 * without a network (download endpoints point at closed local ports) and without llama.cpp.
 */
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCommand } from "../../src/cli/args.js";
import { loadConfig, ollamaHostConfigured, type BrunoConfig } from "../../src/config/config.js";
import { isModelFileError } from "../../src/domain/errors.js";
import { DEFAULT_CATALOG, mergeCatalog } from "../../src/domain/catalog.js";
import { cachedModelPath, createProgressBar, DEFAULT_EMBEDDED_MODEL_URI, ensureModelFile, preflightUrl } from "../../src/providers/embedded/download.js";
import { createEmbeddedModelFiles } from "../../src/providers/embedded/files.js";
import { embeddedModelAtHand, prepareEmbeddedModel, resolveProvider } from "../../src/providers/embedded/provider.js";
import { closedPort, removeTempDirs, sharedModel, tempDir } from "./models.js";

const RANDOM = sharedModel("llama-2-tiny-random.gguf");

let ollama: Server;
let liveHost = "";
let deadHost = "";

beforeAll(async () => {
  ollama = createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.url === "/api/version") res.end('{"version":"0.12.6"}');
    else res.writeHead(404).end('{"error":"not found"}');
  });
  await new Promise<void>((resolve) => ollama.listen(0, "127.0.0.1", resolve));
  const address = ollama.address();
  liveHost = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  deadHost = `http://127.0.0.1:${await closedPort()}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => ollama.close(() => resolve()));
  await removeTempDirs();
});

function config(env: Record<string, string>): BrunoConfig {
  return loadConfig({ env: { LOG_LEVEL: "silent", ...env } });
}

describe("resolveProvider", () => {
  it("takes ollama and embedded as given, without probing", async () => {
    expect(await resolveProvider(config({ BRUNO_PROVIDER: "ollama", OLLAMA_HOST: deadHost }))).toMatchObject({ provider: "ollama", probed: false });
    expect(await resolveProvider(config({ BRUNO_PROVIDER: "embedded", OLLAMA_HOST: liveHost }))).toMatchObject({ provider: "embedded", probed: false });
  });

  it("auto: Ollama when /api/version answers", async () => {
    expect(await resolveProvider(config({ OLLAMA_HOST: liveHost }))).toMatchObject({ provider: "ollama", probed: true });
  });

  it("auto: the embedded engine when Ollama does not answer", async () => {
    expect(await resolveProvider(config({ OLLAMA_HOST: deadHost, BRUNO_MODEL_CACHE: await tempDir() }))).toMatchObject({ provider: "embedded" });
  });

  it("auto with an Ollama address set on purpose: embedded only when a model file is at hand", async () => {
    const cache = await tempDir();
    const named = config({ OLLAMA_HOST: deadHost, BRUNO_MODEL_CACHE: cache });
    expect(await resolveProvider(named, { ollamaHostExplicit: true })).toMatchObject({ provider: "ollama", probed: false });
    const withFile = config({ OLLAMA_HOST: deadHost, BRUNO_MODEL_CACHE: cache, BRUNO_MODEL_PATH: RANDOM });
    expect(await resolveProvider(withFile, { ollamaHostExplicit: true })).toMatchObject({ provider: "embedded" });
    await copyFile(RANDOM, cachedModelPath(DEFAULT_EMBEDDED_MODEL_URI, cache));
    expect(await resolveProvider(named, { ollamaHostExplicit: true })).toMatchObject({ provider: "embedded" });
  });

  it("OLLAMA_HOST counts as set on purpose only when it is not empty", () => {
    expect(ollamaHostConfigured({ OLLAMA_HOST: "127.0.0.1:11434" })).toBe(true);
    expect(ollamaHostConfigured({ OLLAMA_HOST: " " })).toBe(false);
    expect(ollamaHostConfigured({})).toBe(false);
  });
});

describe("which file plays which model", () => {
  it("BRUNO_MODEL_PATH serves every model", () => {
    const files = createEmbeddedModelFiles({ catalog: DEFAULT_CATALOG, modelPath: RANDOM });
    expect(files.single).toBe(RANDOM);
    for (const model of DEFAULT_CATALOG.models) expect(files.fileFor(model.tag)).toBe(RANDOM);
  });

  it("catalog gguf entries map tags to files; URIs to their place in the cache", () => {
    const catalog = mergeCatalog(DEFAULT_CATALOG, {
      models: [
        { tag: "llama3.2:3b", contextLength: 8192, speedTier: "fast", fallbacks: [], gguf: "~/models/small.gguf" },
        { tag: "llama3.1:8b", contextLength: 8192, speedTier: "standard", fallbacks: ["llama3.2:3b"], gguf: "hf:someone/Some-GGUF/some-q4.gguf" },
      ],
    });
    const files = createEmbeddedModelFiles({ catalog, cacheDir: "/var/cache/models" });
    expect(files.single).toBeUndefined();
    expect(files.fileFor("llama3.2:3b")).toMatch(/\/models\/small\.gguf$/);
    expect(files.fileFor("llama3.2:3b")?.startsWith("~")).toBe(false);
    expect(files.fileFor("llama3.1:8b")).toBe("/var/cache/models/hf_someone_Some-GGUF_some-q4.gguf");
    expect(files.fileFor("sre-agent:v1.0")).toBeUndefined();
  });

  it("with no file configured, every model is the default model in the cache", () => {
    const files = createEmbeddedModelFiles({ catalog: DEFAULT_CATALOG, cacheDir: "/c" });
    expect(files.fileFor("sre-agent:v1.0")).toBe("/c/hf_bartowski_Llama-3.2-1B-Instruct-GGUF_Llama-3.2-1B-Instruct-Q4_K_M.gguf");
  });

  it("a catalog gguf must be a non-empty string", () => {
    expect(() => mergeCatalog(DEFAULT_CATALOG, { models: [{ tag: "x:1", contextLength: 1, speedTier: "fast", fallbacks: [], gguf: "" }] })).toThrow();
  });
});

describe("the model download", () => {
  it("maps hf: URIs to the file that proves the server has them", () => {
    expect(preflightUrl(DEFAULT_EMBEDDED_MODEL_URI)).toBe("https://huggingface.co/bartowski/Llama-3.2-1B-Instruct-GGUF/resolve/main/Llama-3.2-1B-Instruct-Q4_K_M.gguf");
    expect(preflightUrl("hf:a/b/dir/f.gguf#dev", "http://mirror.local")).toBe("http://mirror.local/a/b/resolve/dev/dir/f.gguf");
    expect(preflightUrl("hf:a/b:Q4_K_M")).toBe("https://huggingface.co/a/b");
    expect(preflightUrl("https://example.com/m.gguf")).toBe("https://example.com/m.gguf");
  });

  it("reuses a cached download without touching the network", async () => {
    const cache = await tempDir();
    const target = cachedModelPath(DEFAULT_EMBEDDED_MODEL_URI, cache);
    await copyFile(RANDOM, target);
    const offline = `http://127.0.0.1:${await closedPort()}/`;
    await expect(ensureModelFile(DEFAULT_EMBEDDED_MODEL_URI, { cacheDir: cache, hfEndpoint: offline })).resolves.toBe(target);
  });

  it("a cache folder given as ~/… is the same folder for the download and for the lookup", async () => {
    const home = await tempDir();
    const previous = process.env.HOME;
    process.env.HOME = home;
    try {
      const target = join(home, "models", cachedModelPath(DEFAULT_EMBEDDED_MODEL_URI, "."));
      await mkdir(join(home, "models"), { recursive: true });
      await copyFile(RANDOM, target);
      const offline = `http://127.0.0.1:${await closedPort()}/`;
      await expect(ensureModelFile(DEFAULT_EMBEDDED_MODEL_URI, { cacheDir: "~/models", hfEndpoint: offline })).resolves.toBe(target);
      expect(createEmbeddedModelFiles({ catalog: DEFAULT_CATALOG, cacheDir: "~/models" }).fileFor("sre-agent:v1.0")).toBe(target);
    } finally {
      process.env.HOME = previous;
    }
  });

  it("offline: fails fast with a ModelFileError that says how to use a local file", async () => {
    const cache = await tempDir();
    const offline = `http://127.0.0.1:${await closedPort()}/`;
    const started = performance.now();
    const error = await ensureModelFile(DEFAULT_EMBEDDED_MODEL_URI, { cacheDir: join(cache, "sub"), hfEndpoint: offline }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(isModelFileError(error)).toBe(true);
    expect(error).toMatchObject({ code: "MODEL_FILE_INVALID", problem: "download-failed", path: DEFAULT_EMBEDDED_MODEL_URI });
    expect((error as Error).message).toBe(
      `cannot download the model ${DEFAULT_EMBEDDED_MODEL_URI} (ECONNREFUSED): to run without a download, point BRUNO_MODEL_PATH or --model-file at a local .gguf file (e.g. one pulled by Ollama or LM Studio)`,
    );
  });

  it("a server without the file: not found, no download", async () => {
    const cache = await tempDir();
    const error = await ensureModelFile("hf:nobody/Nothing-GGUF/nothing.gguf", { cacheDir: cache, hfEndpoint: `${liveHost}/` }).catch((e: unknown) => e);
    expect(isModelFileError(error)).toBe(true);
    expect((error as Error).message).toContain(`(not found at ${liveHost}/nobody/Nothing-GGUF/resolve/main/nothing.gguf)`);
  });

  it("a cached file that is not a GGUF is not reused", async () => {
    const cache = await tempDir();
    await mkdir(cache, { recursive: true });
    await writeFile(cachedModelPath(DEFAULT_EMBEDDED_MODEL_URI, cache), "partial");
    const offline = `http://127.0.0.1:${await closedPort()}/`;
    await expect(ensureModelFile(DEFAULT_EMBEDDED_MODEL_URI, { cacheDir: cache, hfEndpoint: offline })).rejects.toMatchObject({ problem: "download-failed" });
  });

  it("prepareEmbeddedModel checks BRUNO_MODEL_PATH and names it when it is missing", async () => {
    await expect(prepareEmbeddedModel(config({ BRUNO_MODEL_PATH: RANDOM }))).resolves.toEqual({ modelPath: realpathSync(RANDOM), label: realpathSync(RANDOM) });
    const missing = join(await tempDir(), "missing.gguf");
    await expect(prepareEmbeddedModel(config({ BRUNO_MODEL_PATH: missing }))).rejects.toMatchObject({ code: "MODEL_FILE_INVALID", problem: "missing", path: missing });
    expect(await embeddedModelAtHand(config({ BRUNO_MODEL_PATH: missing }))).toBe(true);
  });

  it("draws a progress bar: a line per 10% off a terminal, one redrawn line on it", () => {
    const plain: string[] = [];
    const bar = createProgressBar({ write: (t) => void plain.push(t) }, "m.gguf");
    for (let done = 0; done <= 100; done += 5) bar.update(done * 1e6, 100e6);
    bar.finish();
    expect(plain).toHaveLength(11);
    expect(plain[5]).toBe("downloading m.gguf [############............] 50% 50.0/100.0 MB\n");
    const tty: string[] = [];
    const live = createProgressBar({ write: (t) => void tty.push(t), isTTY: true }, "m.gguf");
    live.update(100e6, 100e6);
    live.finish();
    expect(tty).toEqual(["\rdownloading m.gguf [########################] 100% 100.0/100.0 MB", "\n"]);
  });
});

describe("settings and flags of the embedded engine", () => {
  it("reads BRUNO_PROVIDER, BRUNO_MODEL_PATH, BRUNO_THREADS, BRUNO_CONTEXT_SIZE, BRUNO_MODEL_CACHE, HF_ENDPOINT", () => {
    const c = config({ BRUNO_PROVIDER: "Embedded", BRUNO_MODEL_PATH: "/m.gguf", BRUNO_THREADS: "1", BRUNO_CONTEXT_SIZE: "4096", BRUNO_MODEL_CACHE: "/cache", HF_ENDPOINT: "http://mirror.local/" });
    expect(c.embedded).toEqual({ provider: "embedded", modelPath: "/m.gguf", threads: 1, contextSize: 4096, cacheDir: "/cache", hfEndpoint: "http://mirror.local/" });
    expect(config({}).embedded.provider).toBe("auto");
    expect(() => config({ BRUNO_PROVIDER: "llamafile" })).toThrow(/^BRUNO_PROVIDER: expected one of ollama, embedded, auto, got "llamafile"$/);
  });

  it("parses --provider and --model-file", () => {
    const cmd = parseCommand(["ask", "q", "--provider", "EMBEDDED", "--model-file", "./m.gguf"]);
    expect(cmd).toMatchObject({ name: "ask", options: { provider: "embedded", modelFile: "./m.gguf" } });
    expect(() => parseCommand(["chat", "--provider", "gpu"])).toThrow(/--provider must be one of ollama, embedded, auto/);
    expect(() => parseCommand(["ask", "q", "--model-file", " "])).toThrow(/--model-file needs/);
  });
});
