import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import { describe, expect, it } from "vitest";
import { GENERATION_PROFILES } from "../../src/domain/profiles.js";
import type { ChatModelRequest } from "../../src/providers/ports.js";
import { createFakeModels, ollamaUsage, responseError, tokenize } from "../support/fakeModels.js";

function request(model: string, signal = new AbortController().signal): ChatModelRequest {
  return { model, profile: GENERATION_PROFILES.chat, numCtx: 4096, seed: 1, signal };
}

describe("the scripted fake chat-model factory itself", () => {
  it("records the request, the messages and the call's stop, and streams token by token with usage on the final chunk", async () => {
    const fake = createFakeModels({ m: { answer: "one two three", ...ollamaUsage({ input: 3, output: 2, loadMs: 1.5 }) } });
    const model = fake.factory(request("m"));
    const chunks = [];
    for await (const chunk of await model.stream([new SystemMessage("sys"), new HumanMessage("hi")], { stop: ["STOP"] })) chunks.push(chunk);

    expect(chunks.map((c) => c.content)).toEqual(["one ", "two ", "three", ""]);
    expect(chunks.at(-1)?.usage_metadata).toEqual({ input_tokens: 3, output_tokens: 2, total_tokens: 5 });
    expect(chunks.at(-1)?.response_metadata).toMatchObject({ load_duration: 1_500_000 });
    const call = fake.calls[0];
    expect(call).toMatchObject({ index: 0, model: "m", stop: ["STOP"], outcome: "answered", kind: "answer", emitted: ["one ", "two ", "three"] });
    expect(call?.request).toMatchObject({ numCtx: 4096, seed: 1, profile: GENERATION_PROFILES.chat });
    expect(call?.messages.map((m) => m.getType())).toEqual(["system", "human"]);
  });

  it("throws scripted errors as given (e.g. the ollama client's ResponseError)", async () => {
    const error = responseError(500, "boom");
    const fake = createFakeModels({ m: { error } });
    await expect(fake.factory(request("m")).invoke("hi")).rejects.toBe(error);
    expect(fake.calls[0]?.outcome).toBe("threw");
  });

  it("a hanging model honours the request signal", async () => {
    const controller = new AbortController();
    const fake = createFakeModels({ m: { hang: true } });
    const pending = fake.factory(request("m", controller.signal)).invoke("hi");
    await fake.waitForCall(0);
    controller.abort(new Error("stop"));
    await expect(pending).rejects.toThrow("stop");
    expect(fake.calls[0]).toMatchObject({ sawAbort: true, outcome: "aborted" });
  });

  it("a hanging model honours the call options' signal", async () => {
    const controller = new AbortController();
    const fake = createFakeModels({ m: { hang: true } });
    const pending = fake.factory(request("m")).invoke("hi", { signal: controller.signal });
    await fake.waitForCall(0);
    controller.abort();
    await expect(pending).rejects.toThrow();
    expect(fake.calls[0]?.sawAbort).toBe(true);
  });

  it("answers queued steps in order, then fails loudly; unknown models fail loudly unless a fallback is given", async () => {
    const fake = createFakeModels({ m: ["first", "second"] });
    expect((await fake.factory(request("m")).invoke("x")).content).toBe("first");
    expect((await fake.factory(request("m")).invoke("x")).content).toBe("second");
    await expect(fake.factory(request("m")).invoke("x")).rejects.toMatchObject({ code: "CONFIG_INVALID" });
    await expect(fake.factory(request("other")).invoke("x")).rejects.toThrow(/names no such model/);
    expect(fake.calls.map((c) => c.kind)).toEqual(["answer", "answer", "unscripted", "unscripted"]);

    const withFallback = createFakeModels({}, { fallback: (call) => `echo ${call.model}` });
    expect((await withFallback.factory(request("z")).invoke("x")).content).toBe("echo z");
  });

  it("tokenize keeps every character", () => {
    const text = "  a  b\nc [1].  ";
    expect(tokenize(text).join("")).toBe(text);
  });
});
