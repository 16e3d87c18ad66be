/**
 * The structured logs of real graph runs (ChatOllama over HTTP against the Ollama-protocol test
 * server): JSON lines parsed back, the seed's events with their durations and token counts, the
 * run's fields on every line, no user text at info, truncated text at debug, secrets redacted.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createCliLogger, DEBUG_TEXT_LIMIT } from "../../src/telemetry/logging.js";
import { createTelemetryLogger, createTelemetry } from "../../src/telemetry/index.js";
import { FakeOllama } from "../../src/testing/index.js";
import { bruno, captureOutput } from "../support/cliHarness.js";
import { CHAIN_MODELS, DOCS, QUERY, captureLogs, setup, thread, type Setup } from "./helpers.js";

const ANSWER = "Raise the memory limit of the ingester StatefulSet [1].";

const opened: Setup[] = [];
const servers: FakeOllama[] = [];
afterEach(async () => {
  await Promise.all([...opened.splice(0).map((s) => s.server.close()), ...servers.splice(0).map((s) => s.close())]);
});

async function open(options: Parameters<typeof setup>[0] = {}): Promise<Setup> {
  const s = await setup(options);
  opened.push(s);
  return s;
}

function events(lines: Record<string, unknown>[]): string[] {
  return lines.map((l) => String(l.event));
}

describe("log lines of a run with a timeout and a fallback", () => {
  it("names the seed's events, with durations and token counts, each line carrying runId, threadId, model and queryType", async () => {
    const s = await open({ env: { BRUNO_FIRST_TOKEN_TIMEOUT_MS: "300" } });
    s.server.scriptFor("sre-agent:v1.0", { kind: "noHeaders" });
    s.server.scriptFor("llama3.1:8b", { content: ANSWER, promptEvalCount: 400, evalCount: 11 });
    const out = await s.graph.invoke({ query: QUERY, documents: DOCS }, thread("incident-7"));
    expect(out.model).toBe("llama3.1:8b");

    const lines = s.logs.lines();
    const generation = lines.filter((l) => ["generation_started", "timeout", "generation_failed", "fallback", "generation_completed", "run_completed"].includes(String(l.event)));
    expect(events(generation)).toEqual(["generation_started", "timeout", "generation_failed", "fallback", "generation_started", "generation_completed", "run_completed"]);
    const [started, timeout, failed, fallback, , completed, run] = generation as Record<string, unknown>[];

    const runId = run?.runId;
    expect(typeof runId).toBe("string");
    for (const line of generation) {
      expect(line).toMatchObject({ runId, threadId: "incident-7", queryType: "troubleshooting", component: "bruno-generation" });
      expect(typeof line.model).toBe("string");
    }
    expect(started).toMatchObject({ level: 30, model: "sre-agent:v1.0", msg: "generation started" });
    expect(timeout).toMatchObject({ level: 40, model: "sre-agent:v1.0", code: "TIMEOUT_FIRST_TOKEN", msg: "timeout" });
    expect(timeout?.elapsedMs).toBeGreaterThanOrEqual(250);
    expect(failed).toMatchObject({ level: 40, model: "sre-agent:v1.0", code: "TIMEOUT_FIRST_TOKEN", msg: "generation failed" });
    expect(fallback).toMatchObject({ level: 40, from: "sre-agent:v1.0", to: "llama3.1:8b", reason: "TIMEOUT_FIRST_TOKEN", msg: "primary failed, using fallback" });
    expect(completed).toMatchObject({ level: 30, model: "llama3.1:8b", inputTokens: 400, outputTokens: 11, msg: "generation completed" });
    expect(completed?.durationMs).toBeGreaterThanOrEqual(0);
    expect(run).toMatchObject({ level: 30, model: "llama3.1:8b", inputTokens: 400, outputTokens: 11, msg: "run completed" });
    expect(run?.durationMs).toBeGreaterThanOrEqual(300);

    // Two runs, two run ids.
    s.server.scriptFor("sre-agent:v1.0", { content: ANSWER });
    await s.graph.invoke({ query: QUERY, documents: DOCS }, thread("incident-8"));
    const runs = s.logs.lines().filter((l) => l.event === "run_completed");
    expect(runs.map((l) => l.threadId)).toEqual(["incident-7", "incident-8"]);
    expect(new Set(runs.map((l) => l.runId)).size).toBe(2);
  });

  it("logs retries with the attempt, the delay and the code", async () => {
    const s = await open({ env: { BRUNO_RETRY_ATTEMPTS: "2", BRUNO_RETRY_INITIAL_MS: "1", BRUNO_RETRY_MAX_MS: "1" } });
    s.server.scriptFor("sre-agent:v1.0", { kind: "status", status: 500, error: "boom" }, { content: ANSWER });
    await s.graph.invoke({ query: QUERY, documents: DOCS }, thread("t-retry"));
    const retry = s.logs.lines().find((l) => l.event === "retry");
    expect(retry).toMatchObject({ level: 40, model: "sre-agent:v1.0", attemptNo: 1, code: "SERVER_ERROR", threadId: "t-retry", msg: "retrying" });
    expect(typeof retry?.delayMs).toBe("number");
  });

  it("keeps prompts, documents and answers out of info lines", async () => {
    const s = await open();
    s.server.scriptFor("sre-agent:v1.0", { kind: "status", status: 500, error: "boom" });
    s.server.scriptFor("llama3.1:8b", { content: ANSWER });
    await s.graph.invoke({ query: QUERY, documents: DOCS }, thread("t-private"));
    const raw = s.logs.raw();
    expect(s.logs.lines().length).toBeGreaterThan(4);
    expect(s.logs.lines().every((l) => (l.level as number) >= 30)).toBe(true);
    expect(raw).not.toContain(QUERY);
    for (const doc of DOCS) expect(raw).not.toContain(doc.content);
    expect(raw).not.toContain("memory limit of the ingester");
    expect(raw).not.toContain("You are Bruno");
  });

  it("at debug: the prompt messages and the answer, truncated, and cache hits and misses", async () => {
    const long = { title: "Long runbook", source: "runbooks/long.md", content: `Ingester memory: ${"check the chunk cache and the WAL replay. ".repeat(60)}` };
    const s = await open({ logLevel: "debug" });
    s.server.scriptFor("sre-agent:v1.0", { content: ANSWER });
    await s.graph.invoke({ query: QUERY, documents: [long] }, thread("t-debug"));
    const lines = s.logs.lines();
    const request = lines.find((l) => l.event === "model_request");
    expect(request).toMatchObject({ level: 20, model: "sre-agent:v1.0", threadId: "t-debug", queryType: "troubleshooting" });
    const messages = request?.messages as { role: string; content: string }[];
    expect(messages.map((m) => m.role)).toContain("system");
    for (const m of messages) expect(m.content.length).toBeLessThanOrEqual(DEBUG_TEXT_LIMIT + 30);
    expect(messages.some((m) => /… \(\d+ chars\)$/.test(m.content))).toBe(true);
    expect(lines.find((l) => l.event === "model_response")).toMatchObject({ level: 20, answer: ANSWER, responseLength: ANSWER.length });
    expect(lines.filter((l) => l.event === "cache_miss").map((l) => l.cache)).toEqual(["tags", "show"]);
  });
});

describe("the logger", () => {
  it("redacts credentials: authorization headers, API keys in settings", () => {
    const logs = captureLogs();
    logs.logger.info(
      {
        headers: { authorization: "Bearer s3cret-token" },
        req: { headers: { Authorization: "Basic dXNlcjpwYXNz", "x-api-key": "lsv2_pt_abc" } },
        apiKey: "sk-123",
        config: { langsmithApiKey: "lsv2_pt_def" },
        env: { LANGSMITH_API_KEY: "lsv2_pt_ghi" },
      },
      "request",
    );
    const raw = logs.raw();
    for (const secret of ["s3cret-token", "dXNlcjpwYXNz", "lsv2_pt_abc", "sk-123", "lsv2_pt_def", "lsv2_pt_ghi"]) expect(raw).not.toContain(secret);
    expect(raw.match(/\[redacted\]/g)).toHaveLength(6);
  });

  it("takes its level from the settings (LOG_LEVEL): nothing below it is written", async () => {
    const logs = captureLogs("warn");
    const s = await open({ telemetry: createTelemetry({ logger: logs.logger }) });
    s.server.scriptFor("sre-agent:v1.0", { content: ANSWER });
    await s.graph.invoke({ query: QUERY, documents: DOCS }, thread("t-level"));
    expect(logs.lines()).toEqual([]);
    expect(createTelemetryLogger({ level: "error" }).level).toBe("error");
  });
});

describe("the CLI's logs", () => {
  it("go to stderr as JSON lines when stderr is not a terminal; stdout stays the answer", async () => {
    const server = await FakeOllama.start({ models: CHAIN_MODELS });
    servers.push(server);
    server.scriptFor("sre-agent:v1.0", { kind: "status", status: 500, error: "boom" });
    server.scriptFor("llama3.1:8b", { content: ANSWER });
    const { code, stdout, stderr } = await bruno(["ask", QUERY, "--docs", "examples/runbooks"], {
      env: { OLLAMA_HOST: server.url, LOG_LEVEL: "info", BRUNO_RETRY_ATTEMPTS: "1" },
    });
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(ANSWER);
    expect(stdout).not.toContain('"level"');
    const json = stderr
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events(json)).toEqual(expect.arrayContaining(["generation_started", "generation_failed", "fallback", "generation_completed", "run_completed"]));
    for (const line of json.filter((l) => String(l.event).startsWith("generation_"))) {
      expect(line).toMatchObject({ runId: expect.any(String), threadId: expect.any(String), model: expect.any(String), queryType: "troubleshooting" });
    }
  });

  it("are pretty, redacted lines with the pretty logger (the CLI's choice when stderr is a terminal)", async () => {
    const { stdout, stderr } = await captureOutput(() => {
      createCliLogger({ level: "info", pretty: true, colorize: false }).info({ event: "generation_completed", headers: { authorization: "Bearer zzz-secret" } }, "generation completed");
      createCliLogger({ level: "warn", pretty: true }).info("below the level");
    });
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: generation completed\n/);
    expect(stderr).toContain('event: "generation_completed"');
    expect(stderr).toContain('"authorization": "[redacted]"');
    expect(stderr).not.toContain("zzz-secret");
    expect(stderr).not.toContain("below the level");
  });
});
