import { describe, expect, it } from "vitest";
import { GENERATION_PROFILES } from "../../src/domain/profiles.js";
import { BoundedMemoryCache, cacheable } from "../../src/runtime/responseCache.js";
import { serverError } from "../support/fakeModels.js";
import { GROUNDED_1, LOKI_DOCS, makeGraph } from "./helpers.js";

const QUERY = "loki ingesters keep getting OOMKilled";

describe("response cache through the graph", () => {
  it("BRUNO_CACHE=always: an identical turn is answered from the cache without a model call", async () => {
    const { graph, fake } = makeGraph({ script: { "sre-agent:v1.0": GROUNDED_1 }, env: { BRUNO_CACHE: "always" } });
    const first = await graph.invoke({ query: QUERY, documents: LOKI_DOCS });
    const second = await graph.invoke({ query: QUERY, documents: LOKI_DOCS });
    expect(fake.calls).toHaveLength(1);
    expect(second.answer).toBe(first.answer);
    expect(second.modelsTried).toEqual([{ model: "sre-agent:v1.0", outcome: "answered", message: "from the response cache" }]);
    expect(second.usage.outputTokens).toBe(0);
  });

  it("a different question, or different documents, is a miss", async () => {
    const { graph, fake } = makeGraph({ script: { "sre-agent:v1.0": GROUNDED_1 }, env: { BRUNO_CACHE: "always" } });
    await graph.invoke({ query: QUERY, documents: LOKI_DOCS });
    await graph.invoke({ query: `${QUERY} again`, documents: LOKI_DOCS });
    await graph.invoke({ query: QUERY, documents: LOKI_DOCS.slice(0, 1) });
    expect(fake.calls).toHaveLength(3);
  });

  it("the default (auto) does not reuse answers sampled at temperature > 0 without a seed", async () => {
    const { graph, fake } = makeGraph({ script: { "sre-agent:v1.0": GROUNDED_1 } });
    await graph.invoke({ query: QUERY, documents: LOKI_DOCS });
    await graph.invoke({ query: QUERY, documents: LOKI_DOCS });
    expect(fake.calls).toHaveLength(2);
  });

  it("a failed call is never cached", async () => {
    const { graph, fake } = makeGraph({
      script: { "sre-agent:v1.0": [{ error: serverError() }, GROUNDED_1, GROUNDED_1], "llama3.1:8b": GROUNDED_1 },
      env: { BRUNO_CACHE: "always" },
    });
    const first = await graph.invoke({ query: QUERY, documents: LOKI_DOCS });
    expect(first.modelsTried.map((a) => a.outcome)).toEqual(["failed", "answered"]);
    const second = await graph.invoke({ query: QUERY, documents: LOKI_DOCS });
    // The failed sre-agent call left nothing behind: it is called again and answers.
    expect(fake.models()).toEqual(["sre-agent:v1.0", "llama3.1:8b", "sre-agent:v1.0"]);
    expect(second.modelsTried).toEqual([{ model: "sre-agent:v1.0", outcome: "answered" }]);
  });
});

describe("BoundedMemoryCache", () => {
  it("evicts the least recently used entry past maxEntries", async () => {
    const cache = new BoundedMemoryCache<string>({ maxEntries: 2, ttlMs: 1000 });
    await cache.update("a", "m", "A");
    await cache.update("b", "m", "B");
    expect(await cache.lookup("a", "m")).toBe("A");
    await cache.update("c", "m", "C");
    expect(await cache.lookup("b", "m")).toBeNull();
    expect(await cache.lookup("a", "m")).toBe("A");
    expect(await cache.lookup("c", "m")).toBe("C");
    expect(cache.size).toBe(2);
  });

  it("expires entries after ttlMs on its clock", async () => {
    let now = 0;
    const cache = new BoundedMemoryCache<string>({ maxEntries: 10, ttlMs: 100, clock: { now: () => now } });
    await cache.update("a", "m", "A");
    now = 99;
    expect(await cache.lookup("a", "m")).toBe("A");
    now = 200;
    expect(await cache.lookup("a", "m")).toBeNull();
  });

  it.each([
    ["off", 0.0, undefined, false],
    ["auto", 0.3, undefined, false],
    ["auto", 0.0, undefined, true],
    ["auto", 0.3, 42, true],
    ["always", 0.8, undefined, true],
  ] as const)("cacheable(%s, temperature %d, seed %s) = %s", (mode, temperature, seed, expected) => {
    expect(cacheable(mode, { ...GENERATION_PROFILES.chat, temperature }, seed)).toBe(expected);
  });
});
