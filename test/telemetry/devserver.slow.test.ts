/**
 * `/metrics` and `/healthz` under the LangGraph dev server: `langgraph.json`'s `http.app` mounts
 * `src/app/served.ts:app` next to the API, and a run through the API shows in the scrape.
 * Slow: the server takes several seconds to start.
 */
import { Client } from "@langchain/langgraph-sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { HealthReport } from "../../src/telemetry/index.js";
import { startDevServer, type DevServer } from "../support/devServer.js";
import { FakeOllama } from "../../src/testing/index.js";
import { DOCS, QUERY, parseMetrics, series } from "./helpers.js";

const ROUTED_MODELS = [{ name: "sre-agent:v1.0" }, { name: "llama3.1:8b" }, { name: "llama3.2:3b" }, { name: "deepseek-coder:33b" }];

let ollama: FakeOllama;
let devServer: DevServer | undefined;
let apiUrl = "";

beforeAll(async () => {
  ollama = await FakeOllama.start({ models: ROUTED_MODELS });
  devServer = await startDevServer(ollama.url);
  apiUrl = devServer.url;
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
    const client = new Client({ apiUrl });
    const [assistant] = await client.assistants.search({ graphId: "bruno_generation" });
    if (!assistant) throw new Error("no assistant for bruno_generation");
    ollama.scriptFor("sre-agent:v1.0", { content: "Raise the memory limit of the ingester StatefulSet [1].", promptEvalCount: 120, evalCount: 10 });
    const thread = await client.threads.create();
    const result = await client.runs.wait(thread.thread_id, assistant.assistant_id, { input: { query: QUERY, documents: DOCS } });
    expect(result).toMatchObject({ model: "sre-agent:v1.0" });

    const response = await fetch(`${apiUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const samples = parseMetrics(await response.text());
    expect(series(samples, "ollama_generation_duration_seconds_count")).toEqual({ "model=sre-agent:v1.0": 1 });
    expect(series(samples, "ollama_tokens_total")).toEqual({ "direction=input,model=sre-agent:v1.0": 120, "direction=output,model=sre-agent:v1.0": 10 });
    expect(series(samples, "bruno_runs_total")).toEqual({ "error_type=none,outcome=answered,query_type=troubleshooting": 1 });
    expect(series(samples, "bruno_node_duration_seconds_count")).toMatchObject({ "node=generate": 1, "node=validateCitations": 1 });
    expect(samples.some((x) => x.name === "process_resident_memory_bytes")).toBe(true);
  });
});
