import { ChatOllama } from "@langchain/ollama";
import type { AIMessageChunk } from "@langchain/core/messages";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeOllama, SERVER_BUSY_ERROR, defaultReply, modelNotFoundError, splitTokens, type FakeOllamaOptions } from "../../src/testing/index.js";

const MODEL = "llama3.1:8b";
const servers: FakeOllama[] = [];

async function start(options?: FakeOllamaOptions): Promise<FakeOllama> {
  const server = await FakeOllama.start(options);
  servers.push(server);
  return server;
}

function chat(server: FakeOllama, fields: Partial<ConstructorParameters<typeof ChatOllama>[0]> = {}): ChatOllama {
  return new ChatOllama({ model: MODEL, baseUrl: server.url, ...fields });
}

async function until(condition: () => boolean, timeoutMs = 1000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function postChat(server: FakeOllama, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(`${server.url}/api/chat`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init,
  });
}

function ndjson(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  vi.restoreAllMocks();
});

describe("FakeOllama /api/chat with ChatOllama", () => {
  it("streams scripted tokens as separate chunks that join to the content", async () => {
    const server = await start();
    const tokens = ["Check", " the", " pod", " events", " first."];
    server.script({ content: tokens.join(""), tokens });

    const contents: string[] = [];
    for await (const chunk of await chat(server).stream("Why is the pod pending?")) {
      if (typeof chunk.content === "string" && chunk.content !== "") contents.push(chunk.content);
    }

    expect(contents).toEqual(tokens);
    expect(contents.join("")).toBe("Check the pod events first.");
  });

  it("splits content into words keeping whitespace by default, in Ollama's NDJSON chunk shape", async () => {
    const server = await start();
    server.script({ content: "Disk is  full.\nRotate logs." });

    const res = await postChat(server, { model: MODEL, messages: [{ role: "user", content: "disk?" }] });
    const lines = ndjson(await res.text());

    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    expect(splitTokens("Disk is  full.\nRotate logs.")).toEqual(["Disk ", "is  ", "full.\n", "Rotate ", "logs."]);
    expect(lines.slice(0, -1)).toEqual(
      ["Disk ", "is  ", "full.\n", "Rotate ", "logs."].map((content) => ({
        model: MODEL,
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/),
        message: { role: "assistant", content },
        done: false,
      })),
    );
    expect(lines.at(-1)).toEqual({
      model: MODEL,
      created_at: expect.any(String),
      message: { role: "assistant", content: "" },
      done_reason: "stop",
      done: true,
      total_duration: expect.any(Number),
      load_duration: 0,
      prompt_eval_count: 2,
      prompt_eval_duration: expect.any(Number),
      eval_count: 5,
      eval_duration: expect.any(Number),
    });
  });

  it("reports the scripted token counts as usage_metadata (summed over chunks by ChatOllama)", async () => {
    const server = await start();
    server.script({ content: "one two", promptEvalCount: 321, evalCount: 17 }, { content: "three four", promptEvalCount: 9, evalCount: 2 });

    const invoked = await chat(server).invoke("count me");
    let last: AIMessageChunk | undefined;
    for await (const chunk of await chat(server).stream("count me")) last = chunk;

    expect(invoked.usage_metadata).toEqual({
      input_tokens: 321,
      output_tokens: 17,
      total_tokens: 338,
      input_token_details: {},
      output_token_details: {},
    });
    expect(last?.usage_metadata).toEqual({ input_tokens: 9, output_tokens: 2, total_tokens: 11 });
  });

  it("defaults prompt_eval_count to ceil(message characters / 4) and eval_count to the emitted chunks", async () => {
    const server = await start();
    server.script({ content: "a b c" });

    const result = await chat(server).invoke([
      ["system", "You are Bruno."],
      ["human", "Why is disk full?"],
    ]);

    expect(result.usage_metadata).toMatchObject({ input_tokens: Math.ceil((14 + 17) / 4), output_tokens: 3 });
  });

  it("exposes the final chunk's durations in response_metadata", async () => {
    const server = await start();
    server.script({ content: "w x y z", promptEvalCount: 100, evalCount: 4, loadDurationMs: 250 });

    const result = await chat(server).invoke("q");
    const meta = result.response_metadata;

    expect(meta).toEqual({
      model_provider: "ollama",
      model: MODEL,
      created_at: expect.any(String),
      done_reason: "stop",
      done: true,
      total_duration: 371_500_000,
      load_duration: 250_000_000,
      prompt_eval_count: 100,
      prompt_eval_duration: 40_000_000,
      eval_count: 4,
      eval_duration: 80_000_000,
    });
    const { total_duration, load_duration, prompt_eval_duration, eval_duration } = meta as Record<string, number>;
    expect(total_duration).toBeGreaterThanOrEqual(Number(load_duration) + Number(prompt_eval_duration) + Number(eval_duration));
  });

  it("passes per-call stop sequences in options.stop and cuts the output before them", async () => {
    const server = await start();
    server.script({ content: "Restart the pod. ### internal notes follow" }, { content: "foo<|eot|>bar baz" });

    const first = await chat(server).invoke("q", { stop: ["###"] });
    const second = await chat(server).invoke("q", { stop: ["<|eot|>", "zzz"] });

    expect(server.chatRequests().map((r) => r.options?.stop)).toEqual([["###"], ["<|eot|>", "zzz"]]);
    expect(first.content).toBe("Restart the pod. ");
    expect(first.response_metadata).toMatchObject({ done_reason: "stop", eval_count: 3 });
    expect(second.content).toBe("foo");
  });

  it("caps output at options.num_predict with done_reason length", async () => {
    const server = await start();
    server.script({ content: "one two three four five six" });

    const result = await chat(server, { numPredict: 3 }).invoke("q");

    expect(server.chatRequests()[0]?.options?.num_predict).toBe(3);
    expect(result.content).toBe("one two three ");
    expect(result.response_metadata).toMatchObject({ done_reason: "length", eval_count: 3 });
  });

  it("emits thinking chunks before content", async () => {
    const server = await start();
    server.script({ content: "Final answer.", thinking: "Let me think." });

    const res = await postChat(server, { model: MODEL, messages: [{ role: "user", content: "q" }], think: true });
    const messages = ndjson(await res.text()).map((l) => l.message);
    server.script({ content: "Final answer.", thinking: "Let me think." });
    const result = await chat(server, { think: true }).invoke("q");

    expect(messages).toEqual([
      { role: "assistant", content: "", thinking: "Let " },
      { role: "assistant", content: "", thinking: "me " },
      { role: "assistant", content: "", thinking: "think." },
      { role: "assistant", content: "Final " },
      { role: "assistant", content: "answer." },
      { role: "assistant", content: "" },
    ]);
    expect(result.content).toBe("Final answer.");
    expect(result.additional_kwargs).toEqual({ reasoning_content: "Let me think." });
  });

  it("answers stream:false with one JSON object carrying the full message and metrics", async () => {
    const server = await start();
    server.script({ content: "All good.", promptEvalCount: 5 });

    const res = await postChat(server, { model: MODEL, messages: [{ role: "user", content: "status?" }], stream: false });

    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await res.json()).toEqual({
      model: MODEL,
      created_at: expect.any(String),
      message: { role: "assistant", content: "All good." },
      done_reason: "stop",
      done: true,
      total_duration: 1_500_000 + 2_000_000 + 40_000_000,
      load_duration: 0,
      prompt_eval_count: 5,
      prompt_eval_duration: 2_000_000,
      eval_count: 2,
      eval_duration: 40_000_000,
    });
  });

  it("uses the model-specific queue before the generic one, and scripted steps bypass the model check", async () => {
    const server = await start();
    server.script({ content: "generic" }, { content: "for a model that is not installed" });
    server.scriptFor("llama3.2:3b", { content: "specific" });

    const a = await chat(server).invoke("q");
    const b = await chat(server, { model: "llama3.2:3b" }).invoke("q");
    const c = await chat(server, { model: "not-installed:1b" }).invoke("q");

    expect([a.content, b.content, c.content]).toEqual(["generic", "specific", "for a model that is not installed"]);
  });

  it("calls onChat for each request; a throwing hook becomes a 500", async () => {
    const server = await start();
    const seen: string[] = [];
    server.onChat = (req) => {
      seen.push(req.model);
      if (seen.length === 2) throw new Error("hook failed");
    };

    await chat(server).invoke("q");
    const second = chat(server).invoke("q");

    await expect(second).rejects.toMatchObject({ name: "ResponseError", status_code: 500, error: "hook failed" });
    expect(seen).toEqual([MODEL, MODEL]);
  });
});

