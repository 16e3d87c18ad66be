/** The datasets parse against their schemas and hold what the issue asks for. */
import { describe, expect, it } from "vitest";
import { AdversarialItem, assertUniqueQueries, GenerationItem, materializeAdversarial, readJsonl, RoutingItem } from "./schema.js";

const dir = new URL("./", import.meta.url).pathname;

describe("datasets", () => {
  it("routing: 472 labelled development queries and 107 held-out ones", async () => {
    expect(await readJsonl(`${dir}routing.jsonl`, RoutingItem)).toHaveLength(472);
    expect(await readJsonl(`${dir}routing.heldout.jsonl`, RoutingItem)).toHaveLength(107);
  });

  it("generation: at least 30 items of 2–6 documents whose reference answers cite and state what they must", async () => {
    const items = await readJsonl(`${dir}generation.jsonl`, GenerationItem);
    expect(items.length).toBeGreaterThanOrEqual(30);
    for (const item of items) {
      expect(item.documents.length).toBeGreaterThanOrEqual(2);
      expect(item.documents.length).toBeLessThanOrEqual(6);
      // Short excerpts, attributed.
      for (const d of item.documents) {
        expect(d.content.length).toBeLessThan(1500);
        expect(d.source).toMatch(/^(shared\/corpus\/|examples\/runbooks\/)/);
      }
    }
    expect(() => assertUniqueQueries(items, "generation.jsonl")).not.toThrow();
  });

  it("adversarial: injections, out-of-range citations, empty and huge inputs, each with its expected handling", async () => {
    const items = await readJsonl(`${dir}adversarial.jsonl`, AdversarialItem);
    const kinds = new Set(items.map((i) => i.kind));
    expect([...kinds].sort()).toEqual(["citation_out_of_range", "empty_input", "huge_input", "prompt_injection"]);
    expect(() =>
      assertUniqueQueries(
        items.map((i) => ({ id: i.id, query: materializeAdversarial(i).query })),
        "adversarial.jsonl",
      ),
    ).not.toThrow();
    const sizes = items.map((i) => materializeAdversarial(i));
    expect(sizes.some((s) => s.query.length > 8000)).toBe(true);
    expect(sizes.some((s) => s.documents.some((d) => d.content.length > 200_000))).toBe(true);
    expect(sizes.some((s) => s.documents.length > 50)).toBe(true);
    expect(sizes.some((s) => s.query.trim() === "")).toBe(true);
  });

  it("the schemas reject inconsistent items with a message naming the field", () => {
    const base = {
      id: "x",
      query: "q",
      queryType: "troubleshooting",
      expectedModel: "m",
      documents: [
        { title: "a", source: "s", content: "c" },
        { title: "b", source: "s", content: "c" },
      ],
      mustCite: [3],
      mustState: [{ fact: "f", anyOf: ["zzz"] }],
      referenceAnswer: "ref [1]",
    };
    const r = GenerationItem.safeParse(base);
    expect(r.success).toBe(false);
    const messages = r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(messages).toEqual([
      "mustCite: [3] is out of range: the item has 2 documents",
      "referenceAnswer: the reference answer does not cite [3], which mustCite requires",
      'mustState: the reference answer does not state "f" (none of ["zzz"])',
    ]);
    expect(AdversarialItem.safeParse({ id: "y", kind: "empty_input", description: "d", query: "", expect: { outcome: "error" } }).success).toBe(false);
  });

  it("materializeAdversarial expands repeats and cycles documents", () => {
    const item = AdversarialItem.parse({
      id: "z",
      kind: "huge_input",
      description: "d",
      query: "ab",
      queryRepeat: 3,
      documents: [{ content: "x", repeat: 2 }, { content: "y" }],
      documentCount: 3,
      expect: { outcome: "error", errorCode: "INVALID_INPUT" },
    });
    expect(materializeAdversarial(item)).toEqual({ query: "ab ab ab", documents: [{ content: "x\nx" }, { content: "y" }, { content: "x\nx" }] });
  });
});
