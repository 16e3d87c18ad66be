import { readFile } from "node:fs/promises";
import { z } from "zod";
import { Complexity, QueryType } from "../../src/domain/index.js";

/** One labelled routing query (`routing.jsonl`). */
export const RoutingItem = z.object({
  id: z.string().min(1),
  query: z.string().min(1),
  queryType: QueryType,
  complexity: Complexity,
  requiresCode: z.boolean(),
  maxLatencyMs: z.number().positive().optional(),
  expectedModel: z.string().min(1),
  note: z.string().optional(),
});
export type RoutingItem = z.infer<typeof RoutingItem>;

/** A context document of a dataset item (a short runbook excerpt; `source` names where it is from). */
export const DatasetDocument = z.object({
  title: z.string().min(1),
  source: z.string().min(1),
  content: z.string().min(1),
});
export type DatasetDocument = z.infer<typeof DatasetDocument>;

/** A fact the answer must state: it is stated when the answer contains any of `anyOf` (case and spacing ignored). */
export const Fact = z.object({
  fact: z.string().min(1),
  anyOf: z.array(z.string().min(1)).min(1),
});
export type Fact = z.infer<typeof Fact>;

const docNumber = z.number().int().min(1);

/** One generation item (`generation.jsonl`): a question, 2–6 documents, and what a good answer cites and says. */
export const GenerationItem = z
  .object({
    id: z.string().min(1),
    query: z.string().min(1),
    /** The query type a careful human would give it (same definitions as routing.jsonl). */
    queryType: QueryType,
    /** The model the router should pick (routing.jsonl's decision tree). */
    expectedModel: z.string().min(1),
    documents: z.array(DatasetDocument).min(2).max(6),
    /** Document numbers (1-based) a good answer must cite. */
    mustCite: z.array(docNumber).min(1),
    /** Facts a good answer must state. */
    mustState: z.array(Fact).min(1),
    /** A good answer, citing as [N]; `--fake` replays it as the model's answer. */
    referenceAnswer: z.string().min(1),
    note: z.string().optional(),
  })
  .superRefine((item, ctx) => {
    for (const n of item.mustCite) {
      if (n > item.documents.length) ctx.addIssue({ code: "custom", path: ["mustCite"], message: `[${n}] is out of range: the item has ${item.documents.length} documents` });
      if (!item.referenceAnswer.includes(`[${n}]`)) ctx.addIssue({ code: "custom", path: ["referenceAnswer"], message: `the reference answer does not cite [${n}], which mustCite requires` });
    }
    const text = normalizeForMatch(item.referenceAnswer);
    for (const fact of item.mustState) {
      if (!fact.anyOf.some((alt) => text.includes(normalizeForMatch(alt)))) {
        ctx.addIssue({ code: "custom", path: ["mustState"], message: `the reference answer does not state "${fact.fact}" (none of ${JSON.stringify(fact.anyOf)})` });
      }
    }
  });
export type GenerationItem = z.infer<typeof GenerationItem>;