describe("FakeOllama default reply", () => {
  it("cites the first two numbered documents from the system prompt", async () => {
    const server = await start();
    const system = [
      "Answer using only these documents.",
      "[1] Disk pressure evicts pods when the node's free space drops below 10%. Clean up images.",
      "[2] The kubelet garbage-collects unused images every 5 minutes.",
      "[3] Unrelated text.",
    ].join("\n");

    const result = await chat(server).invoke([
      ["system", system],
      ["human", "Why were my pods evicted?"],
    ]);

    expect(result.content).toBe(
      "(fake-ollama) Based on the retrieved context: Disk pressure evicts pods when the node's free space drops below 10% [1]. The kubelet garbage-collects unused images every 5 minutes [2].",
    );
  });

  it("understands <document index=N> blocks in the user message and falls back to a generic answer", () => {
    const withDocs = defaultReply({
      model: MODEL,
      messages: [
        {
          role: "user",
          content: '<document index="4"><source>runbook.md</source><document_content>Scale the deployment to zero first.</document_content></document>\nQ?',
        },
      ],
    });
    const without = defaultReply({ model: MODEL, messages: [{ role: "user", content: "What is SLO burn?" }] });

    expect(withDocs.content).toBe("(fake-ollama) Based on the retrieved context: runbook.md Scale the deployment to zero first [4].");
    expect(without.content).toBe(
      `(fake-ollama) This is a canned answer from the fake Ollama server for model ${MODEL}. You asked: "What is SLO burn?". No numbered context documents were provided, so nothing is cited.`,
    );
  });
});

