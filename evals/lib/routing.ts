/**
 * The routing evaluation (`npm run eval -- --dataset routing`): the deterministic classifier and
 * router over two labelled parts, side by side.
 *
 * - development (`routing.jsonl`): the part the rules are tuned on and the learned component is
 *   trained on (`npm run train:routing`).
 * - held-out (`routing.heldout.jsonl`): written and committed before the rules were tuned; never
 *   read by tuning or training. Its figure is the estimate of how routing does on new queries.
 *
 * Each part gets query-type and family accuracy (see `QUERY_FAMILY`), model, complexity and
 * requiresCode accuracy, and its misses. The classifier variants (rules alone, rules with the
 * learned component) are compared on both parts, with the time each takes per query.
 */
import { join } from "node:path";
import { DEFAULT_CATALOG } from "../../src/domain/catalog.js";
import { QUERY_TYPES } from "../../src/domain/index.js";
import { classifyQuery, type Classification, type ClassifyOptions } from "../../src/tools/classifier.js";
import { preferredModel } from "../../src/tools/router.js";
import { readJsonl, RoutingItem } from "../datasets/schema.js";
import { familyOf, scoreRouting, type RoutingOutcome, type RoutingScores } from "../scorers/routing.js";
import { abbrev, cell, pct, type RunFacts, type RunReport } from "./markdown.js";

/** The two parts of the routing set and their files in `evals/datasets/`. */
export const ROUTING_PARTS = { development: "routing.jsonl", heldout: "routing.heldout.jsonl" } as const;
export type RoutingPart = keyof typeof ROUTING_PARTS;
const PART_LABEL: Record<RoutingPart, string> = { development: "development", heldout: "held-out" };
const PARTS = Object.keys(ROUTING_PARTS) as RoutingPart[];

/** A way of classifying a query that the report compares. */
export interface RoutingVariant {
  name: string;
  options: ClassifyOptions;
}

/** The production classifier comes last: its outcomes are the ones scored in full. */
export const ROUTING_VARIANTS: readonly RoutingVariant[] = [
  { name: "rules alone", options: { learned: false } },
  { name: "rules + learned model (production)", options: {} },
];

export interface PartOutcome extends RoutingOutcome {
  part: RoutingPart;
}

/** One item through a classifier and the router. */
export function routeItem(item: RoutingItem, part: RoutingPart, classify: (query: string) => Classification = (q) => classifyQuery(q)): PartOutcome {
  const c = classify(item.query);
  const model = preferredModel(DEFAULT_CATALOG, { ...c, maxLatencyMs: item.maxLatencyMs }).tag;
  return {
    id: item.id,
    part,
    query: item.query,
    expected: { queryType: item.queryType, complexity: item.complexity, requiresCode: item.requiresCode, model: item.expectedModel },
    actual: { queryType: c.queryType, complexity: c.complexity, requiresCode: c.requiresCode, model },
  };
}

export interface VariantFigures {
  name: string;
  /** Query-type and family accuracy per part. */
  parts: Record<RoutingPart, { items: number; queryTypeAccuracy: number; familyAccuracy: number }>;
  /** Classification time per query over every item of both parts (classifyQuery, µs; best of several passes). */
  microsPerQuery: number;
}

export interface RoutingRun {
  items: Record<RoutingPart, Array<RoutingItem & { part: RoutingPart }>>;
  outcomes: Record<RoutingPart, PartOutcome[]>;
  scores: Record<RoutingPart, RoutingScores>;
  variants: VariantFigures[];
}

/**
 * µs per classification of `queries` with `options`: the best of `rounds` passes over all of
 * them (the best pass is the one least disturbed by other work on the machine). Call it after a
 * warm-up pass of every variant, so none pays for compiling the shared regexes.
 */
export function timeClassifier(queries: readonly string[], options: ClassifyOptions, rounds = 5): number {
  if (queries.length === 0) return 0;
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const started = performance.now();
    for (const q of queries) classifyQuery(q, undefined, options);
    best = Math.min(best, performance.now() - started);
  }
  return (best * 1000) / queries.length;
}

/** Reads both parts; `select` narrows them (--ids / --limit) over the development items first, then the held-out ones. */
export async function loadRoutingParts(datasetsDir: string, select: <T extends { id: string }>(items: readonly T[]) => T[] = (items) => [...items]): Promise<RoutingRun["items"]> {
  const all: Array<RoutingItem & { part: RoutingPart }> = [];
  for (const part of PARTS) all.push(...(await readJsonl(join(datasetsDir, ROUTING_PARTS[part]), RoutingItem)).map((i) => ({ ...i, part })));
  const selected = select(all);
  return { development: selected.filter((i) => i.part === "development"), heldout: selected.filter((i) => i.part === "heldout") };
}

