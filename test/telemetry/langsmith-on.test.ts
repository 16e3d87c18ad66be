/**
 * LangSmith tracing with its environment variables set: every node is a run, and the model
 * call carries the model, its parameters, the [N] documents and the token usage. LangSmith's
 * HTTP calls are captured in memory through its fetch override: nothing leaves the machine.
 */
import { overrideFetchImplementation } from "langsmith";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { flushTraces } from "../../src/telemetry/index.js";
import { DOCS, QUERY, setup, thread, type Setup } from "./helpers.js";

const ENDPOINT = "http://langsmith.test.invalid";
const ANSWER = "Raise the memory limit of the ingester StatefulSet [1].";

interface Captured {
  method: string;
  url: string;
  body: unknown;
}
const captured: Captured[] = [];

async function bodyOf(body: unknown): Promise<unknown> {
  if (body === undefined || body === null) return undefined;
  const text = typeof body === "string" ? body : await new Response(body as ConstructorParameters<typeof Response>[0]).text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Answers LangSmith as a server that prefers the JSON batch endpoint, recording every call. */
const fakeLangSmith = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
  const url = String(input instanceof Request ? input.url : input);
  captured.push({ method: init?.method ?? "GET", url, body: await bodyOf(init?.body) });
  if (url.endsWith("/info")) return Response.json({ version: "test", batch_ingest_config: { use_multipart_endpoint: false } });
  return Response.json({});
};

let s: Setup;
const globalFetch = vi.spyOn(globalThis, "fetch");

beforeAll(async () => {
  vi.stubEnv("LANGSMITH_TRACING", "true");
  vi.stubEnv("LANGSMITH_API_KEY", "lsv2_test_not_a_real_key");
  vi.stubEnv("LANGSMITH_ENDPOINT", ENDPOINT);
  vi.stubEnv("LANGSMITH_PROJECT", "bruno-telemetry-test");
  overrideFetchImplementation(fakeLangSmith);
  s = await setup();
});

afterAll(async () => {
  await s?.server.close();
  vi.unstubAllEnvs();
  globalFetch.mockRestore();
});

type Run = Record<string, unknown> & { id: string; name: string; run_type: string; parent_run_id?: string; extra?: { metadata?: Record<string, unknown> } };

/** Runs as LangSmith received them: creations merged with their updates, by id. */
function runs(): Run[] {
  const byId = new Map<string, Run>();
  for (const call of captured) {
    if (!call.url.endsWith("/runs/batch") || typeof call.body !== "object" || call.body === null) continue;
    const body = call.body as { post?: Run[]; patch?: Run[] };
    for (const run of [...(body.post ?? []), ...(body.patch ?? [])]) byId.set(run.id, { ...byId.get(run.id), ...run });
  }
  return [...byId.values()];
}

function find(value: unknown, key: string): unknown {
  if (typeof value !== "object" || value === null) return undefined;
  if (key in value) return (value as Record<string, unknown>)[key];
  for (const v of Object.values(value)) {
    const found = find(v, key);
    if (found !== undefined) return found;
  }
  return undefined;
}

describe("LangSmith tracing (LANGSMITH_TRACING=true)", () => {
  it("posts each node as a run, and the model call with model, parameters, documents and token usage", async () => {
    s.server.scriptFor("sre-agent:v1.0", { content: ANSWER, promptEvalCount: 321, evalCount: 9 });
    await s.graph.invoke({ query: QUERY, documents: DOCS }, thread("ls-1"));
    await flushTraces();

    const all = runs();
    const root = all.find((r) => r.name === "bruno_generation");
    expect(root?.parent_run_id).toBeUndefined();
    const nodes = all.filter((r) => r.parent_run_id === root?.id && !(r.tags as string[] | undefined)?.includes("langsmith:hidden"));
    expect(nodes.map((r) => r.name).sort()).toEqual(["buildPrompt", "classify", "generate", "selectModel", "validateCitations"]);
    for (const node of nodes) expect(node.extra?.metadata).toMatchObject({ langgraph_node: node.name, thread_id: "ls-1" });

    const generate = nodes.find((r) => r.name === "generate");
    const model = all.filter((r) => r.run_type === "llm");
    expect(model).toHaveLength(1);
    expect(model[0]).toMatchObject({ name: "answer (sre-agent:v1.0)", parent_run_id: generate?.id });
    expect(model[0]?.extra?.metadata).toMatchObject({
      model: "sre-agent:v1.0",
      temperature: 0.3,
      top_p: 0.9,
      top_k: 40,
      repeat_penalty: 1.1,
      max_tokens: 1500,
      num_ctx: 8192,
      attempt: 1,
      repair_round: 0,
      documents: ["[1] Loki crash loop (runbooks/loki-crashloop.md)", "[2] Pod OOMKilled (runbooks/pod-oomkilled.md)"],
      ls_provider: "ollama",
      ls_model_name: "sre-agent:v1.0",
      langgraph_node: "generate",
    });
    expect(find(model[0]?.outputs, "usage_metadata")).toMatchObject({ input_tokens: 321, output_tokens: 9, total_tokens: 330 });
    // Documents are named in metadata, not copied into it.
    expect(JSON.stringify(model[0]?.extra?.metadata)).not.toContain(DOCS[0]?.content);
  });

  it("sends everything to the configured endpoint through LangSmith's client, and never the API key in a body", () => {
    expect(captured.length).toBeGreaterThan(0);
    expect(captured.every((c) => c.url.startsWith(ENDPOINT))).toBe(true);
    expect(JSON.stringify(captured)).not.toContain("lsv2_test_not_a_real_key");
    const viaGlobalFetch = globalFetch.mock.calls.map(([input]) => String(input instanceof Request ? input.url : input));
    expect(viaGlobalFetch.length).toBeGreaterThan(0);
    expect(viaGlobalFetch.every((url) => url.startsWith(s.server.url))).toBe(true);
  });
});
