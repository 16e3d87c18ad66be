/**
 * ChatLlamaCpp over real llama.cpp inference on the tiny GGUF files of ../shared/models/:
 * streaming, token limits, stop sequences, seeds, abort, usage counts, bad files, the pool.
 */
import { AIMessage, HumanMessage, SystemMessage, type AIMessageChunk } from "@langchain/core/messages";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isModelFileError, ModelFileError } from "../../src/domain/errors.js";
import { ChatLlamaCpp, toChatHistory, type ChatLlamaCppFields } from "../../src/providers/embedded/chatLlamaCpp.js";
import { EmbeddedEngine } from "../../src/providers/embedded/engine.js";
import { removeTempDirs, sharedModel, tempDir } from "./models.js";

const STORIES = sharedModel("stories260K.gguf");
const RANDOM = sharedModel("llama-2-tiny-random.gguf");
const MESSAGES = [new SystemMessage("You are a storyteller."), new HumanMessage("Tell me a story about Lily and her dog.")];

const engine = new EmbeddedEngine({ threads: 1, contextSize: 2048 });

afterAll(async () => {
  await engine.dispose();
  await removeTempDirs();
});

function model(fields: Partial<ChatLlamaCppFields> = {}): ChatLlamaCpp {
  return new ChatLlamaCpp({ engine, modelFile: STORIES, model: "stories", temperature: 0, maxTokens: 32, ...fields });
}

interface Streamed {
  chunks: string[];
  callbackTokens: string[];
  final: AIMessageChunk | undefined;
}

