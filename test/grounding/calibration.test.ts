/**
 * The grounding check on the generation dataset: the reference answers (good answers, written
 * from their documents) must pass, and the same answers with their citations moved to another
 * document, or their numbers changed, must mostly be caught. Guards the threshold and the
 * scoring formula against drifting toward false alarms or toward waving everything through.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_SUPPORT_THRESHOLD, groundAnswer } from "../../src/tools/grounding/index.js";
import { GenerationItem, readJsonl } from "../../evals/datasets/schema.js";

const items = await readJsonl(new URL("../../evals/datasets/generation.jsonl", import.meta.url).pathname, GenerationItem);

function verdicts(answer: string, item: GenerationItem): boolean[] {
  return groundAnswer(answer, item.documents, { query: item.query })
    .citations.filter((c) => c.support !== undefined)
    .map((c) => (c.support ?? 0) >= DEFAULT_SUPPORT_THRESHOLD);
}

describe("grounding calibration on evals/datasets/generation.jsonl", () => {
  it("every citation of every reference answer is rated supported", () => {
    const unsupported = items.flatMap((item) =>
      groundAnswer(item.referenceAnswer, item.documents, { query: item.query })
        .citations.filter((c) => c.support !== undefined && c.support < DEFAULT_SUPPORT_THRESHOLD)
        .map((c) => `${item.id} [${c.index}] ${c.support}: ${c.sentence}`),
    );
    expect(unsupported).toEqual([]);
  });

  it("citations moved to another document are caught at least 90 % of the time", () => {
    let total = 0;
    let caught = 0;
    for (const item of items) {
      const k = item.documents.length;
      const moved = item.referenceAnswer.replace(/\[(\d)\]/g, (_m, n: string) => `[${(Number(n) % k) + 1}]`);
      for (const supported of verdicts(moved, item)) {
        total += 1;
        if (!supported) caught += 1;
      }
    }
    expect(total).toBeGreaterThan(50);
    expect(caught / total).toBeGreaterThanOrEqual(0.9);
  });

  it("sentences whose numbers were changed are caught at least 80 % of the time", () => {
    let total = 0;
    let caught = 0;
    for (const item of items) {
      const changed = item.referenceAnswer.replace(/(?<![[\d.])(\d{2,})(?![\]\d])/g, (m) => String(Number(m) + 7));
      if (changed === item.referenceAnswer) continue;
      const before = groundAnswer(item.referenceAnswer, item.documents, { query: item.query }).citations;
      const after = groundAnswer(changed, item.documents, { query: item.query }).citations;
      after.forEach((c, i) => {
        if (c.support === undefined || c.sentence === before[i]?.sentence) return;
        total += 1;
        if (c.support < DEFAULT_SUPPORT_THRESHOLD) caught += 1;
      });
    }
    expect(total).toBeGreaterThanOrEqual(10);
    expect(caught / total).toBeGreaterThanOrEqual(0.8);
  });
});
