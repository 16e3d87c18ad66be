/**
 * The LangGraph dev server (what `npm run dev` and Studio use) serving `langgraph.json`'s graph
 * `bruno_generation`, driven through `@langchain/langgraph-sdk` against the Ollama-protocol
 * test server. Slow: the server takes several seconds to start.
 */
import { Client } from "@langchain/langgraph-sdk";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FakeOllama, type ChatRequestBody } from "../support/fake-ollama.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const READY_TIMEOUT_MS = 60_000;
/** Something else on this machine listens there. */
const RESERVED_PORT = 2024;
const QUERY = "Loki pods are crashing";
const DOCUMENTS = [
  { title: "Loki crash loop", source: "runbooks/loki-crashloop.md", content: "Ingesters OOMKilled after an upgrade: raise the memory limit of the loki-ingester StatefulSet." },
];
const TOKENS = ["Raise ", "the ", "ingester ", "memory ", "limit ", "[1]."];
const ANSWER = TOKENS.join("");
const FOLLOW_UP = "and how do I stop it from happening again?";
const FOLLOW_UP_ANSWER = "Set the memory request equal to the limit.";

let ollama: FakeOllama;
let devServer: ChildProcess | undefined;
let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
let output = "";
let apiUrl = "";
let client: Client;

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
    if (key === "LOG_LEVEL" || key === "OLLAMA_HOST" || key.startsWith("BRUNO_")) continue;
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
  // Workers that ignored SIGTERM go with the group.
  kill("SIGKILL");
}

beforeAll(async () => {
  ollama = await FakeOllama.start({ models: [{ name: "sre-agent:v1.0" }, { name: "llama3.1:8b" }, { name: "llama3.2:3b" }], timing: { tokenDelayMs: 10 } });
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
  client = new Client({ apiUrl });
});

afterAll(async () => {
  await stopDevServer();
  await ollama?.close();
});

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => console.error(`dev server output:\n${logTail()}`));
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
    const [first, second] = ollama.chatRequests() as [ChatRequestBody, ChatRequestBody];
    expect(first.model).toBe("sre-agent:v1.0");
    expect(second.messages.some((m) => m.role === "user" && m.content === QUERY)).toBe(true);
    expect(second.messages.some((m) => m.role === "assistant" && m.content.startsWith("Raise the ingester memory limit"))).toBe(true);
  });
});
