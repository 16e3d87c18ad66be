/**
 * The turn's deadline is shared along the model chain: each model gets its share of what is left,
 * retries happen only within that share, so a hung server still lets every model of the chain try.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { LOKI_DOCS, makeGraph, rejectionOf, TROUBLESHOOTING_QUERY } from "./helpers.js";

const CHAIN = ["sre-agent:v1.0", "llama3.1:8b", "llama3.2:3b"];

describe("the turn's time budget", () => {
  it("a server that hangs on every model: each model of the chain is tried within the whole-turn deadline", async () => {
    const setup = makeGraph({
      env: { BRUNO_REQUEST_TIMEOUT_MS: "900", BRUNO_RETRY_ATTEMPTS: "3", BRUNO_RETRY_INITIAL_MS: "10" },
      script: Object.fromEntries(CHAIN.map((m) => [m, { hang: true }])),
    });
    const started = performance.now();
    const error = await rejectionOf(setup.graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }));
    const elapsed = performance.now() - started;

    expect([...new Set(setup.fake.calls.map((c) => c.model))]).toEqual(CHAIN);
    expect(error).toMatchObject({ code: "TIMEOUT_TOTAL" });
    expect(elapsed).toBeLessThan(1900);
  });

  it("retries a failing model only while its share of the turn lasts", async () => {
    const setup = makeGraph({
      env: { BRUNO_REQUEST_TIMEOUT_MS: "900", BRUNO_RETRY_ATTEMPTS: "5", BRUNO_RETRY_INITIAL_MS: "400", BRUNO_RETRY_MAX_MS: "400" },
      script: { "sre-agent:v1.0": { hang: true }, "llama3.1:8b": "Loki ingesters are OOMKilled [1]." },
    });
    const out = await setup.graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS });
    expect(out.model).toBe("llama3.1:8b");
    // The first model's share (a third of 900 ms) leaves no room for a 400 ms backoff.
    expect(setup.fake.callsFor("sre-agent:v1.0")).toHaveLength(1);
  });

  it("by default a turn takes at most 120 s, the answer time the team's load tests allow", () => {
    expect(loadConfig({ env: {} }).timeouts.requestMs).toBe(120_000);
  });
});
