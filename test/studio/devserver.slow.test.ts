/**
 * The LangGraph dev server (what `npm run dev` and Studio use) serving `langgraph.json`'s graph
 * `bruno_generation`, driven through `@langchain/langgraph-sdk` against the Ollama-protocol
 * test server. Slow: the server takes several seconds to start.
 */
import { Client } from "@langchain/langgraph-sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "../support/devServer.js";
import { FakeOllama, type ChatRequestBody } from "../../src/testing/index.js";

const QUERY = "Loki pods are crashing";
const DOCUMENTS = [
  { title: "Loki crash loop", source: "runbooks/loki-crashloop.md", content: "Ingesters OOMKilled after an upgrade: raise the memory limit of the loki-ingester StatefulSet." },
];
const TOKENS = ["Raise ", "the ", "ingester ", "memory ", "limit ", "[1]."];
const ANSWER = TOKENS.join("");
const FOLLOW_UP = "and how do I stop it from happening again?";
const FOLLOW_UP_ANSWER = "Set the memory request equal to the limit.";

let ollama: FakeOllama;
let devServer: DevServer | undefined;
let apiUrl = "";
let client: Client;

beforeAll(async () => {
  ollama = await FakeOllama.start({ models: [{ name: "sre-agent:v1.0" }, { name: "llama3.1:8b" }, { name: "llama3.2:3b" }], timing: { tokenDelayMs: 10 } });
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
