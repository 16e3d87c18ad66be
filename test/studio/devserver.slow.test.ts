/**
 * The LangGraph dev server (what `npm run dev` and Studio use) serving `langgraph.json`'s graph
 * `bruno_generation` against the Ollama-protocol test server: through `@langchain/langgraph-sdk`
 * (schemas, streamed runs, threads), and the telemetry routes that `langgraph.json`'s `http.app`
 * mounts next to the API (`src/app/served.ts:app`: `/healthz`, `/metrics`). One server for the
 * file: it takes several seconds to start. The telemetry tests go first, so that the run they
 * count is the server's only one.
 */
import { Client } from "@langchain/langgraph-sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { HealthReport } from "../../src/telemetry/index.js";
import { startDevServer, type DevServer } from "../support/devServer.js";
import { FakeOllama, type ChatRequestBody } from "../../src/testing/index.js";
import { DOCS, parseMetrics, series, QUERY as TELEMETRY_QUERY } from "../telemetry/helpers.js";

const QUERY = "Loki pods are crashing";
const DOCUMENTS = [{ title: "Loki crash loop", source: "runbooks/loki-crashloop.md", content: "Ingesters OOMKilled after an upgrade: raise the memory limit of the loki-ingester StatefulSet." }];
const TOKENS = ["Raise ", "the ", "ingester ", "memory ", "limit ", "[1]."];
const ANSWER = TOKENS.join("");
const FOLLOW_UP = "and how do I stop it from happening again?";
const FOLLOW_UP_ANSWER = "Set the memory request equal to the limit.";
const ROUTED_MODELS = [{ name: "sre-agent:v1.0" }, { name: "llama3.1:8b" }, { name: "llama3.2:3b" }, { name: "deepseek-coder:33b" }];

let ollama: FakeOllama;
let devServer: DevServer | undefined;
let apiUrl = "";
let client: Client;

beforeAll(async () => {
  ollama = await FakeOllama.start({ models: ROUTED_MODELS, timing: { tokenDelayMs: 10 } });
  devServer = await startDevServer(ollama.url);
  apiUrl = devServer.url;
  client = new Client({ apiUrl });
});

afterAll(async () => {
  await devServer?.stop();
  await ollama?.close();
});

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => console.error(`dev server output:\n${devServer?.logTail() ?? ""}`));
});

