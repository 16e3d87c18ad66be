/** The grounding eval's pieces: sections, titles, AUC, summaries, arguments and the cost workload. */
import { describe, expect, it } from "vitest";
import {
  auc,
  corpusTitle,
  costWorkload,
  COST_DOCUMENT_CHARS,
  COST_DOCUMENTS,
  GroundingUsageError,
  markdownSection,
  parseGroundingArgs,
  readGroundingSplit,
  summarizeSplit,
  type ScoredItem,
} from "./grounding.js";

describe("markdownSection", () => {
  const text = "# T\nintro\n## A\na text\n```\n## not a heading\n```\n### sub\nmore\n## B\nb text";
  it("takes a section to the next ## heading outside code fences, sub-headings included", () => {
    expect(markdownSection(text, "A")).toBe("## A\na text\n```\n## not a heading\n```\n### sub\nmore");
    expect(markdownSection(text, "B")).toBe("## B\nb text");
    expect(markdownSection(text, "missing")).toBeUndefined();
  });
});

describe("corpusTitle", () => {
  it("first # heading outside fences, else front matter title, else the file name", () => {
    expect(corpusTitle("```\n# comment\n```\n# Real", "x.md")).toBe("Real");
    expect(corpusTitle("---\ntitle: Webhook\n---\n```\n#  ^^^\n```\n## Error", "webhook.md")).toBe("Webhook");
    expect(corpusTitle("plain text", "dir/runbook.md")).toBe("runbook");
  });
});

describe("auc", () => {
  it.each<[number[], number[], number | null]>([
    [[0.9, 0.8], [0.1, 0.2], 1],
    [[0.1], [0.9], 0],
    [[0.5], [0.5], 0.5],
    [[0.9, 0.3], [0.5], 0.5],
    [[], [0.5], null],
  ])("%j over %j → %s", (pos, neg, expected) => {
    expect(auc(pos, neg)).toBe(expected);
  });
});

describe("summarizeSplit", () => {
  const item = (id: string, label: ScoredItem["label"], score: number, correct: boolean): ScoredItem => ({
    id,
    pair: id.slice(0, 2),
    label,
    class: "plain",
    score,
    correct,
    answer: "a [1].",
    note: "n",
    missing: [],
  });
  it("lists wrongly judged items, most wrong first, and counts accuracy and means", () => {
    const scored = [item("p1s", "supported", 0.9, true), item("p1f", "fabricated", 0.8, false), item("p2s", "supported", 0.4, false), item("p2f", "fabricated", 0.1, true)];
    const s = summarizeSplit("dev", [], scored);
    expect(s.worst.map((w) => w.id)).toEqual(["p1f", "p2s"]);
    expect(s.accuracy).toBe(0.5);
    expect(s.supportedMean).toBe(0.65);
    expect(s.fabricatedMean).toBe(0.45);
    expect(s.auc).toBe(0.75);
  });
});

describe("parseGroundingArgs", () => {
  it("reads the gates and the split; rejects bad values", () => {
    expect(parseGroundingArgs(["--dataset", "grounding", "--min-heldout-auc", "0.95"], "out")).toEqual({ splits: ["dev", "heldout"], minHeldoutAuc: 0.95, out: "out" });
    expect(() => parseGroundingArgs(["--min-heldout-auc", "95"], "out")).toThrow(GroundingUsageError);
    expect(() => parseGroundingArgs(["--split", "dev", "--min-heldout-auc", "0.9"], "out")).toThrow(/held-out split/);
    expect(() => parseGroundingArgs(["--fake"], "out")).toThrow(GroundingUsageError);
    expect(parseGroundingArgs(["--help"], "out")).toBeUndefined();
  });
});

describe("costWorkload", () => {
  it("a 1,500-token answer over five 6,000-character documents", async () => {
    const w = await costWorkload(await readGroundingSplit("dev"));
    expect(w.documents).toHaveLength(COST_DOCUMENTS);
    for (const d of w.documents) expect(d.content).toHaveLength(COST_DOCUMENT_CHARS);
    expect(w.answer.length).toBeGreaterThanOrEqual(5250);
    expect(new Set([...w.answer.matchAll(/\[(\d)\]/g)].map((m) => m[1]))).toEqual(new Set(["1", "2", "3", "4", "5"]));
  });
});
