/**
 * LangSmith tracing with its environment variables unset: a whole run (and the CLI's flush)
 * attempts no request to LangSmith, neither through LangSmith's fetch nor through global fetch.
 */
import { overrideFetchImplementation } from "langsmith";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { LANGSMITH_TRACING_VARIABLES, flushTraces, langSmithTracingEnabled } from "../../src/telemetry/tracing.js";
import { DOCS, QUERY, setup, thread, type Setup } from "./helpers.js";

const langSmithFetch = vi.fn(async () => Response.json({}));
const globalFetch = vi.spyOn(globalThis, "fetch");
let s: Setup;

beforeAll(async () => {
  for (const name of [...LANGSMITH_TRACING_VARIABLES, "LANGSMITH_API_KEY", "LANGCHAIN_API_KEY", "LANGSMITH_ENDPOINT", "LANGCHAIN_ENDPOINT"]) vi.stubEnv(name, undefined);
  overrideFetchImplementation(langSmithFetch);
  s = await setup();
});

afterAll(async () => {
  await s?.server.close();
  vi.unstubAllEnvs();
  globalFetch.mockRestore();
});

describe("LangSmith tracing with its variables unset", () => {
  it("sends nothing: no request through LangSmith's client, only Ollama's through global fetch", async () => {
    expect(langSmithTracingEnabled(process.env)).toBe(false);
    s.server.scriptFor("sre-agent:v1.0", { content: "Raise the memory limit [1]." });
    const out = await s.graph.invoke({ query: QUERY, documents: DOCS }, thread("ls-off"));
    expect(out.answer).toContain("Raise the memory limit");
    await flushTraces();
    expect(langSmithFetch).not.toHaveBeenCalled();
    const urls = globalFetch.mock.calls.map(([input]) => String(input instanceof Request ? input.url : input));
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.filter((url) => !url.startsWith(s.server.url))).toEqual([]);
  });

  it("follows LangChain's rule for turning tracing on", () => {
    expect(langSmithTracingEnabled({ LANGSMITH_TRACING: "true" })).toBe(true);
    expect(langSmithTracingEnabled({ LANGCHAIN_TRACING_V2: "true" })).toBe(true);
    expect(langSmithTracingEnabled({ LANGSMITH_TRACING: "false", LANGSMITH_API_KEY: "x" })).toBe(false);
    expect(langSmithTracingEnabled({})).toBe(false);
  });
});
