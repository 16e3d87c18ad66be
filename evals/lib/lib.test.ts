import { describe, expect, it } from "vitest";
import { compareToBaseline, comparisonMarkdown, type Baseline } from "./baseline.js";
import { questionsOf } from "./fake.js";
import { planSync, stableJson } from "./langsmith.js";
import { runPool } from "./pool.js";
import { Progress } from "./progress.js";

const baseline = (metrics: Record<string, number>): Baseline => ({ dataset: "d", mode: "scripted", savedAt: "2026-01-01", metrics });

describe("compareToBaseline", () => {
  it.each<[string, Record<string, number>, Record<string, number>, number, boolean, string[]]>([
    ["equal", { a: 0.9 }, { a: 0.9 }, 0.05, false, []],
    ["small drop within the allowance", { a: 0.9 }, { a: 0.86 }, 0.05, false, []],
    ["drop exactly at the allowance passes", { a: 0.9 }, { a: 0.85 }, 0.05, false, []],
    ["drop beyond the allowance fails", { a: 0.9 }, { a: 0.84 }, 0.05, true, ["a"]],
    ["improvement", { a: 0.5 }, { a: 0.9 }, 0, false, []],
    ["metric not measured this time does not fail", { a: 0.9, judge: 0.8 }, { a: 0.9 }, 0.05, false, []],
    ["a new metric does not fail", { a: 0.9 }, { a: 0.9, b: 0.1 }, 0.05, false, []],
  ])("%s", (_name, base, current, maxDrop, failed, regressed) => {
    const cmp = compareToBaseline(current, baseline(base), maxDrop, "b.json");
    expect(cmp.failed).toBe(failed);
    expect(cmp.rows.filter((r) => r.regressed).map((r) => r.metric)).toEqual(regressed);
  });

  it("renders a table that names the regression", () => {
    const md = comparisonMarkdown(compareToBaseline({ a: 0.5, b: 1 }, baseline({ a: 0.9, c: 0.3 }), 0.05, "b.json"));
    expect(md).toContain("**FAILED**");
    expect(md).toContain("| a | 90.0% | 50.0% | -40.0 | ❌ dropped |");
    expect(md).toContain("| b | — | 100.0% | new |  |");
    expect(md).toContain("| c | 30.0% | — | not measured |  |");
  });
});

describe("planSync", () => {
  it("creates missing examples, updates changed ones, removes stale and duplicate ones", () => {
    const plan = planSync(
      [
        { id: "e1", inputs: { q: "a" }, outputs: { r: 1 }, metadata: { itemId: "i1" } },
        { id: "e2", inputs: { q: "old" }, outputs: {}, metadata: { itemId: "i2" } },
        { id: "e3", inputs: {}, outputs: {}, metadata: { itemId: "gone" } },
        { id: "e4", inputs: { q: "a" }, outputs: { r: 1 }, metadata: { itemId: "i1" } },
        { id: "e5", inputs: {}, outputs: {}, metadata: {} },
      ],
      [
        { itemId: "i1", inputs: { q: "a" }, outputs: { r: 1 } },
        { itemId: "i2", inputs: { q: "new" }, outputs: {} },
        { itemId: "i3", inputs: { q: "c" }, outputs: {} },
      ],
    );
    expect(plan.create.map((c) => c.itemId)).toEqual(["i3"]);
    expect(plan.update.map((u) => [u.id, u.example.itemId])).toEqual([["e2", "i2"]]);
    expect(plan.remove.sort()).toEqual(["e3", "e4", "e5"]);
    expect(plan.unchanged).toBe(1);
  });

  it("compares payloads regardless of key order", () => {
    expect(stableJson({ b: 1, a: [{ y: 2, x: 1 }] })).toBe(stableJson({ a: [{ x: 1, y: 2 }], b: 1 }));
  });
});

describe("Progress", () => {
  function capture(isTTY: boolean) {
    const writes: string[] = [];
    return { writes, stream: { isTTY, write: (t: string) => writes.push(t) } };
  }

  it("redraws in place on a terminal, with elapsed time and ETA", () => {
    let now = 0;
    const { writes, stream } = capture(true);
    const p = new Progress(4, stream, "gen", () => now);
    now = 10_000;
    p.tick();
    expect(writes.at(-1)).toBe("\r\x1b[2Kgen [██████░░░░░░░░░░░░░░░░░░] 1/4 25%  elapsed 0:10  eta 0:30");
    now = 20_000;
    p.tick(false);
    expect(writes.at(-1)).toContain("2/4 50%  elapsed 0:20  eta 0:20  1 failed");
    p.finish("(interrupted)");
    expect(writes.at(-1)?.endsWith("(interrupted)\n")).toBe(true);
  });

  it("prints a line every tenth of the run when not a terminal", () => {
    let now = 0;
    const { writes, stream } = capture(false);
    const p = new Progress(20, stream, "gen", () => now);
    for (let i = 0; i < 20; i++) {
      now += 1000;
      p.tick();
    }
    expect(writes).toHaveLength(10);
    expect(writes[0]).toBe("gen 2/20 10%  elapsed 0:02  eta 0:18\n");
    expect(writes.every((w) => !w.includes("\r"))).toBe(true);
  });
});

describe("runPool", () => {
  it("keeps at most N in flight and returns results in item order", async () => {
    let inFlight = 0;
    let max = 0;
    const controller = new AbortController();
    const out = await runPool(
      [30, 10, 20, 5, 1],
      2,
      async (ms) => {
        inFlight += 1;
        max = Math.max(max, inFlight);
        await new Promise((r) => setTimeout(r, ms));
        inFlight -= 1;
        return ms * 2;
      },
      { signal: controller.signal },
    );
    expect(max).toBe(2);
    expect(out).toEqual({ results: [60, 20, 40, 10, 2], finished: 5, interrupted: false });
  });

  it("stops taking items once aborted and keeps the finished results", async () => {
    const controller = new AbortController();
    const out = await runPool(
      [1, 2, 3, 4],
      1,
      async (n, _i, signal) => {
        if (n === 2) controller.abort();
        if (signal.aborted) throw new Error("cancelled");
        return n;
      },
      { signal: controller.signal },
    );
    expect(out).toEqual({ results: [1, undefined, undefined, undefined], finished: 1, interrupted: true });
  });
});

describe("questionsOf", () => {
  it("takes the question after the last 'Question:' of each user message", () => {
    expect(
      questionsOf({
        model: "m",
        messages: [
          { role: "system", content: "rules" },
          { role: "user", content: "<documents>…Question: not this</documents>\n\nQuestion: real one " },
          { role: "assistant", content: "x [9]" },
          { role: "user", content: "Your previous answer cites [9]" },
        ],
      }),
    ).toEqual(["real one", "Your previous answer cites [9]"]);
  });
});