/** Lower case, backticks, bold markers and repeated whitespace removed: how answers and facts are compared. */
export function normalizeForMatch(text: string): string {
  return text.toLowerCase().replace(/[`*]/g, "").replace(/\s+/g, " ").trim();
}

export const ADVERSARIAL_KINDS = ["prompt_injection", "citation_out_of_range", "empty_input", "huge_input"] as const;
export const AdversarialKind = z.enum(ADVERSARIAL_KINDS);
export type AdversarialKind = z.infer<typeof AdversarialKind>;

/** A document of an adversarial item; `repeat` makes a huge one (the content N times, one per line). */
export const AdversarialDocument = z.object({
  title: z.string().optional(),
  source: z.string().optional(),
  content: z.string(),
  repeat: z.number().int().min(1).max(100_000).optional(),
});
export type AdversarialDocument = z.infer<typeof AdversarialDocument>;

/** What the pipeline should do with an adversarial item. */
export const ExpectedHandling = z.object({
  /** `answer`: an answer comes back; `error`: the run fails with `errorCode`. */
  outcome: z.enum(["answer", "error"]),
  errorCode: z.string().min(1).optional(),
  /** The injected instruction was obeyed if the answer contains any of `answerContains` or a warning any of `warningContains`. */
  injection: z
    .object({
      instruction: z.string().min(1),
      answerContains: z.array(z.string().min(1)).default([]),
      warningContains: z.array(z.string().min(1)).default([]),
    })
    .optional(),
  /** The returned answer must carry no out-of-range marker (default true for answers). */
  noInvalidCitations: z.boolean().default(true),
  /** The answer must carry no citation at all. */
  noCitations: z.boolean().optional(),
  mustCite: z.array(docNumber).optional(),
  mustNotCite: z.array(docNumber).optional(),
  /** Each must appear in some warning. */
  warningsInclude: z.array(z.string().min(1)).optional(),
  /** None may appear in any warning. */
  warningsExclude: z.array(z.string().min(1)).optional(),
});
export type ExpectedHandling = z.infer<typeof ExpectedHandling>;

/** One adversarial item (`adversarial.jsonl`). */
export const AdversarialItem = z
  .object({
    id: z.string().min(1),
    kind: AdversarialKind,
    /** What the item tests and the expected handling, in words. */
    description: z.string().min(1),
    query: z.string(),
    /** Repeat the query this many times (space-separated) to make a huge one. */
    queryRepeat: z.number().int().min(1).max(100_000).optional(),
    documents: z.array(AdversarialDocument).default([]),
    /** Cycle the documents until there are this many. */
    documentCount: z.number().int().min(1).max(1000).optional(),
    expect: ExpectedHandling,
    /**
     * For `--fake` only: the model's answers in call order (a citation repair round takes the
     * next one; the last repeats), and whether that script obeys the injected instruction, so a
     * scripted run checks that the scorer tells the two apart.
     */
    scripted: z
      .object({
        answers: z.array(z.string().min(1)).min(1),
        obeys: z.boolean().default(false),
      })
      .optional(),
  })
  .superRefine((item, ctx) => {
    if (item.expect.outcome === "error" && !item.expect.errorCode) ctx.addIssue({ code: "custom", path: ["expect", "errorCode"], message: "an expected error needs its code" });
    if (item.expect.outcome === "answer" && !item.scripted) ctx.addIssue({ code: "custom", path: ["scripted"], message: "an item expecting an answer needs scripted answers for --fake" });
  });
export type AdversarialItem = z.infer<typeof AdversarialItem>;

/** The query and documents an adversarial item sends, with repeats expanded. */
export function materializeAdversarial(item: AdversarialItem): { query: string; documents: Array<{ content: string; title?: string; source?: string }> } {
  const query = item.queryRepeat ? Array.from({ length: item.queryRepeat }, () => item.query).join(" ") : item.query;
  const base = item.documents.map((d) => {
    const content = d.repeat ? Array.from({ length: d.repeat }, () => d.content).join("\n") : d.content;
    return { content, ...(d.title !== undefined ? { title: d.title } : {}), ...(d.source !== undefined ? { source: d.source } : {}) };
  });
  const count = item.documentCount ?? base.length;
  const documents = base.length === 0 ? [] : Array.from({ length: count }, (_, i) => base[i % base.length] ?? { content: "" });
  return { query, documents };
}

export const GROUNDING_CLASSES = ["composite", "role", "paraphrase", "near_command", "plain"] as const;

/** A runbook of `../shared/corpus/` named by its path from the repository root; `section` picks one `## ` section. */
export const GroundingDocument = z.object({
  path: z.string().regex(/^\.\.\/shared\/corpus\/.+\.md$/, "a path under ../shared/corpus/ ending in .md"),
  section: z.string().min(1).optional(),
});
export type GroundingDocument = z.infer<typeof GroundingDocument>;

/**
 * One grounding item (`grounding.dev.jsonl`, `grounding.heldout.jsonl`): a short answer citing
 * runbooks as [N], labelled supported or fabricated. Items come in pairs (same `pair`, same
 * documents, one of each label); `class` names what makes the pair hard.
 */
export const GroundingItem = z
  .object({
    id: z.string().min(1),
    pair: z.string().min(1),
    label: z.enum(["supported", "fabricated"]),
    class: z.enum(GROUNDING_CLASSES),
    documents: z.array(GroundingDocument).min(1).max(5),
    answer: z.string().min(1).max(1000),
    note: z.string().min(1),
  })
  .superRefine((item, ctx) => {
    const cited = [...item.answer.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
    if (cited.length === 0) ctx.addIssue({ code: "custom", path: ["answer"], message: "the answer cites nothing: add [N] markers" });
    for (const n of cited) {
      if (n < 1 || n > item.documents.length) ctx.addIssue({ code: "custom", path: ["answer"], message: `[${n}] is out of range: the item has ${item.documents.length} documents` });
    }
  });
export type GroundingItem = z.infer<typeof GroundingItem>;

/** The datasets the runner knows, and the schema of each. */
export const DATASETS = ["routing", "generation", "adversarial"] as const;
export type DatasetName = (typeof DATASETS)[number];

/** Fails when two items share a query (scripted answers are matched to requests by query). */
export function assertUniqueQueries(items: ReadonlyArray<{ id: string; query: string }>, path: string): void {
  const seen = new Map<string, string>();
  for (const item of items) {
    const key = item.query.trim();
    const other = seen.get(key);
    if (other !== undefined && key !== "") throw new Error(`${path}: items ${other} and ${item.id} have the same query`);
    seen.set(key, item.id);
  }
}

/** Reads a JSONL dataset, validating every line; errors name the file and line. */
export async function readJsonl<T>(path: string, schema: z.ZodType<T, unknown>): Promise<T[]> {
  const text = await readFile(path, "utf8");
  const items: T[] = [];
  const ids = new Set<string>();
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (cause) {
      throw new Error(`${path}:${i + 1}: not JSON: ${(cause as Error).message}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new Error(`${path}:${i + 1}: ${z.prettifyError(parsed.error)}`);
    const id = (parsed.data as { id?: unknown }).id;
    if (typeof id === "string") {
      if (ids.has(id)) throw new Error(`${path}:${i + 1}: duplicate id ${id}`);
      ids.add(id);
    }
    items.push(parsed.data);
  });
  return items;
}
