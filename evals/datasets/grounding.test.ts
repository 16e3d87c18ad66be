/**
 * The grounding datasets hold what the issue asks for: at least 120 labelled answers over at
 * least 40 runbooks of ../shared/corpus, in supported/fabricated pairs cited the same way,
 * every class in both parts, and no runbook shared between the dev and held-out parts.
 */
import { describe, expect, it } from "vitest";
import { loadCorpusDocument, readGroundingSplit } from "../lib/grounding.js";
import { GROUNDING_CLASSES, GroundingItem } from "./schema.js";

const dev = await readGroundingSplit("dev");
const heldout = await readGroundingSplit("heldout");
const runbooks = (items: readonly GroundingItem[]) => new Set(items.flatMap((i) => i.documents.map((d) => d.path)));
const markers = (answer: string) => [...answer.matchAll(/\[(\d+)\]/g)].map((m) => m[1]).join(",");

describe("grounding datasets", () => {
  it("at least 120 answers over at least 40 runbooks", () => {
    expect(dev.length + heldout.length).toBeGreaterThanOrEqual(120);
    expect(new Set([...runbooks(dev), ...runbooks(heldout)]).size).toBeGreaterThanOrEqual(40);
  });

  it.each([
    ["dev", dev],
    ["heldout", heldout],
  ] as const)("%s: items come in pairs, one supported and one fabricated, citing the same documents the same way", (_name, items) => {
    const pairs = new Map<string, GroundingItem[]>();
    for (const item of items) pairs.set(item.pair, [...(pairs.get(item.pair) ?? []), item]);
    for (const [pair, members] of pairs) {
      expect(members.map((m) => m.label).sort(), pair).toEqual(["fabricated", "supported"]);
      const [a, b] = members as [GroundingItem, GroundingItem];
      expect(b.documents, pair).toEqual(a.documents);
      expect(b.class, pair).toBe(a.class);
      expect(markers(b.answer), pair).toBe(markers(a.answer));
      expect(b.answer, pair).not.toBe(a.answer);
    }
    expect(new Set(items.map((i) => i.class))).toEqual(new Set(GROUNDING_CLASSES));
  });

  it("the held-out part shares no runbook with the dev part", () => {
    const shared = [...runbooks(heldout)].filter((p) => runbooks(dev).has(p));
    expect(shared).toEqual([]);
  });

  it("every document resolves to a runbook (and section) of ../shared/corpus; answers stay short", async () => {
    for (const item of [...dev, ...heldout]) {
      for (const d of item.documents) {
        const loaded = await loadCorpusDocument(d);
        expect(loaded.content.length, `${item.id} ${d.path}`).toBeGreaterThan(100);
      }
      expect(item.answer.length, item.id).toBeLessThanOrEqual(400);
    }
  });

  it("the schema rejects an answer without markers, an out-of-range marker and a path outside the corpus", () => {
    const base = { id: "x", pair: "p", label: "supported", class: "plain", documents: [{ path: "../shared/corpus/a/b.md" }], note: "n" };
    const messages = (value: unknown) => {
      const r = GroundingItem.safeParse(value);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    };
    expect(messages({ ...base, answer: "No marker." })).toEqual(["answer: the answer cites nothing: add [N] markers"]);
    expect(messages({ ...base, answer: "Two [2]." })).toEqual(["answer: [2] is out of range: the item has 1 documents"]);
    expect(messages({ ...base, answer: "One [1].", documents: [{ path: "/etc/passwd" }] })).toEqual(["documents.0.path: a path under ../shared/corpus/ ending in .md"]);
  });
});