describe("FakeOllama errors and faults as ChatOllama sees them", () => {
  it("rejects an unknown model with ResponseError 404 and Ollama's message", async () => {
    const server = await start();

    const call = chat(server, { model: "nope:1b" }).invoke("q");

    await expect(call).rejects.toMatchObject({
      name: "ResponseError",
      status_code: 404,
      error: "model 'nope:1b' not found",
      message: modelNotFoundError("nope:1b"),
    });
  });

  it("surfaces scripted 500 and 503 steps as ResponseError with the status", async () => {
    const server = await start();
    server.script({ kind: "status", status: 500, error: "the model failed to generate a response" }, { kind: "status", status: 503, error: SERVER_BUSY_ERROR });

    await expect(chat(server).invoke("q")).rejects.toMatchObject({ name: "ResponseError", status_code: 500, message: "the model failed to generate a response" });
    await expect(chat(server).invoke("q")).rejects.toMatchObject({ name: "ResponseError", status_code: 503, message: SERVER_BUSY_ERROR });
  });

  it("refuse: rejects with undici's 'fetch failed' (cause UND_ERR_SOCKET)", async () => {
    const server = await start();
    server.script({ kind: "refuse" });

    const error: unknown = await chat(server)
      .invoke("q")
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ message: "fetch failed", cause: { code: "UND_ERR_SOCKET" } });
  });

  it("dropMidStream: yields the first chunks, then rejects with 'terminated'", async () => {
    const server = await start();
    server.script({ kind: "dropMidStream", afterTokens: 2 });
    const seen: string[] = [];

    const error = await (async () => {
      for await (const chunk of await chat(server).stream("q")) seen.push(String(chunk.content));
    })().catch((e: unknown) => e);

    expect(seen).toEqual(["(fake-ollama) ", "This "]);
    expect(error).toMatchObject({ name: "TypeError", message: "terminated", cause: { code: "UND_ERR_SOCKET" } });
    await until(() => server.inFlight === 0);
    expect(server.clientDisconnects).toBe(0);
  });

  it("malformed: ollama-js warns, skips the line, then rejects for the missing done chunk", async () => {
    const server = await start();
    server.script({ kind: "malformed", afterTokens: 1 });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);

    await expect(chat(server).invoke("q")).rejects.toThrow("Did not receive done or success response in stream.");
    expect(warn).toHaveBeenCalledWith("invalid json: ", expect.stringMatching(/^\{"model":"llama3\.1:8b",.*"content":$/));
  });

  it("streamError: Ollama's mid-stream {error} line becomes a plain Error, not a ResponseError", async () => {
    const server = await start();
    server.script({ kind: "streamError", afterTokens: 1, error: "an error was encountered while running the model" });

    const error: unknown = await chat(server)
      .invoke("q")
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: "Error", message: "an error was encountered while running the model" });
    expect(error).not.toHaveProperty("status_code");
  });

  it("answers malformed, empty and non-object JSON bodies with 400", async () => {
    const server = await start();

    const bad = await postChat(server, "{not json");
    const empty = await postChat(server, "");
    const array = await postChat(server, "[]");
    const noModel = await postChat(server, { messages: [] });

    expect([bad.status, empty.status, array.status, noModel.status]).toEqual([400, 400, 400, 400]);
    expect(await bad.json()).toEqual({ error: expect.stringContaining("invalid character") });
    expect(await empty.json()).toEqual({ error: "missing request body" });
    expect(await array.json()).toEqual({ error: "json: cannot unmarshal array into Go value of type api.ChatRequest" });
    expect(await noModel.json()).toEqual({ error: "model is required" });
    expect(server.chatRequests()).toEqual([{ messages: [] }]);
  });

  it("answers a chat with no messages like a model load", async () => {
    const server = await start();

    const res = await postChat(server, { model: MODEL, messages: [] });

    expect(await res.json()).toEqual({
      model: MODEL,
      created_at: expect.any(String),
      message: { role: "assistant", content: "" },
      done_reason: "load",
      done: true,
    });
  });

  it("turns a throwing defaultReply into a 500 instead of crashing", async () => {
    const server = await start({
      defaultReply: () => {
        throw new Error("no reply configured");
      },
    });

    await expect(chat(server).invoke("q")).rejects.toMatchObject({ name: "ResponseError", status_code: 500, message: "no reply configured" });
    await until(() => server.inFlight === 0);
  });

  it("rejects ScriptedReply tokens that do not join to the content", async () => {
    const server = await start();

    expect(() => server.script({ content: "abc", tokens: ["a", "b"] })).toThrow(TypeError);
  });
});

