/**
 * The generation graph on the embedded engine (provider "embedded"), with real llama.cpp
 * inference: tokens stream out of node generate one by one, usage comes from llama.cpp's counts,
 * and catalog `gguf` entries route and fall back across model files.
 */
import type { BaseMessage } from "@langchain/core/messages";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig, type BrunoConfig } from "../../src/config/config.js";
import { createGenerationGraph } from "../../src/app/createGraph.js";
import { DEFAULT_CATALOG, mergeCatalog, type ModelCatalog } from "../../src/domain/catalog.js";
import { disposeEmbeddedEngines } from "../../src/providers/embedded/engine.js";
import { removeTempDirs, sharedModel, tempDir } from "./models.js";

const RANDOM = sharedModel("llama-2-tiny-random.gguf");
const QUERY = "loki ingester pods keep crashing";
const DOCUMENTS = [
  { title: "Loki OOM", source: "runbooks/loki-oom.md", content: "Loki ingesters are OOMKilled when the chunk cache exceeds the memory limit." },
  { title: "Loki tuning", source: "runbooks/loki-tuning.md", content: "Raise ingester memory limits in the Helm values, or lower chunk_target_size." },
];

afterAll(async () => {
  await disposeEmbeddedEngines();
  await removeTempDirs();
});

function embeddedConfig(env: Record<string, string>, catalog?: ModelCatalog): BrunoConfig {
  return loadConfig({ env: { LOG_LEVEL: "silent", BRUNO_PROVIDER: "embedded", BRUNO_THREADS: "1", ...env }, ...(catalog ? { catalog } : {}) });
}

describe("the graph on the embedded engine", () => {
  it("streams generated tokens one by one from node generate, then returns the answer with llama.cpp's counts", async () => {
    const graph = createGenerationGraph({ config: embeddedConfig({ BRUNO_MODEL_PATH: RANDOM }) });
    const events: { content: string; node: unknown }[] = [];
    let final: { answer?: string; model?: string; usage?: { inputTokens: number; outputTokens: number } } = {};
    const stream = await graph.stream({ query: QUERY, documents: DOCUMENTS }, { streamMode: ["messages", "values"] });
    for await (const [mode, payload] of stream as AsyncIterable<["messages", [BaseMessage, Record<string, unknown>]] | ["values", typeof final]>) {
      if (mode === "values") final = payload;
      else if (typeof payload[0].content === "string" && payload[0].content !== "") events.push({ content: payload[0].content, node: payload[1].langgraph_node });
    }
    expect(new Set(events.map((e) => e.node))).toEqual(new Set(["generate"]));
    const outputTokens = final.usage?.outputTokens ?? 0;
    expect(outputTokens).toBeGreaterThan(50);
    expect(events.length).toBeGreaterThan(outputTokens / 2);
    expect(events.length).toBeLessThanOrEqual(outputTokens);
    expect(Math.max(...events.map((e) => e.content.length))).toBeLessThan(40);
    expect(final.usage?.inputTokens).toBeGreaterThan(100);
    expect(final.model).toBe("sre-agent:v1.0");
    expect((final.answer ?? "").length).toBeGreaterThan(0);
  });

  it("aborting the run stops llama.cpp within moments: CANCELLED, no more tokens", async () => {
    const graph = createGenerationGraph({ config: embeddedConfig({ BRUNO_MODEL_PATH: RANDOM }) });
    const controller = new AbortController();
    let tokens = 0;
    let tokensAtAbort = 0;
    let abortedAt = 0;
    const run = (async () => {
      const stream = await graph.stream({ query: QUERY, documents: DOCUMENTS }, { streamMode: "messages", signal: controller.signal });
      for await (const [chunk] of stream as AsyncIterable<[BaseMessage, Record<string, unknown>]>) {
        if (typeof chunk.content !== "string" || chunk.content === "") continue;
        tokens += 1;
        if (tokens === 20) {
          tokensAtAbort = tokens;
          abortedAt = performance.now();
          controller.abort(new Error("Ctrl-C"));
        }
      }
    })();
    await expect(run).rejects.toMatchObject({ code: "CANCELLED" });
    expect(performance.now() - abortedAt).toBeLessThan(1_000);
    expect(tokens - tokensAtAbort).toBeLessThanOrEqual(2);
  });

  it("with catalog gguf entries, skips models whose file is missing and falls back past a file llama.cpp cannot load", async () => {
    const dir = await tempDir();
    const broken = join(dir, "broken.gguf");
    await writeFile(broken, Buffer.concat([Buffer.from("GGUF"), Buffer.alloc(64, 0xff)]));
    const catalog = mergeCatalog(DEFAULT_CATALOG, {
      models: DEFAULT_CATALOG.models.map((m) => {
        if (m.tag === "sre-agent:v1.0") return { ...m, gguf: broken };
        if (m.tag === "llama3.1:8b") return { ...m, gguf: join(dir, "not-downloaded.gguf") };
        if (m.tag === "llama3.2:3b") return { ...m, gguf: RANDOM };
        return m;
      }),
    });
    const graph = createGenerationGraph({ config: embeddedConfig({}, catalog) });
    const result = await graph.invoke({ query: QUERY, documents: DOCUMENTS });
    expect(result.model).toBe("llama3.2:3b");
    expect(result.modelsTried).toEqual([
      expect.objectContaining({ model: "sre-agent:v1.0", outcome: "failed", code: "MODEL_FILE_INVALID" }),
      expect.objectContaining({ model: "llama3.2:3b", outcome: "answered" }),
    ]);
    expect(result.usage.outputTokens).toBeGreaterThan(0);
  });
});
