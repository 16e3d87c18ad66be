/**
 * Several Ollama hosts, failures: a host that stops or breaks hands the SAME model to the next
 * host that has it (before the chain falls back to a smaller model), also after the first
 * tokens; a dead host costs no retries while another host is left; the turn ends with the
 * server's error only when no host with the model is left.
 */
import { describe, expect, it } from "vitest";
import { describeEvent } from "../../src/cli/session.js";
import type { GenerationEvent } from "../../src/index.js";
import { ANSWER, DOCS, PRIMARY, QUERY, SECOND, brunoError, chatModels, closeServersAfterEach, graphOn, ofType, rejection, startServer, thread, turn } from "./helpers.js";

closeServersAfterEach();

describe("a host that stops answering", () => {
  it("the next turn answers from the other host with the same model, no fallback to a smaller one", async () => {
    const a = await startServer();
    const b = await startServer();
    const graph = graphOn([a, b]);

    const first = await graph.invoke({ query: QUERY, documents: DOCS }, thread("t1"));
    expect(first.model).toBe(PRIMARY);
    expect(chatModels(a)).toEqual([PRIMARY]);
    expect(chatModels(b)).toEqual([]);

    await a.close();
    const second = await turn(graph, { query: QUERY, documents: DOCS }, "t2");
    expect(second.values.model).toBe(PRIMARY);
    expect(chatModels(b)).toEqual([PRIMARY]);
    expect(ofType(second.events, "fallback")).toEqual([]);
    // Refused, or (on a kept-alive connection the stop cut) dropped: either way the host's failure.
    expect(ofType(second.events, "failover")).toEqual([{ type: "failover", model: PRIMARY, from: a.url, to: b.url, code: expect.stringMatching(/^SERVER_(UNREACHABLE|ERROR)$/) }]);
    expect(ofType(second.events, "answered")).toMatchObject([{ model: PRIMARY, host: b.url }]);
    expect((second.values.modelsTried as { model: string; outcome: string }[]).map((m) => [m.model, m.outcome])).toEqual([[PRIMARY, "answered"]]);

    // Once refused, the stopped host is known to be down: later turns go straight to the other one.
    const third = await turn(graph, { query: QUERY, documents: DOCS }, "t3");
    expect(third.values.model).toBe(PRIMARY);
    expect(ofType(third.events, "failover").map((e) => e.code)).toEqual(second.events.some((e) => e.code === "SERVER_UNREACHABLE") ? [] : ["SERVER_UNREACHABLE"]);
    const fourth = await turn(graph, { query: QUERY, documents: DOCS }, "t4");
    expect(ofType(fourth.events, "failover")).toEqual([]);
    expect(chatModels(b)).toEqual([PRIMARY, PRIMARY, PRIMARY]);
  });

  it("a host that fails a call is not retried while another host has the model: one request to it, then the other answers", async () => {
    const a = await startServer();
    const b = await startServer();
    a.scriptFor(PRIMARY, { kind: "status", status: 500, error: "llama runner process has terminated" });
    b.scriptFor(PRIMARY, { content: ANSWER });
    const out = await graphOn([a, b], { BRUNO_RETRY_ATTEMPTS: "3" }).invoke({ query: QUERY, documents: DOCS }, thread("no-retry"));
    expect(out.model).toBe(PRIMARY);
    expect(out.answer).toBe(ANSWER);
    expect(chatModels(a)).toEqual([PRIMARY]);
    expect(chatModels(b)).toEqual([PRIMARY]);
  });

  it("the last host with the model still retries with backoff", async () => {
    const a = await startServer();
    const b = await startServer();
    a.scriptFor(PRIMARY, { kind: "status", status: 500, error: "boom" });
    b.scriptFor(PRIMARY, { kind: "status", status: 500, error: "boom" }, { content: ANSWER });
    const { events, values } = await turn(graphOn([a, b], { BRUNO_RETRY_ATTEMPTS: "3" }), { query: QUERY, documents: DOCS }, "last-retries");
    expect(values.answer).toBe(ANSWER);
    expect(chatModels(a)).toEqual([PRIMARY]);
    expect(chatModels(b)).toEqual([PRIMARY, PRIMARY]);
    expect(ofType(events, "retry")).toMatchObject([{ host: b.url, model: PRIMARY, code: "SERVER_ERROR" }]);
  });

  it("SERVER_UNREACHABLE ends the turn only when no host with the model is left", async () => {
    const a = await startServer();
    const b = await startServer();
    const graph = graphOn([a, b]);
    await graph.invoke({ query: QUERY, documents: DOCS }, thread("warm"));
    await Promise.all([a.close(), b.close()]);
    const { error } = await rejection(graph.invoke({ query: QUERY, documents: DOCS }, thread("both-down")));
    const e = brunoError(error);
    expect(e.code).toBe("SERVER_UNREACHABLE");
    // One host after the other; the last one's failure ends the turn (no smaller model is tried).
    expect(e.message).toContain(b.url);
    expect(e.code).not.toBe("ALL_MODELS_FAILED");
  });

  it("a model that only the stopped host has: the chain falls back to a smaller model the other host has", async () => {
    const a = await startServer();
    const b = await startServer({ models: [{ name: SECOND }] });
    const graph = graphOn([a, b]);
    await a.close();
    const out = await graph.invoke({ query: QUERY, documents: DOCS }, thread("only-on-a"));
    // A's list is gone with it: selectModel sees only B's models.
    expect(out.model).toBe(SECOND);
    expect(chatModels(b)).toEqual([SECOND]);
  });
});