describe("FakeOllama aborts, disconnects and concurrency", () => {
  it("plain ChatOllama: aborting invoke on a stalled stream never settles and never reaches the server", async () => {
    const server = await start();
    server.script({ kind: "stall", afterTokens: 2 });
    const controller = new AbortController();
    let settled = false;

    const call = chat(server)
      .invoke("q", { signal: controller.signal })
      .finally(() => {
        settled = true;
      });
    await server.waitForRequests(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(settled).toBe(false);
    expect(server.clientDisconnects).toBe(0);
    expect(server.inFlight).toBe(1);
    await server.close();
    await expect(call).rejects.toMatchObject({ message: "terminated" });
  });

  it("ChatOllama with a fetch that forwards the call's signal: aborting a stalled invoke disconnects", async () => {
    const server = await start();
    server.script({ kind: "stall", afterTokens: 2 });
    const controller = new AbortController();
    const model = chat(server, {
      fetch: (input, init) => fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, controller.signal]) : controller.signal }),
    });

    const call = model.invoke("q", { signal: controller.signal });
    await server.waitForRequests(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();

    await expect(call).rejects.toMatchObject({ name: "AbortError" });
    await until(() => server.clientDisconnects === 1);
    expect(server.inFlight).toBe(0);
  });

  it("plain ChatOllama: stream() rejects on abort but leaves the stalled connection open", async () => {
    const server = await start();
    server.script({ kind: "stall", afterTokens: 1 });
    const controller = new AbortController();

    const consume = (async () => {
      for await (const chunk of await chat(server).stream("q", { signal: controller.signal })) {
        if (chunk.content !== "") setTimeout(() => controller.abort(), 5);
      }
    })();

    await expect(consume).rejects.toMatchObject({ name: "AbortError" });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(server.clientDisconnects).toBe(0);
    expect(server.inFlight).toBe(1);
  });

  it("plain ChatOllama: aborting a slow stream resolves invoke with the truncated text and disconnects at the next chunk", async () => {
    const server = await start({ timing: { tokenDelayMs: 10 } });
    const full = Array.from({ length: 40 }, (_, i) => `word${i}`).join(" ");
    server.script({ content: full });
    const controller = new AbortController();
    let tokens = 0;
    const abortAfterTwoTokens = {
      handleLLMNewToken: (): void => {
        tokens += 1;
        if (tokens === 2) controller.abort();
      },
    };

    const result = await chat(server).invoke("q", { signal: controller.signal, callbacks: [abortAfterTwoTokens] });

    expect(String(result.content)).toMatch(/^word0 word1 /);
    expect(full.startsWith(String(result.content))).toBe(true);
    expect(String(result.content).length).toBeLessThan(full.length);
    expect(result.response_metadata).toEqual({ model_provider: "ollama" });
    expect(result.usage_metadata).toBeUndefined();
    await until(() => server.clientDisconnects === 1);
  });

  it("plain ChatOllama: aborting one call aborts every concurrent stream of the same instance", async () => {
    const server = await start({ timing: { tokenDelayMs: 10 } });
    server.script({ kind: "stall", afterTokens: 1 }, { content: Array.from({ length: 40 }, (_, i) => `w${i}`).join(" ") });
    const model = chat(server);
    const bystander = (await model.stream("q1"))[Symbol.asyncIterator]();
    await bystander.next();
    const controller = new AbortController();
    let tokens = 0;
    const abortAfterFirstToken = {
      handleLLMNewToken: (): void => {
        tokens += 1;
        if (tokens === 1) controller.abort();
      },
    };

    const aborted = await model.invoke("q2", { signal: controller.signal, callbacks: [abortAfterFirstToken] });

    await expect(bystander.next()).rejects.toMatchObject({ name: "AbortError" });
    expect(String(aborted.content)).toMatch(/^w0 /);
    await until(() => server.clientDisconnects === 2);
  });

  it("noHeaders: a client abort is counted as a client disconnect", async () => {
    const server = await start();
    server.script({ kind: "noHeaders" });
    const controller = new AbortController();

    const call = postChat(server, { model: MODEL, messages: [{ role: "user", content: "q" }] }, { signal: controller.signal });
    await server.waitForRequests(1);
    expect(server.inFlight).toBe(1);
    controller.abort();

    await expect(call).rejects.toMatchObject({ name: "AbortError" });
    await until(() => server.clientDisconnects === 1);
    expect(server.inFlight).toBe(0);
  });

  it("tracks inFlight and maxInFlight exactly while requests are held open", async () => {
    const server = await start();
    server.script({ kind: "noHeaders" }, { kind: "noHeaders" }, { kind: "noHeaders" });
    const controllers = [new AbortController(), new AbortController(), new AbortController()];
    const calls = controllers.map((c) => postChat(server, { model: MODEL, messages: [{ role: "user", content: "q" }] }, { signal: c.signal }).catch((e: unknown) => e));

    await server.waitForRequests(3);
    const held = [server.inFlight, server.maxInFlight];
    controllers[0]?.abort();
    await until(() => server.inFlight === 2);
    server.resetStats();
    const afterReset = [server.maxInFlight, server.clientDisconnects];
    controllers.slice(1).forEach((c) => c.abort());
    await Promise.all(calls);
    await until(() => server.inFlight === 0);

    expect(held).toEqual([3, 3]);
    expect(afterReset).toEqual([2, 0]);
    expect(server.maxInFlight).toBe(2);
    expect(server.clientDisconnects).toBe(2);
  });

  it("counts concurrent ChatOllama calls in maxInFlight and resets it", async () => {
    const server = await start({ timing: { firstTokenDelayMs: 50 } });
    const model = chat(server);

    await Promise.all([model.invoke("a"), model.invoke("b"), model.invoke("c")]);
    await until(() => server.inFlight === 0);
    const peak = server.maxInFlight;
    server.resetStats();
    await model.invoke("d");

    expect(peak).toBe(3);
    expect(server.maxInFlight).toBe(1);
    expect(server.clientDisconnects).toBe(0);
  });

  it("delays the first chunk by firstTokenDelayMs", async () => {
    const server = await start();
    server.setTiming({ firstTokenDelayMs: 40 });
    const started = Date.now();

    const stream = await chat(server).stream("q");
    const first = await stream[Symbol.asyncIterator]().next();

    expect(first.done).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
  });

  it("close() destroys stalled and unanswered sockets promptly without counting client disconnects", async () => {
    const server = await start();
    server.script({ kind: "stall", afterTokens: 1 }, { kind: "noHeaders" });
    const settle = (p: Promise<unknown>): Promise<unknown> =>
      p.then(
        () => "resolved",
        (e: unknown) => e,
      );
    const stalled = settle(postChat(server, { model: MODEL, messages: [{ role: "user", content: "q" }] }).then((r) => r.text()));
    const silent = settle(postChat(server, { model: MODEL, messages: [{ role: "user", content: "q" }] }));
    await server.waitForRequests(2);
    const started = Date.now();

    await server.close();

    expect(Date.now() - started).toBeLessThan(500);
    expect(await stalled).toMatchObject({ name: "TypeError", message: "terminated" });
    expect(await silent).toMatchObject({ name: "TypeError", message: "fetch failed" });
    expect(server.clientDisconnects).toBe(0);
    expect(server.inFlight).toBe(0);
  });

  it("waitForRequests rejects when the requests do not arrive in time", async () => {
    const server = await start();

    await expect(server.waitForRequests(1, 20)).rejects.toThrow("expected 1 /api/chat request(s) within 20 ms, got 0");
  });
});

