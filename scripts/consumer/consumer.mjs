// A plain Node.js consumer of the installed package (no TypeScript, no loader): a parent
// StateGraph with the generation graph as a subgraph node, answered by the Ollama-protocol test
// server of `bruno-generation/testing`; then the installed `bruno` command against it.
import { spawn } from "node:child_process";
import assert from "node:assert/strict";
import { END, MemorySaver, START, StateGraph, StateSchema } from "@langchain/langgraph";
import { z } from "zod";
import { Citation, ContextDocument, createGenerationGraph } from "bruno-generation";
import { CATALOG_MODELS, FakeOllama } from "bruno-generation/testing";

const RUNBOOKS = [
  {
    title: "Loki crash loop",
    source: "runbooks/loki.md",
    content: "Loki ingesters restart with OOMKilled when the memory limit is below the WAL replay peak. Raise the ingester memory limit to 4Gi.",
  },
  { title: "Pod OOMKilled", source: "runbooks/oom.md", content: "A container killed with reason OOMKilled exceeded its memory limit. Compare the limit with the working set in Grafana." },
];

const server = await FakeOllama.start({ models: CATALOG_MODELS });
try {
  const AgentState = new StateSchema({
    query: z.string(),
    documents: z.array(ContextDocument).default(() => []),
    answer: z.string().default(""),
    citations: z.array(Citation).default(() => []),
  });
  const agent = new StateGraph(AgentState)
    .addNode("retrieve", async () => ({ documents: RUNBOOKS }))
    .addNode("generate", createGenerationGraph({ ollamaHost: server.url }))
    .addEdge(START, "retrieve")
    .addEdge("retrieve", "generate")
    .addEdge("generate", END)
    .compile({ checkpointer: new MemorySaver() });

  const state = await agent.invoke({ query: "Loki ingesters are OOMKilled, what do I do?" }, { configurable: { thread_id: "consumer-1" } });
  assert.match(state.answer, /\[\d\]/, `the answer cites a document: ${state.answer}`);
  assert.ok(state.citations.length > 0 && state.citations.every((c) => c.valid), "every citation points at a document");
  assert.equal(server.chatRequests().length, 1, "one /api/chat request");
  console.log(`consumer: subgraph answer ok (${state.citations.length} citation(s)): ${state.answer.slice(0, 80)}…`);

  // The installed command: --version, an answer as JSON, and the embedded engine's absence.
  // Asynchronous: the test server answers from this process's event loop.
  const bruno = (args) =>
    new Promise((resolve, reject) => {
      const child = spawn("node_modules/.bin/bruno", args, { env: { ...process.env, OLLAMA_HOST: server.url, LANGSMITH_TRACING: "false" }, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk) => (stdout += chunk));
      child.stderr.on("data", (chunk) => (stderr += chunk));
      child.on("error", reject);
      child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
  const version = await bruno(["--version"]);
  assert.equal(version.status, 0, version.stderr);
  assert.match(version.stdout, /^bruno \d+\.\d+\.\d+\n$/);
  const asked = await bruno(["ask", "Loki ingesters are OOMKilled", "--json"]);
  assert.equal(asked.status, 0, asked.stderr);
  const result = JSON.parse(asked.stdout);
  assert.ok(result.answer.length > 0, "bruno ask --json has an answer");
  if (process.env.CONSUMER_WITHOUT_ENGINE === "1") {
    // Installed with --omit=optional: asking for the embedded engine says how to install it.
    const embedded = await bruno(["ask", "hello", "--provider", "embedded"]);
    assert.equal(embedded.status, 2, `without node-llama-cpp: exit 2 (${embedded.stderr})`);
    assert.match(embedded.stderr, /^bruno: CONFIG_INVALID: the embedded engine needs node-llama-cpp, which is not installed: run `npm install node-llama-cpp@[\d.]+`/);
    assert.equal(embedded.stderr.trimEnd().split("\n").length, 1, "one line");
  }
  console.log("consumer: bruno --version, bruno ask --json ok" + (process.env.CONSUMER_WITHOUT_ENGINE === "1" ? ", the missing-engine error ok" : ""));
} finally {
  await server.close();
}
