/**
 * The embedded engine's admin (what model selection sees) and its engine: installed models are
 * the catalog models whose GGUF file is usable; the context size comes from the GGUF metadata.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_CATALOG, mergeCatalog } from "../../src/domain/catalog.js";
import { createEmbeddedAdmin } from "../../src/providers/embedded/admin.js";
import { defaultContextSize, EmbeddedEngine } from "../../src/providers/embedded/engine.js";
import { createEmbeddedModelFiles } from "../../src/providers/embedded/files.js";
import { removeTempDirs, sharedModel, tempDir } from "./models.js";

const RANDOM = sharedModel("llama-2-tiny-random.gguf");
const STORIES = sharedModel("stories260K.gguf");
const engine = new EmbeddedEngine({ threads: 1 });

afterAll(async () => {
  await engine.dispose();
  await removeTempDirs();
});

describe("the embedded admin", () => {
  it("lists the catalog models whose file is a usable GGUF, with the context the engine runs them with", async () => {
    const dir = await tempDir();
    const text = join(dir, "readme.gguf");
    await writeFile(text, "not a model");
    const catalog = mergeCatalog(DEFAULT_CATALOG, {
      models: DEFAULT_CATALOG.models.map((m) =>
        m.tag === "sre-agent:v1.0" ? { ...m, gguf: RANDOM } : m.tag === "llama3.2:3b" ? { ...m, gguf: STORIES } : m.tag === "llama3.1:8b" ? { ...m, gguf: text } : m,
      ),
    });
    const admin = createEmbeddedAdmin({ catalog, engine, files: createEmbeddedModelFiles({ catalog, cacheDir: dir }) });
    expect(admin.host).toBe("embedded:the catalog's GGUF files");
    expect((await admin.listModels()).map((m) => m.name).sort()).toEqual(["llama3.2:3b", "sre-agent:v1.0"]);
    expect(await admin.showModel("sre-agent:v1.0")).toEqual({ name: "sre-agent:v1.0", contextLength: 4096, capabilities: ["completion"] });
    expect((await admin.showModel("llama3.2:3b")).contextLength).toBe(2048);
    await expect(admin.showModel("llama3.1:8b")).rejects.toMatchObject({ code: "MODEL_NOT_FOUND" });
    await expect(admin.showModel("codellama:34b")).rejects.toMatchObject({ code: "MODEL_NOT_FOUND" });
    expect(await admin.version()).toBe("node-llama-cpp 3.21.1");
  });

  it("with one file for every model, lists the whole catalog; warm loads the file once", async () => {
    const admin = createEmbeddedAdmin({ catalog: DEFAULT_CATALOG, engine, files: createEmbeddedModelFiles({ catalog: DEFAULT_CATALOG, modelPath: RANDOM }) });
    expect((await admin.listModels()).map((m) => m.name)).toEqual(DEFAULT_CATALOG.models.map((m) => m.tag));
    const first = await admin.warm?.("llama3.1:8b", { keepAlive: "10m", timeoutMs: 60_000 });
    const second = await admin.warm?.("deepseek-coder:33b", { keepAlive: "10m", timeoutMs: 60_000 });
    expect(first?.loadMs).toBeGreaterThan(0);
    expect(second?.loadMs).toBe(0);
  });
});

describe("context sizes", () => {
  it("the trained context clamped to 2,048–8,192, unless BRUNO_CONTEXT_SIZE says otherwise", () => {
    expect(defaultContextSize(512)).toBe(2048);
    expect(defaultContextSize(4096)).toBe(4096);
    expect(defaultContextSize(131_072)).toBe(8192);
    expect(defaultContextSize(131_072, 16_384)).toBe(16_384);
  });
});