describe("FakeOllama model endpoints", () => {
  it("lists models on /api/tags in Ollama's shape", async () => {
    const server = await start({ models: [{ name: "llama3.1:8b" }, { name: "qwen2.5:7b", family: "qwen2", parameterSize: "7.6B" }] });

    const res = await fetch(`${server.url}/api/tags`);
    const body = (await res.json()) as { models: unknown[] };

    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(body.models).toEqual([
      {
        name: "llama3.1:8b",
        model: "llama3.1:8b",
        modified_at: expect.any(String),
        size: 4_800_000_000,
        digest: expect.stringMatching(/^[0-9a-f]{64}$/),
        details: { parent_model: "", format: "gguf", family: "llama", families: ["llama"], parameter_size: "8.0B", quantization_level: "Q4_K_M" },
      },
      expect.objectContaining({
        name: "qwen2.5:7b",
        details: expect.objectContaining({ family: "qwen2", families: ["qwen2"], parameter_size: "7.6B" }),
      }),
    ]);
  });

  it("describes a model on /api/show (model or legacy name key) and 404s unknown ones", async () => {
    const server = await start({
      models: [
        { name: "llama3.1:8b", contextLength: 32768, capabilities: ["completion", "tools"] },
        { name: "qwen3:4b", family: "qwen3" },
      ],
    });
    const show = (body: unknown): Promise<Response> => fetch(`${server.url}/api/show`, { method: "POST", body: JSON.stringify(body) });

    const byModel = (await (await show({ model: "llama3.1:8b" })).json()) as Record<string, unknown>;
    const byName = (await (await show({ name: "llama3.1:8b" })).json()) as Record<string, unknown>;
    const qwen = (await (await show({ model: "qwen3:4b" })).json()) as { model_info: Record<string, unknown>; capabilities: string[] };
    const unknown = await show({ model: "ghost" });
    const missing = await show({});

    expect(Object.keys(byModel)).toEqual(["modelfile", "parameters", "template", "details", "model_info", "capabilities", "modified_at"]);
    expect(byModel).toMatchObject({
      details: { format: "gguf", family: "llama", parameter_size: "8.0B", quantization_level: "Q4_K_M" },
      model_info: { "general.architecture": "llama", "llama.context_length": 32768 },
      capabilities: ["completion", "tools"],
    });
    expect(byName).toEqual(byModel);
    expect(qwen.model_info).toMatchObject({ "general.architecture": "qwen3", "qwen3.context_length": 8192 });
    expect(qwen.capabilities).toEqual(["completion"]);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: "model 'ghost' not found" });
    expect(missing.status).toBe(400);
  });

  it("serves /api/version, /api/ps, GET / and Ollama's plain-text 404/405", async () => {
    const server = await start({ version: "0.9.0" });

    const version = await (await fetch(`${server.url}/api/version`)).json();
    const ps = await (await fetch(`${server.url}/api/ps`)).json();
    const root = await fetch(`${server.url}/`);
    const missing = await fetch(`${server.url}/api/nope`);
    const wrongMethod = await fetch(`${server.url}/api/chat`);

    expect(version).toEqual({ version: "0.9.0" });
    expect(ps).toEqual({ models: [] });
    expect([root.status, await root.text()]).toEqual([200, "Ollama is running"]);
    expect([missing.status, missing.headers.get("content-type"), await missing.text()]).toEqual([404, "text/plain; charset=utf-8", "404 page not found"]);
    expect(wrongMethod.status).toBe(405);
  });

  it("treats a name without a tag as :latest when matching models", async () => {
    const server = await start({ models: [{ name: "mistral:latest" }] });

    const result = await chat(server, { model: "mistral" }).invoke("q");

    expect(String(result.content)).toMatch(/^\(fake-ollama\) /);
  });
});

