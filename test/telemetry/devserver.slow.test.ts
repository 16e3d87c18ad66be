/**
 * `/metrics` and `/healthz` under the LangGraph dev server: `langgraph.json`'s `http.app` mounts
 * `src/telemetry/http.ts:app` next to the API, and a run through the API shows in the scrape.
 * Slow: the server takes several seconds to start.
 */
import { Client } from "@langchain/langgraph-sdk";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { HealthReport } from "../../src/telemetry/index.js";
import { FakeOllama } from "../support/fake-ollama.js";
import { DOCS, QUERY, parseMetrics, series } from "./helpers.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const READY_TIMEOUT_MS = 60_000;
/** Something else on this machine listens there. */
const RESERVED_PORT = 2024;
const ROUTED_MODELS = [{ name: "sre-agent:v1.0" }, { name: "llama3.1:8b" }, { name: "llama3.2:3b" }, { name: "deepseek-coder:33b" }];

let ollama: FakeOllama;
let devServer: ChildProcess | undefined;
let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
let output = "";
let apiUrl = "";

async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const probe = createServer();
      probe.once("error", reject);
      probe.listen(0, "127.0.0.1", () => {
        const address = probe.address();
        const value = typeof address === "object" && address ? address.port : 0;
        probe.close(() => resolve(value));
      });
    });
    if (port !== RESERVED_PORT) return port;
  }
}

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === "LOG_LEVEL" || key === "OLLAMA_HOST" || key.startsWith("BRUNO_") || key.startsWith("LANGSMITH_") || key.startsWith("LANGCHAIN_")) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

function logTail(): string {
  return output.length > 6000 ? `…${output.slice(-6000)}` : output;
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

async function waitUntilReady(): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the dev server exited (${JSON.stringify(exited)}) before it answered; its output:\n${logTail()}`);
    if (await answers(`${apiUrl}/ok`)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the dev server did not answer ${apiUrl}/ok within ${READY_TIMEOUT_MS} ms; its output:\n${logTail()}`);
}

/** Stops the server's whole process group (npx, the CLI, the server and its workers). */
async function stopDevServer(): Promise<void> {
  const child = devServer;
  if (!child?.pid || exited) return;
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-(child.pid as number), signal);
    } catch {
      // the group is gone
    }
  };
  kill("SIGTERM");
  const timer = setTimeout(() => kill("SIGKILL"), 5000);
  await gone;
  clearTimeout(timer);
  kill("SIGKILL");
}

beforeAll(async () => {
  ollama = await FakeOllama.start({ models: ROUTED_MODELS });
  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  // --no-reload: other people edit src/ while tests run; a reload would restart the server mid-test.
  devServer = spawn("npx", ["@langchain/langgraph-cli", "dev", "--port", String(port), "--host", "127.0.0.1", "--no-browser", "--no-reload"], {
    cwd: ROOT,
    env: childEnv({ LANGGRAPH_CLI_NO_ANALYTICS: "1", OLLAMA_HOST: ollama.url, LOG_LEVEL: "silent" }),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  devServer.stdout?.setEncoding("utf8").on("data", (text: string) => (output += text));
  devServer.stderr?.setEncoding("utf8").on("data", (text: string) => (output += text));
  devServer.once("exit", (code, signal) => (exited = { code, signal }));
  try {
    await waitUntilReady();
  } catch (error) {
    await stopDevServer();
    throw error;
  }
});

afterAll(async () => {
  await stopDevServer();
  await ollama?.close();
});

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => console.error(`dev server output:\n${logTail()}`));
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