/** Classifies both parts with every variant; the last variant's outcomes are scored in full. */
export function runRoutingParts(items: RoutingRun["items"], variants: readonly RoutingVariant[] = ROUTING_VARIANTS, timingRounds?: number): RoutingRun {
  const queries = PARTS.flatMap((p) => items[p].map((i) => i.query));
  for (const variant of variants) for (const q of queries) classifyQuery(q, undefined, variant.options); // warm-up
  const figures: VariantFigures[] = [];
  let last: Record<RoutingPart, PartOutcome[]> = { development: [], heldout: [] };
  for (const variant of variants) {
    const classify = (q: string) => classifyQuery(q, undefined, variant.options);
    const outcomes = { development: items.development.map((i) => routeItem(i, "development", classify)), heldout: items.heldout.map((i) => routeItem(i, "heldout", classify)) };
    const parts = Object.fromEntries(
      PARTS.map((p) => {
        const s = scoreRouting(outcomes[p]);
        return [p, { items: s.items, queryTypeAccuracy: s.queryTypeAccuracy, familyAccuracy: s.familyAccuracy }];
      }),
    ) as VariantFigures["parts"];
    figures.push({ name: variant.name, parts, microsPerQuery: timeClassifier(queries, variant.options, timingRounds) });
    last = outcomes;
  }
  return { items, outcomes: last, scores: { development: scoreRouting(last.development), heldout: scoreRouting(last.heldout) }, variants: figures };
}

/** The headline scores compared with the baseline: the development part, as before the split. */
export function routingHeadline(scores: RoutingScores): Record<string, number> {
  const r = (x: number) => Math.round(x * 10_000) / 10_000;
  return {
    "routing.queryTypeAccuracy": r(scores.queryTypeAccuracy),
    "routing.modelAccuracy": r(scores.modelAccuracy),
    "routing.complexityAccuracy": r(scores.complexityAccuracy),
    "routing.requiresCodeAccuracy": r(scores.requiresCodeAccuracy),
  };
}

const figure = (x: number, n: number) => (n === 0 ? "—" : pct(x));

function missLines(outcomes: readonly PartOutcome[]): string[] {
  const misses = outcomes.filter((o) => o.expected.queryType !== o.actual.queryType);
  if (misses.length === 0) return ["none"];
  return misses.map((o) => {
    const family = familyOf(o.expected.queryType) === familyOf(o.actual.queryType) ? "same family" : "**family miss**";
    return `- \`${o.id}\` ${o.expected.queryType} → ${o.actual.queryType} (${family}): ${JSON.stringify(o.query.length > 110 ? `${o.query.slice(0, 110)}…` : o.query)}`;
  });
}

function partDetail(scores: RoutingScores): string[] {
  return [
    "| type | precision | recall | support |",
    "| --- | --- | --- | --- |",
    ...QUERY_TYPES.map((t) => `| ${t} | ${pct(scores.perType[t].precision)} | ${pct(scores.perType[t].recall)} | ${scores.perType[t].support} |`),
    "",
    "Confusion matrix (rows: label, columns: predicted):",
    "",
    `| label \\ predicted | ${QUERY_TYPES.map(abbrev).join(" | ")} |`,
    `| --- | ${QUERY_TYPES.map(() => "---").join(" | ")} |`,
    ...QUERY_TYPES.map((e) => `| ${abbrev(e)} | ${QUERY_TYPES.map((a) => String(scores.confusion[e][a])).join(" | ")} |`),
  ];
}

/**
 * The report. Everything before "Misrouted items:" is what the CLI prints: the side-by-side
 * scores, the variants, each part's query-type misses, per-type tables and confusion matrices.
 * The model-selection misroutes of both parts follow in the file only.
 */