async function streamed(chat: ChatLlamaCpp, options: { stop?: string[]; signal?: AbortSignal; onChunk?: (n: number) => void } = {}): Promise<Streamed> {
  const callbackTokens: string[] = [];
  const chunks: string[] = [];
  let final: AIMessageChunk | undefined;
  const stream = await chat.stream(MESSAGES, {
    ...(options.stop ? { stop: options.stop } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    callbacks: [{ handleLLMNewToken: (token: string) => void callbackTokens.push(token) }],
  });
  for await (const chunk of stream) {
    if (typeof chunk.content === "string" && chunk.content !== "") {
      chunks.push(chunk.content);
      options.onChunk?.(chunks.length);
    }
    final = final ? final.concat(chunk) : chunk;
  }
  return { chunks, callbackTokens, final };
}

describe("ChatLlamaCpp: real tokens from llama.cpp", () => {
  it("streams the answer token by token, through the callbacks too, then real usage counts", async () => {
    const { chunks, callbackTokens, final } = await streamed(model({ maxTokens: 24 }));
    expect(chunks.length).toBeGreaterThan(10);
    expect(callbackTokens).toEqual(chunks);
    const usage = final?.usage_metadata;
    expect(usage?.output_tokens).toBe(24);
    expect(chunks.length).toBeLessThanOrEqual(24);
    expect(usage?.input_tokens).toBeGreaterThan(10);
    expect(usage?.total_tokens).toBe((usage?.input_tokens ?? 0) + 24);
    expect(final?.response_metadata).toMatchObject({ model: "stories", model_provider: "llama.cpp", done_reason: "maxTokens", eval_count: 24 });
    expect(final?.response_metadata.eval_duration).toBeGreaterThan(0);
  });

  it("maxTokens bounds the output", async () => {
    for (const maxTokens of [1, 5]) {
      const { final } = await streamed(model({ maxTokens }));
      expect(final?.usage_metadata?.output_tokens).toBe(maxTokens);
      expect(final?.response_metadata.done_reason).toBe("maxTokens");
    }
    const perCall = await model({ maxTokens: 50 }).invoke(MESSAGES, { maxTokens: 3 });
    expect(perCall.usage_metadata?.output_tokens).toBe(3);
  });

  it("a stop sequence ends the answer before it, and is not part of it", async () => {
    const full = (await streamed(model({ maxTokens: 64 }))).chunks.join("");
    const words = full.split(/\s+/).filter((w) => /^[a-z]{3,}$/.test(w));
    const stopWord = words[3] ?? words[0];
    expect(stopWord, `no usable word in ${JSON.stringify(full)}`).toBeDefined();
    const at = full.indexOf(` ${stopWord as string}`);
    const stopped = await streamed(model({ maxTokens: 64 }), { stop: [` ${stopWord as string}`] });
    expect(stopped.chunks.join("")).toBe(full.slice(0, at));
    expect(stopped.final?.response_metadata.done_reason).toBe("customStopTrigger");
  });

  it("the same seed and temperature 0 give the same output twice, also on a fresh engine", async () => {
    const first = (await streamed(model({ seed: 7 }))).chunks.join("");
    const second = (await streamed(model({ seed: 7 }))).chunks.join("");
    const other = new EmbeddedEngine({ threads: 1, contextSize: 2048 });
    try {
      const third = (await streamed(model({ seed: 7, engine: other }))).chunks.join("");
      expect(second).toBe(first);
      expect(third).toBe(first);
    } finally {
      await other.dispose();
    }
    const sampledA = (await streamed(model({ temperature: 0.9, seed: 42 }))).chunks.join("");
    const sampledB = (await streamed(model({ temperature: 0.9, seed: 42 }))).chunks.join("");
    expect(sampledB).toBe(sampledA);
  });

  it("abort stops generation promptly and frees the sequence", async () => {
    const controller = new AbortController();
    let abortedAt = 0;
    let chunksAtAbort = 0;
    let total = 0;
    const started = performance.now();
    const run = streamed(model({ maxTokens: 100_000, modelFile: RANDOM }), {
      signal: controller.signal,
      onChunk: (n) => {
        total = n;
        if (n === 5) {
          abortedAt = performance.now();
          chunksAtAbort = n;
          controller.abort(new Error("user pressed Ctrl-C"));
        }
      },
    });
    await expect(run).rejects.toThrow("user pressed Ctrl-C");
    const stoppedAfterMs = performance.now() - abortedAt;
    expect(abortedAt).toBeGreaterThan(started);
    expect(stoppedAfterMs).toBeLessThan(500);
    expect(total - chunksAtAbort).toBeLessThanOrEqual(2);
    const after = await streamed(model({ maxTokens: 4, modelFile: RANDOM }));
    expect(after.final?.usage_metadata?.output_tokens).toBe(4);
  });

  it("an already aborted signal rejects before any token", async () => {
    const signal = AbortSignal.abort(new Error("too late"));
    await expect(streamed(model(), { signal })).rejects.toThrow("too late");
  });

  it("loads a model once and serves concurrent requests from its pool (2 sequences, then a queue)", async () => {
    const pool = new EmbeddedEngine({ threads: 1, contextSize: 2048, sequences: 2 });
    try {
      const chat = model({ engine: pool, maxTokens: 16 });
      const results = await Promise.all([1, 2, 3, 4, 5].map(() => chat.invoke(MESSAGES)));
      const texts = new Set(results.map((r) => r.content));
      expect(texts.size).toBe(1);
      const loads = results.map((r) => Number(r.response_metadata.load_duration));
      expect(loads.filter((ns) => ns > 0)).toHaveLength(1);
      expect(results.every((r) => r.usage_metadata?.output_tokens === 16)).toBe(true);
    } finally {
      await pool.dispose();
    }
  });
});

describe("ChatLlamaCpp: model files that cannot run", () => {
  it("a file that does not exist: a ModelFileError naming the path", async () => {
    const missing = join(await tempDir(), "nope.gguf");
    const error = await model({ modelFile: missing })
      .invoke(MESSAGES)
      .catch((e: unknown) => e);
    expect(isModelFileError(error)).toBe(true);
    expect(error).toBeInstanceOf(ModelFileError);
    expect(error).toMatchObject({ code: "MODEL_FILE_INVALID", problem: "missing", path: missing });
    expect((error as Error).message).toContain(missing);
    expect((error as Error).message).toMatch(/BRUNO_MODEL_PATH or --model-file/);
  });

  it("a file that is not a GGUF model: a ModelFileError naming the path", async () => {
    const notGguf = join(await tempDir(), "notes.gguf");
    await writeFile(notGguf, "# these are runbook notes, not a model\n");
    const error = await model({ modelFile: notGguf })
      .invoke(MESSAGES)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ModelFileError", code: "MODEL_FILE_INVALID", problem: "not-gguf", path: notGguf });
    expect((error as Error).message).toContain(notGguf);
    expect((error as Error).message).toContain("is not a GGUF model file");
  });
});

describe("toChatHistory: LangChain messages as the model's chat turns", () => {
  it("maps roles and ends with the turn to generate", () => {
    expect(toChatHistory([new SystemMessage("s"), new HumanMessage("q1"), new AIMessage("a1"), new HumanMessage("q2")])).toEqual([
      { type: "system", text: "s" },
      { type: "user", text: "q1" },
      { type: "model", response: ["a1"] },
      { type: "user", text: "q2" },
      { type: "model", response: [] },
    ]);
    expect(toChatHistory([new HumanMessage("q"), new AIMessage("partial")]).at(-1)).toEqual({ type: "model", response: ["partial"] });
  });
});