describe("What ChatOllama sends", () => {
  it("records every request and the wire body for a fully configured call", async () => {
    const server = await start();
    const model = chat(server, {
      temperature: 0.1,
      topP: 0.9,
      topK: 40,
      numPredict: 256,
      repeatPenalty: 1.1,
      seed: 42,
      numCtx: 8192,
      keepAlive: "10m",
    });

    await model.invoke(
      [
        ["system", "You are Bruno, an SRE assistant."],
        ["human", "Why is the pod pending?"],
      ],
      { stop: ["###"] },
    );
    const [request] = server.requests;

    const headers = { ...request?.headers, host: "<host>", "user-agent": String(request?.headers["user-agent"]).replace(/\(.*\)$/, "(<platform>)") };

    expect(request).toMatchObject({ method: "POST", path: "/api/chat", receivedAt: expect.any(Number) });
    expect(headers).toMatchInlineSnapshot(`
      {
        "accept": "application/json",
        "accept-encoding": "gzip, deflate",
        "accept-language": "*",
        "connection": "keep-alive",
        "content-length": "316",
        "content-type": "application/json",
        "host": "<host>",
        "sec-fetch-mode": "cors",
        "user-agent": "ollama-js/0.6.4 (<platform>)",
      }
    `);
    expect(request?.body).toMatchInlineSnapshot(`
      {
        "keep_alive": "10m",
        "messages": [
          {
            "content": "You are Bruno, an SRE assistant.",
            "role": "system",
          },
          {
            "content": "Why is the pod pending?",
            "role": "user",
          },
        ],
        "model": "llama3.1:8b",
        "options": {
          "num_ctx": 8192,
          "num_predict": 256,
          "repeat_penalty": 1.1,
          "seed": 42,
          "stop": [
            "###",
          ],
          "temperature": 0.1,
          "top_k": 40,
          "top_p": 0.9,
        },
        "stream": true,
      }
    `);
  });
});