describe("a host that hangs", () => {
  it("gets only its part of the model's time for the first token: the same model then answers from the other host within the turn", async () => {
    const a = await startServer({ timing: { firstTokenDelayMs: 10_000 } });
    const b = await startServer();
    b.scriptFor(PRIMARY, { content: ANSWER });
    // A 3-model chain in 3 s: the primary's share is about 1 s, half of it for the hung host.
    const started = performance.now();
    const { events, values } = await turn(graphOn([a, b], { BRUNO_REQUEST_TIMEOUT_MS: "3000" }), { query: QUERY, documents: DOCS }, "hung");
    expect(values.model).toBe(PRIMARY);
    expect(values.answer).toBe(ANSWER);
    expect(ofType(events, "failover")).toEqual([{ type: "failover", model: PRIMARY, from: a.url, to: b.url, code: "TIMEOUT_FIRST_TOKEN" }]);
    expect(ofType(events, "fallback")).toEqual([]);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

describe("a host that breaks mid-answer", () => {
  it("the answer restarts on the other host with the same model; the event names both hosts; the answer is the other host's whole answer", async () => {
    const a = await startServer();
    const b = await startServer();
    a.scriptFor(PRIMARY, { kind: "dropMidStream", afterTokens: 3 });
    b.scriptFor(PRIMARY, { content: ANSWER });
    const { events, streamed, values } = await turn(graphOn([a, b], { BRUNO_RETRY_ATTEMPTS: "3" }), { query: QUERY, documents: DOCS }, "mid-stream");

    expect(values.model).toBe(PRIMARY);
    expect(values.answer).toBe(ANSWER);
    // A streamed three tokens before the drop; B's whole answer follows the restart.
    expect(streamed.endsWith(ANSWER)).toBe(true);
    expect(streamed.length).toBeGreaterThan(ANSWER.length);
    const restart = events.findIndex((e) => e.type === "answer_restart");
    expect(events[restart]).toEqual({ type: "answer_restart", model: PRIMARY, next: PRIMARY, reason: "failover" });
    expect(ofType(events, "failover")).toEqual([{ type: "failover", model: PRIMARY, from: a.url, to: b.url, code: "SERVER_ERROR" }]);
    expect(events.findIndex((e) => e.type === "failover")).toBeLessThan(restart);
    expect(ofType(events, "fallback")).toEqual([]);
    expect(ofType(events, "retry")).toEqual([]);
    expect(chatModels(a)).toEqual([PRIMARY]);
    expect(chatModels(b)).toEqual([PRIMARY]);
  });

  it("the CLI says so on stderr", () => {
    const restart: GenerationEvent = { type: "answer_restart", model: PRIMARY, next: PRIMARY, reason: "failover" };
    const failover: GenerationEvent = { type: "failover", model: PRIMARY, from: "http://gpu-a:11434", to: "http://gpu-b:11434", code: "SERVER_ERROR" };
    expect(describeEvent(failover)).toBe(`${PRIMARY} on http://gpu-a:11434: SERVER_ERROR; trying http://gpu-b:11434`);
    expect(describeEvent(restart)).toBe(`answer restarts: ${PRIMARY} on another host`);
  });
});