export function routingPartsMarkdown(run: RoutingRun, facts: RunFacts): string {
  const { scores, outcomes } = run;
  const dev = scores.development;
  const held = scores.heldout;
  const row = (label: string, pick: (s: RoutingScores) => number) => `| ${label} | ${figure(pick(dev), dev.items)} | ${figure(pick(held), held.items)} |`;
  const lines = [
    "# Routing evaluation",
    "",
    `- mode: ${facts.mode}`,
    ...(facts.notes ?? []).map((n) => `- ${n}`),
    "",
    `| score | ${PART_LABEL.development} (${ROUTING_PARTS.development}) | ${PART_LABEL.heldout} (${ROUTING_PARTS.heldout}) |`,
    "| --- | --- | --- |",
    `| items | ${dev.items} | ${held.items} |`,
    row("query type accuracy", (s) => s.queryTypeAccuracy),
    row("family accuracy", (s) => s.familyAccuracy),
    row("model selection accuracy", (s) => s.modelAccuracy),
    row("complexity accuracy", (s) => s.complexityAccuracy),
    row("requiresCode accuracy", (s) => s.requiresCodeAccuracy),
    "",
    "Classifier variants (query type / family accuracy; classifyQuery time per query over both parts, best of 5 passes):",
    "",
    "| classifier | dev type | dev family | held-out type | held-out family | µs per query |",
    "| --- | --- | --- | --- | --- | --- |",
    ...run.variants.map((v) => {
      const d = v.parts.development;
      const h = v.parts.heldout;
      return `| ${v.name} | ${figure(d.queryTypeAccuracy, d.items)} | ${figure(d.familyAccuracy, d.items)} | ${figure(h.queryTypeAccuracy, h.items)} | ${figure(h.familyAccuracy, h.items)} | ${v.microsPerQuery.toFixed(1)} |`;
    }),
    "",
  ];
  for (const part of PARTS) {
    lines.push(`## ${PART_LABEL[part]}: query-type misses (${outcomes[part].filter((o) => o.expected.queryType !== o.actual.queryType).length})`, "", ...missLines(outcomes[part]), "");
  }
  for (const part of PARTS) lines.push(`## ${PART_LABEL[part]}: per type`, "", ...partDetail(scores[part]), "");
  lines.push(
    "Misrouted items:",
    "",
    ...PARTS.flatMap((part) =>
      outcomes[part]
        .filter((o) => o.expected.queryType !== o.actual.queryType || o.expected.model !== o.actual.model)
        .map((o) => `- ${PART_LABEL[part]} \`${o.id}\` ${o.expected.queryType} → ${o.actual.queryType} (${o.expected.model} → ${o.actual.model}): ${cell(JSON.stringify(o.query.slice(0, 100)))}`),
    ),
  );
  return `${lines.join("\n")}\n`;
}

/** The report the runner writes and compares with the baseline (the runner's `finishReport` input). */
export type RoutingReport = RunReport;

export interface RoutingGates {
  /** Development query-type or model accuracy below this fails the run. */
  minAccuracy?: number | undefined;
  /** Held-out family accuracy below this fails the run. */
  minHeldoutFamily?: number | undefined;
}

/** The gate failures of a run, one line each (empty when it passes). */
export function routingGateFailures(scores: RoutingRun["scores"], gates: RoutingGates): string[] {
  const failures: string[] = [];
  const dev = scores.development;
  if (gates.minAccuracy !== undefined && (dev.queryTypeAccuracy < gates.minAccuracy || dev.modelAccuracy < gates.minAccuracy)) {
    failures.push(`query type ${pct(dev.queryTypeAccuracy)} / model ${pct(dev.modelAccuracy)} below the gate ${pct(gates.minAccuracy)}`);
  }
  if (gates.minHeldoutFamily !== undefined) {
    if (scores.heldout.items === 0) failures.push("--min-heldout-family: no held-out items were selected");
    else if (scores.heldout.familyAccuracy < gates.minHeldoutFamily) failures.push(`held-out family accuracy ${pct(scores.heldout.familyAccuracy)} below the gate ${pct(gates.minHeldoutFamily)}`);
  }
  return failures;
}

export interface RoutingEvalDeps {
  datasetsDir: string;
  /** Narrows the items (--ids / --limit); throws the runner's usage error on an unknown id. */
  select: <T extends { id: string }>(items: readonly T[]) => T[];
  /** Writes the report, compares with the baseline, prints; returns the exit code. */
  finish: (report: RoutingReport) => Promise<number>;
  stderr: { write(text: string): unknown };
  /** Set when --langsmith was given: routing always runs locally. */
  langsmithNote?: string | undefined;
}

/** The routing dataset end to end; returns the exit code. */
export async function runRoutingEval(gates: RoutingGates, deps: RoutingEvalDeps): Promise<number> {
  const items = await loadRoutingParts(deps.datasetsDir, deps.select);
  const run = runRoutingParts(items);
  if (deps.langsmithNote) deps.stderr.write(deps.langsmithNote);
  const facts: RunFacts = {
    mode: "deterministic: rules, and a naive-Bayes model trained at build time on the development part when the rules are unsure (no model call)",
    notes: ["the held-out part was written before the rules were tuned and is never read by tuning or training (evals/datasets/README.md)"],
  };
  const markdown = routingPartsMarkdown(run, facts);
  let code = await deps.finish({
    mode: "rules",
    markdown,
    headline: routingHeadline(run.scores.development),
    summary: { ...run.scores.development, heldout: run.scores.heldout, variants: run.variants },
    facts,
    records: [...run.outcomes.development, ...run.outcomes.heldout],
    interrupted: false,
  });
  for (const failure of routingGateFailures(run.scores, gates)) {
    deps.stderr.write(`eval: FAILED: ${failure}\n`);
    code = 1;
  }
  return code;
}
