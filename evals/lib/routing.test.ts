import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main, parseEvalArgs, UsageError } from "../run.js";
import { captureIo } from "./captureIo.js";
import { scoreRouting } from "../scorers/routing.js";
import { loadRoutingParts, routingGateFailures, routingPartsMarkdown, runRoutingParts, type PartOutcome, type RoutingRun } from "./routing.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "bruno-routing-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const item = (id: string, query: string, queryType: string) =>
  JSON.stringify({ id, query, queryType, complexity: "simple", requiresCode: false, expectedModel: queryType === "chat" ? "llama3.1:8b" : "sre-agent:v1.0" });

async function writeParts(dev: string[], heldout: string[]): Promise<void> {
  await writeFile(join(dir, "routing.jsonl"), `${dev.join("\n")}\n`);
  await writeFile(join(dir, "routing.heldout.jsonl"), `${heldout.join("\n")}\n`);
}

describe("routing parts", () => {
  it("scores both parts separately, with the production classifier's misses and every variant", async () => {
    await writeParts(
      [item("d1", "hi", "chat"), item("d2", "loki pods keep crashing since the deploy", "troubleshooting")],
      // "what is exit code 137" is explanation by the rules; labelled debug_issue here so the held-out part has a family miss.
      [item("h1", "thanks, bye", "chat"), item("h2", "what is exit code 137", "debug_issue")],
    );
    const run = runRoutingParts(await loadRoutingParts(dir), undefined, 1);
    expect(run.scores.development).toMatchObject({ items: 2, queryTypeAccuracy: 1, familyAccuracy: 1 });
    expect(run.scores.heldout).toMatchObject({ items: 2, queryTypeAccuracy: 0.5, familyAccuracy: 0.5 });
    expect(run.variants.map((v) => v.name)).toEqual(["rules alone", "rules + learned model (production)"]);
    for (const v of run.variants) expect(v.microsPerQuery).toBeGreaterThan(0);

    const md = routingPartsMarkdown(run, { mode: "test" });
    expect(md).toContain("| family accuracy | 100.0% | 50.0% |");
    expect(md).toContain("## held-out: query-type misses (1)");
    expect(md).toContain('- `h2` debug_issue → explanation (**family miss**): "what is exit code 137"');
    expect(md).toContain("## development: query-type misses (0)");
    // What the CLI prints stops before the model-selection list.
    expect(md.indexOf("Confusion matrix")).toBeLessThan(md.indexOf("Misrouted items:"));
  });

  it("--ids/--limit select over the development items first, then the held-out ones", async () => {
    await writeParts([item("d1", "hi", "chat"), item("d2", "hello", "chat")], [item("h1", "bye!", "chat")]);
    const parts = await loadRoutingParts(dir, (items) => items.filter((i) => i.id !== "d1"));
    expect(parts.development.map((i) => i.id)).toEqual(["d2"]);
    expect(parts.heldout.map((i) => i.id)).toEqual(["h1"]);
  });
});

describe("routing gates", () => {
  const outcome = (id: string, expected: PartOutcome["expected"]["queryType"], actual: PartOutcome["actual"]["queryType"]): PartOutcome => ({
    id,
    part: "heldout",
    query: id,
    expected: { queryType: expected, complexity: "simple", requiresCode: false, model: "m" },
    actual: { queryType: actual, complexity: "simple", requiresCode: false, model: "m" },
  });
  const scores = (heldout: PartOutcome[]): RoutingRun["scores"] => ({ development: scoreRouting([outcome("d", "chat", "chat")]), heldout: scoreRouting(heldout) });

  it("--min-heldout-family fails below the gate and passes at it; a same-family confusion does not count", () => {
    const s = scores([outcome("a", "troubleshooting", "debug_issue"), outcome("b", "chat", "chat"), outcome("c", "explanation", "chat"), outcome("e", "chat", "chat")]);
    expect(routingGateFailures(s, { minHeldoutFamily: 0.75 })).toEqual([]);
    expect(routingGateFailures(s, { minHeldoutFamily: 0.8 })).toEqual(["held-out family accuracy 75.0% below the gate 80.0%"]);
  });

  it("--min-heldout-family with no held-out item selected fails rather than passing on nothing", () => {
    expect(routingGateFailures(scores([]), { minHeldoutFamily: 0.5 })).toEqual(["--min-heldout-family: no held-out items were selected"]);
    expect(routingGateFailures(scores([]), {})).toEqual([]);
  });
});

describe("npm run eval -- --dataset routing", () => {
  const io = () => captureIo();

  it("prints both parts side by side, and --min-heldout-family gates on the held-out family accuracy", async () => {
    const ok = io();
    expect(await main(["--dataset", "routing", "--out", dir, "--max-drop", "1", "--min-heldout-family", "0.5"], ok)).toBe(0);
    expect(ok.stdout.text).toMatch(/\| score \| development \(routing\.jsonl\) \| held-out \(routing\.heldout\.jsonl\) \|/);
    expect(ok.stdout.text).toContain("## held-out: query-type misses");
    const json = JSON.parse(await readFile(join(dir, (await readdir(dir)).find((f) => f.endsWith(".json")) ?? ""), "utf8")) as {
      summary: { heldout: { items: number; familyAccuracy: number } };
    };
    expect(json.summary.heldout.items).toBeGreaterThanOrEqual(100);

    const strict = io();
    expect(await main(["--dataset", "routing", "--out", dir, "--max-drop", "1", "--min-heldout-family", "1"], strict)).toBe(json.summary.heldout.familyAccuracy < 1 ? 1 : 0);
    if (json.summary.heldout.familyAccuracy < 1) expect(strict.stderr.text).toMatch(/eval: FAILED: held-out family accuracy [\d.]+% below the gate 100\.0%/);
  });

  it("--min-heldout-family must be a number from 0 to 1", () => {
    expect(parseEvalArgs(["--min-heldout-family", "0.95"])).toMatchObject({ minHeldoutFamily: 0.95 });
    expect(() => parseEvalArgs(["--min-heldout-family", "95"])).toThrow(UsageError);
    expect(() => parseEvalArgs(["--min-heldout-family", "95"])).toThrow(/--min-heldout-family must be a number from 0 to 1/);
  });
});
