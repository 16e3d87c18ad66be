/**
 * Fault matrix row 9b–9c: a corrupted `/api/chat` stream and error bodies that are not JSON,
 * through the real graph, the real ChatOllama and the CLI. The `ollama` client under ChatOllama
 * skips a line that is not JSON with `console.warn("invalid json: …")` and logs its own progress
 * on error bodies with `console.log`; neither may happen: a corrupted stream is a SERVER_ERROR
 * and nothing reaches the console behind the logger's back.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { GENERATION_PROFILES } from "../../src/domain/index.js";
import { createOllamaChatModelFactory } from "../../src/providers/ollama/chatModel.js";
import { toBrunoError } from "../../src/providers/ollama/errors.js";
import { bruno } from "../support/cliHarness.js";
import { ANSWER, DOCS, PRIMARY, QUERY, SECOND, THIRD, chatModels, closeServersAfterEach, graphFor, invokeWithEvents, startServer } from "./helpers.js";

closeServersAfterEach();

let consoleSpies: MockInstance[] = [];
beforeEach(() => {
  consoleSpies = (["log", "info", "warn", "error", "debug"] as const).map((name) => vi.spyOn(console, name).mockImplementation(() => undefined));
});
afterEach(() => {
  for (const spy of consoleSpies) spy.mockRestore();
});

/** What reached `console.*` during the test. */
function consoleCalls(): unknown[][] {
  return consoleSpies.flatMap((spy) => spy.mock.calls);
}

describe("9b. a malformed line in the middle of a healthy stream", () => {
  // The field case: one line of an otherwise valid stream is cut short (its token is lost) and
  // the stream goes on to its `done` chunk. Unchecked, the client skipped the line with a
  // console.warn and the turn "succeeded" with a token missing from the answer.
  it("is a SERVER_ERROR retried on the same model, whose retry gives the whole answer; nothing on the console", async () => {
    const server = await startServer();
    server.scriptFor(PRIMARY, { kind: "malformed", afterTokens: 2, resume: true }, { content: ANSWER });
    const { events, values } = await invokeWithEvents(graphFor(server.url), { query: QUERY, documents: DOCS }, "malformed-mid");

    expect(chatModels(server)).toEqual([PRIMARY, PRIMARY]);
    expect(values.answer).toBe(ANSWER);
    expect(values.modelsTried).toEqual([{ model: PRIMARY, outcome: "answered" }]);
    const retry = events.find((e) => e.type === "retry");
    expect(retry).toMatchObject({ type: "retry", code: "SERVER_ERROR" });
    expect(consoleCalls()).toEqual([]);
  });

  it("every time: recorded as SERVER_ERROR naming the line, then the next model answers", async () => {
    const server = await startServer();
    const bad = { kind: "malformed", afterTokens: 1, resume: true } as const;
    server.scriptFor(PRIMARY, bad, bad);
    server.scriptFor(SECOND, { content: ANSWER });
    const result = await graphFor(server.url, { BRUNO_RETRY_ATTEMPTS: "2" }).invoke({ query: QUERY, documents: DOCS }, { configurable: { thread_id: "malformed-mid-2" } });

    expect(chatModels(server)).toEqual([PRIMARY, PRIMARY, SECOND]);
    expect(result.modelsTried).toEqual([
      { model: PRIMARY, outcome: "failed", code: "SERVER_ERROR", message: expect.stringMatching(/malformed response: line 2 of the stream is not JSON/) },
      { model: SECOND, outcome: "answered" },
    ]);
    expect(result.answer).toBe(ANSWER);
    expect(consoleCalls()).toEqual([]);
  });

  it("`bruno ask --json`: stdout is the JSON result only, stderr has no raw server text", async () => {
    const server = await startServer();
    const bad = { kind: "malformed", afterTokens: 1, resume: true } as const;
    for (const model of [PRIMARY, SECOND, THIRD]) server.scriptFor(model, bad);
    const run = await bruno(["ask", QUERY, "--json", "--provider", "ollama", "--host", server.url], { env: { BRUNO_RETRY_ATTEMPTS: "1" } });

    expect(run.code).toBe(6); // ALL_MODELS_FAILED
    expect(run.stdout).toBe("");
    expect(run.stderr).not.toMatch(/invalid json/i);
    expect(run.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^bruno: ALL_MODELS_FAILED: .*SERVER_ERROR \(Ollama at .* sent a malformed response: line 2/)]);
    expect(consoleCalls()).toEqual([]);
  });
});

describe("9c. an error body that is not JSON (a reverse proxy's page)", () => {
  let proxy: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => proxy?.close(resolve) ?? resolve(undefined));
    proxy = undefined;
  });

  /** A stand-in for a reverse proxy whose upstream is down: 502 with an HTML page for every request. */
  async function badGateway(): Promise<string> {
    proxy = createServer((_req, res) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end("<html><body><h1>502 Bad Gateway</h1></body></html>");
    });
    await new Promise<void>((resolve) => proxy?.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  }

  it("a 502 page from /api/chat is a SERVER_ERROR carrying the page's text; nothing on the console", async () => {
    const host = await badGateway();
    const model = createOllamaChatModelFactory({ host, keepAlive: "1m" })({
      model: PRIMARY,
      profile: GENERATION_PROFILES.chat,
      numCtx: 2048,
      signal: new AbortController().signal,
    });

    const error = await model.invoke("hi").then(
      () => undefined,
      (e: unknown) => e,
    );

    const typed = toBrunoError(error, { host, model: PRIMARY });
    expect(typed.code).toBe("SERVER_ERROR");
    expect(typed.message).toContain("502");
    expect(typed.message).toContain("Bad Gateway");
    expect(consoleCalls()).toEqual([]);
  });
});
