/**
 * Several Ollama hosts, routing: a model goes only to hosts that have it (each server's own
 * request log is the proof), and among those to the one with the fewest calls in flight.
 */
import { describe, expect, it } from "vitest";
import { CATALOG_MODELS, DOCS, PRIMARY, QUERY, SECOND, chatModels, closeServersAfterEach, graphOn, startServer, thread } from "./helpers.js";

closeServersAfterEach();

describe("which host a model goes to", () => {
  it("a model installed only on host B is sent only to B; a model both have goes to either", async () => {
    const a = await startServer({ models: CATALOG_MODELS.filter((m) => m.name !== PRIMARY) });
    const b = await startServer();
    const graph = graphOn([a, b]);
    for (const id of ["b1", "b2", "b3"]) {
      const out = await graph.invoke({ query: QUERY, documents: DOCS }, thread(id));
      expect(out.model).toBe(PRIMARY);
    }
    expect(chatModels(a)).toEqual([]);
    expect(chatModels(b)).toEqual([PRIMARY, PRIMARY, PRIMARY]);
    // /api/show for the model was asked of B, the host that has it.
    expect(a.requests.filter((r) => r.path === "/api/show").map((r) => (r.body as { model: string }).model)).not.toContain(PRIMARY);

    const other = await graph.invoke({ query: QUERY, documents: DOCS, model: SECOND }, thread("both"));
    expect(other.model).toBe(SECOND);
    expect([...chatModels(a), ...chatModels(b)].filter((m) => m === SECOND)).toHaveLength(1);
  });

  it("concurrent turns spread over the hosts by fewest calls in flight", async () => {
    const timing = { firstTokenDelayMs: 150, tokenDelayMs: 5 };
    const a = await startServer({ timing });
    const b = await startServer({ timing });
    const graph = graphOn([a, b], { BRUNO_CONCURRENCY: "4" });
    const outs = await Promise.all(["c1", "c2", "c3", "c4"].map((id) => graph.invoke({ query: QUERY, documents: DOCS }, thread(id))));
    expect(outs.map((o) => o.model)).toEqual([PRIMARY, PRIMARY, PRIMARY, PRIMARY]);
    expect(chatModels(a)).toEqual([PRIMARY, PRIMARY]);
    expect(chatModels(b)).toEqual([PRIMARY, PRIMARY]);
    expect(a.maxInFlight).toBe(2);
    expect(b.maxInFlight).toBe(2);
  });
});
