import { describe, expect, it } from "vitest";
import { generateBatch } from "../../src/graph/batch.js";
import type { GenerationInput } from "../../src/domain/index.js";
import { GROUNDED_1, LOKI_DOCS, makeGraph } from "./helpers.js";

describe("generateBatch", () => {
  it("answers every input in input order with at most `concurrency` runs at once, and reports per-item errors", async () => {
    let running = 0;
    let peak = 0;
    const { graph, fake } = makeGraph({
      script: {
        "sre-agent:v1.0": (call) => {
          running += 1;
          peak = Math.max(peak, running);
          return {
            answer: `${GROUNDED_1} (#${call.index})`,
            gate: new Promise<void>((r) =>
              setTimeout(() => {
                running -= 1;
                r();
              }, 5),
            ),
          };
        },
      },
    });
    const inputs: GenerationInput[] = Array.from({ length: 12 }, (_, i) => ({ query: `loki ingesters OOMKilled on node ${i}`, documents: LOKI_DOCS }));
    inputs[4] = { query: "   " };
    const seen: number[] = [];
    const items = await generateBatch(graph, inputs, { concurrency: 3, onItem: (i) => seen.push(i) });

    expect(items).toHaveLength(12);
    expect(items[4]).toMatchObject({ ok: false, error: { code: "INVALID_INPUT", field: "query" } });
    items.forEach((item, i) => {
      if (i === 4) return;
      expect(item.ok).toBe(true);
      if (item.ok) expect(item.result.answer).toContain("OOMKilled");
    });
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThan(1);
    expect(fake.calls).toHaveLength(11);
    expect([...seen].sort((a, b) => a - b)).toEqual(inputs.map((_, i) => i));
  });
});
