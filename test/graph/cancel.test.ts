/** Cancellation ends a turn promptly in every phase: waiting for a slot, streaming, and a retry's backoff sleep. */
import { MemorySaver } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import type { GenerationEvent } from "../../src/domain/events.js";
import { isCancelledError } from "../../src/index.js";
import { serverError } from "../support/fakeModels.js";
import { GROUNDED_1, LOKI_DOCS, makeGraph, rejectionOf, TROUBLESHOOTING_QUERY } from "./helpers.js";

const SRE = "sre-agent:v1.0";

describe("cancelling a turn", () => {
  it("during a retry's backoff sleep: the turn ends with CANCELLED within 100 ms of the abort, not after the sleep", async () => {
    const setup = makeGraph({
      env: { BRUNO_RETRY_ATTEMPTS: "3", BRUNO_RETRY_INITIAL_MS: "5000", BRUNO_RETRY_MAX_MS: "5000" },
      script: { [SRE]: [{ error: serverError() }, GROUNDED_1] },
    });
    const controller = new AbortController();
    let abortedAt = 0;
    const run = (async () => {
      const stream = await setup.graph.stream({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, { streamMode: "custom", signal: controller.signal });
      for await (const event of stream as AsyncIterable<GenerationEvent>) {
        if (event.type === "retry") {
          abortedAt = performance.now();
          controller.abort(new Error("interrupted"));
        }
      }
    })();
    const error = await rejectionOf(run);
    const elapsed = performance.now() - abortedAt;
    expect(isCancelledError(error)).toBe(true);
    expect(abortedAt).toBeGreaterThan(0);
    expect(elapsed).toBeLessThan(100);
    expect(setup.fake.calls).toHaveLength(1);
  });

  it("while the model streams: CANCELLED within 100 ms, and the model's own signal aborts", async () => {
    const setup = makeGraph({ script: { [SRE]: { hang: true, tokensBefore: ["Loki "] } } });
    const controller = new AbortController();
    let abortedAt = 0;
    const run = (async () => {
      const stream = await setup.graph.stream({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, { streamMode: ["messages"], signal: controller.signal });
      for await (const _ of stream) {
        if (abortedAt === 0) {
          abortedAt = performance.now();
          controller.abort(new Error("interrupted"));
        }
      }
    })();
    const error = await rejectionOf(run);
    expect(isCancelledError(error)).toBe(true);
    expect(performance.now() - abortedAt).toBeLessThan(100);
    expect(setup.fake.calls[0]?.outcome).toBe("aborted");
  });

  async function cancelWithin(run: (signal: AbortSignal) => Promise<unknown>, whenWaiting: () => boolean): Promise<{ error: unknown; ms: number }> {
    const controller = new AbortController();
    const pending = run(controller.signal);
    const deadline = Date.now() + 3000;
    while (!whenWaiting() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 30));
    const abortedAt = performance.now();
    controller.abort(new Error("interrupted"));
    const error = await rejectionOf(pending);
    return { error, ms: performance.now() - abortedAt };
  }

  it("while waiting for a free slot of the server (BRUNO_CONCURRENCY=1): CANCELLED within 100 ms, no request sent for it", async () => {
    const setup = makeGraph({ env: { BRUNO_CONCURRENCY: "1" }, script: { [SRE]: [{ hang: true }, GROUNDED_1] } });
    const first = new AbortController();
    const busy = setup.graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, { signal: first.signal }).catch(() => undefined);
    const { error, ms } = await cancelWithin(
      (signal) => setup.graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, { signal }),
      () => setup.fake.calls.length === 1,
    );
    expect(isCancelledError(error)).toBe(true);
    expect(ms).toBeLessThan(100);
    expect(setup.fake.calls).toHaveLength(1);
    first.abort();
    await busy;
  });

  it("while waiting for the thread's earlier turn: CANCELLED within 100 ms", async () => {
    const setup = makeGraph({ checkpointer: new MemorySaver(), script: { [SRE]: [{ hang: true }, GROUNDED_1] } });
    const first = new AbortController();
    const cfg = { configurable: { thread_id: "busy-thread" } };
    const busy = setup.graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, { ...cfg, signal: first.signal }).catch(() => undefined);
    const { error, ms } = await cancelWithin(
      (signal) => setup.graph.invoke({ query: TROUBLESHOOTING_QUERY, documents: LOKI_DOCS }, { ...cfg, signal }),
      () => setup.fake.calls.length === 1,
    );
    expect(isCancelledError(error)).toBe(true);
    expect(ms).toBeLessThan(100);
    first.abort();
    await busy;
  });
});