describe("telemetry routes under the LangGraph dev server", () => {
  it("/healthz reports Ollama reachable and the routed models present", async () => {
    const response = await fetch(`${apiUrl}/healthz`);
    expect(response.status).toBe(200);
    const report = (await response.json()) as HealthReport;
    expect(report).toMatchObject({ status: "ok", ollama: { host: ollama.url, reachable: true }, models: { missing: [] } });
  });

  it("/metrics is Prometheus text that counts a run made through the API", async () => {
    const [assistant] = await client.assistants.search({ graphId: "bruno_generation" });
    if (!assistant) throw new Error("no assistant for bruno_generation");
    ollama.scriptFor("sre-agent:v1.0", { content: "Raise the memory limit of the ingester StatefulSet [1].", promptEvalCount: 120, evalCount: 10 });
    const thread = await client.threads.create();
    const result = await client.runs.wait(thread.thread_id, assistant.assistant_id, { input: { query: TELEMETRY_QUERY, documents: DOCS } });
    expect(result).toMatchObject({ model: "sre-agent:v1.0" });

    const response = await fetch(`${apiUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const samples = parseMetrics(await response.text());
    expect(series(samples, "ollama_generation_duration_seconds_count")).toEqual({ [`host=${ollama.url},model=sre-agent:v1.0`]: 1 });
    expect(series(samples, "ollama_tokens_total")).toEqual({
      [`direction=input,host=${ollama.url},model=sre-agent:v1.0`]: 120,
      [`direction=output,host=${ollama.url},model=sre-agent:v1.0`]: 10,
    });
    expect(series(samples, "bruno_runs_total")).toEqual({ "error_type=none,outcome=answered,query_type=troubleshooting": 1 });
    expect(series(samples, "bruno_node_duration_seconds_count")).toMatchObject({ "node=generate": 1, "node=validateCitations": 1 });
    expect(samples.some((x) => x.name === "process_resident_memory_bytes")).toBe(true);
  });
});

async function assistantId(): Promise<string> {
  const [assistant] = await client.assistants.search({ graphId: "bruno_generation" });
  if (!assistant) throw new Error("no assistant for bruno_generation");
  return assistant.assistant_id;
}

function properties(schema: unknown): string[] {
  if (typeof schema !== "object" || schema === null || !("properties" in schema)) return [];
  const props = schema.properties;
  return typeof props === "object" && props !== null ? Object.keys(props) : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

describe("LangGraph dev server (Studio) serving bruno_generation", () => {
  it("lists the graph as an assistant with its input and output schemas", async () => {
    const assistants = await client.assistants.search({ graphId: "bruno_generation" });
    expect(assistants.map((a) => a.graph_id)).toContain("bruno_generation");

    const schemas = await client.assistants.getSchemas(await assistantId());
    expect(schemas.graph_id).toBe("bruno_generation");
    expect(properties(schemas.input_schema)).toEqual(expect.arrayContaining(["query", "documents"]));
    expect(properties(schemas.output_schema)).toEqual(expect.arrayContaining(["answer", "citations"]));
    // The output schema is the contract, not the whole state.
    expect(properties(schemas.output_schema)).not.toContain("promptMessages");
  });

  it("streams the answer tokens of a run, keeps the thread's messages, and answers a follow-up with runs.wait", async () => {
    const assistant = await assistantId();
    const thread = await client.threads.create();
    const earlier = ollama.chatRequests().length;
    ollama.script({ content: ANSWER, tokens: TOKENS }, { content: FOLLOW_UP_ANSWER });

    const tokens: string[] = [];
    const events: string[] = [];
    for await (const part of client.runs.stream(thread.thread_id, assistant, { input: { query: QUERY, documents: DOCUMENTS }, streamMode: "messages-tuple" })) {
      events.push(part.event);
      if (part.event === "error") throw new Error(`the run failed: ${JSON.stringify(part.data)}`);
      if (part.event !== "messages" || !Array.isArray(part.data)) continue;
      const [message, metadata]: unknown[] = part.data;
      if (!isRecord(message) || !isRecord(metadata) || metadata.langgraph_node !== "generate") continue;
      if (typeof message.content === "string" && message.content !== "") tokens.push(message.content);
    }
    expect(events).toContain("messages");
    expect(tokens).toEqual(TOKENS);

    const afterOne = await client.threads.getState<{ messages: { type: string; content: unknown }[]; answer: string }>(thread.thread_id);
    expect(afterOne.values.messages.map((m) => [m.type, m.content])).toEqual([
      ["human", QUERY],
      ["ai", ANSWER],
    ]);
    expect(afterOne.values.answer).toBe(ANSWER);

    const result = await client.runs.wait(thread.thread_id, assistant, { input: { query: FOLLOW_UP } });
    expect(isRecord(result) ? result.answer : undefined).toBe(FOLLOW_UP_ANSWER);
    const afterTwo = await client.threads.getState<{ messages: unknown[] }>(thread.thread_id);
    expect(afterTwo.values.messages).toHaveLength(4);

    // The server's checkpointer carried the first turn into the second prompt.
    const [first, second] = ollama.chatRequests().slice(earlier) as [ChatRequestBody, ChatRequestBody];
    expect(first.model).toBe("sre-agent:v1.0");
    expect(second.messages.some((m) => m.role === "user" && m.content === QUERY)).toBe(true);
    expect(second.messages.some((m) => m.role === "assistant" && m.content.startsWith("Raise the ingester memory limit"))).toBe(true);
  });
});
