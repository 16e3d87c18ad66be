/**
 * Serving the telemetry: the `/metrics` handlers for a host's own server, and the Hono app that
 * `langgraph.json` mounts (`/metrics`, `/healthz`), against the Ollama-protocol test server.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { graphDeps } from "../../src/app/deps.js";
import { type GenerationDeps } from "../../src/nodes/deps.js";
import { checkHealth, createTelemetry, metricsFetchHandler, metricsRequestHandler, type HealthReport } from "../../src/telemetry/index.js";
import { createTelemetryApp } from "../../src/app/http.js";
import { DEFAULT_CATALOG } from "../../src/domain/catalog.js";
import { createOllamaModelServer } from "../../src/providers/ollama/server.js";
import { FakeOllama } from "../../src/testing/index.js";
import { DOCS, QUERY, parseMetrics, series, setup, thread, type Setup } from "./helpers.js";

const ROUTED = [...new Set(Object.values(DEFAULT_CATALOG.routes))].map((name) => ({ name }));

function depsOf(graph: object): GenerationDeps {
  const deps = graphDeps(graph);
  if (!deps) throw new Error("not a graph of createGenerationGraph");
  return deps;
}

const opened: Setup[] = [];
const servers: FakeOllama[] = [];
const http: Server[] = [];
afterEach(async () => {
  await Promise.all([...opened.splice(0).map((s) => s.server.close()), ...servers.splice(0).map((s) => s.close())]);
  await Promise.all(http.splice(0).map((h) => new Promise((resolve) => h.close(resolve))));
  vi.unstubAllEnvs();
});

describe("metrics handlers for a host's own server", () => {
  it("a node:http handler answers with the registry's text and content type", async () => {
    const telemetry = createTelemetry({ logLevel: "silent" });
    telemetry.metrics.tokens.inc({ model: "llama3.1:8b", direction: "output" }, 42);
    const server = createServer(metricsRequestHandler(telemetry.registry));
    http.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(series(parseMetrics(await response.text()), "ollama_tokens_total")).toEqual({ "direction=output,model=llama3.1:8b": 42 });
  });

  it("a fetch-style handler does the same", async () => {
    const telemetry = createTelemetry({ logLevel: "silent" });
    const response = await metricsFetchHandler(telemetry.registry)(new Request("http://host/metrics"));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("# TYPE ollama_generation_duration_seconds histogram");
  });
});

describe("the telemetry app (langgraph.json http.app)", () => {
  it("/metrics serves the graph's registry, with Node.js process metrics", async () => {
    const s = await setup({ server: { models: ROUTED } });
    opened.push(s);
    s.server.scriptFor("sre-agent:v1.0", { content: "Raise the memory limit [1]." });
    await s.graph.invoke({ query: QUERY, documents: DOCS }, thread("http-1"));
    expect(depsOf(s.graph).telemetry).toBe(s.telemetry);
    const app = createTelemetryApp(() => depsOf(s.graph));
    const response = await app.request("/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe(s.telemetry.registry.contentType);
    const samples = parseMetrics(await response.text());
    expect(series(samples, "bruno_runs_total")).toEqual({ "error_type=none,outcome=answered,query_type=troubleshooting": 1 });
    expect(samples.some((x) => x.name === "process_cpu_user_seconds_total")).toBe(true);
  });

  it("/healthz: 200 ok when Ollama answers and every routed model is installed", async () => {
    const s = await setup({ server: { models: ROUTED } });
    opened.push(s);
    const app = createTelemetryApp(() => depsOf(s.graph));
    const response = await app.request("/healthz");
    expect(response.status).toBe(200);
    const report = (await response.json()) as HealthReport;
    expect(report).toMatchObject({ status: "ok", ollama: { host: s.server.url, reachable: true, version: "0.12.6" }, models: { missing: [] } });
    expect(report.models.installed.sort()).toEqual(ROUTED.map((m) => m.name).sort());
  });

  it("/healthz: 200 degraded with the missing routed models named; 503 down without any catalog model or server", async () => {
    const server = await FakeOllama.start({ models: [{ name: "llama3.1:8b" }] });
    servers.push(server);
    const admin = createOllamaModelServer({ host: server.url, timeoutMs: 2000, tagsTtlMs: 0 });
    const degraded = await checkHealth({ admin, catalog: DEFAULT_CATALOG });
    expect(degraded).toMatchObject({ status: "degraded", ollama: { reachable: true }, models: { installed: ["llama3.1:8b"] } });
    expect(degraded.models.missing.sort()).toEqual(["deepseek-coder:33b", "llama3.2:3b", "sre-agent:v1.0"]);

    server.setModels([{ name: "mistral:7b" }]);
    expect((await checkHealth({ admin, catalog: DEFAULT_CATALOG })).status).toBe("down");

    await server.close();
    const down = await checkHealth({ admin, catalog: DEFAULT_CATALOG });
    expect(down).toMatchObject({ status: "down", ollama: { reachable: false, error: expect.stringContaining(server.url) } });
  });

  it("the exported app serves the graph langgraph.json names, with settings from the environment on the first request", async () => {
    const server = await FakeOllama.start({ models: ROUTED });
    servers.push(server);
    vi.stubEnv("OLLAMA_HOST", server.url);
    vi.stubEnv("LOG_LEVEL", "silent");
    const { app } = await import("../../src/app/served.js");
    const health = await app.request("/healthz");
    expect(health.status).toBe(200);
    expect(((await health.json()) as HealthReport).ollama.host).toBe(server.url);
    const metrics = await app.request("/metrics");
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain("# HELP bruno_runs_total");
    expect((await app.request("/nope")).status).toBe(404);
  });
});
