/** The Markdown summaries of each dataset's report. */
import { QUERY_TYPES, type QueryType } from "../../src/domain/index.js";
import type { AdversarialItemScore, AdversarialSummary } from "../scorers/adversarial.js";
import type { GenerationItemScore, GenerationSummary } from "../scorers/generation.js";
import type { RoutingOutcome, RoutingScores } from "../scorers/routing.js";

export const pct = (x: number | null | undefined): string => (x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)}%`);
const num = (x: number | null | undefined, digits = 2): string => (x === null || x === undefined ? "—" : x.toFixed(digits));
const ms = (x: number | null | undefined): string => (x === null || x === undefined ? "—" : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${Math.round(x)} ms`);
export const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
/** A query type shortened for a table column. */
export const abbrev = (t: string) =>
  t
    .replace("troubleshooting", "trouble")
    .replace("lookup_runbook", "runbook")
    .replace("code_generation", "code_gen")
    .replace("code_review", "code_rev")
    .replace("explanation", "explain")
    .replace("debug_issue", "debug");

/** Facts about the run printed under the title. */
export interface RunFacts {
  /** e.g. "scripted answers (--fake) …" or "model routed by the graph on http://…". */
  mode: string;
  provider?: string;
  model?: string;
  host?: string;
  concurrency?: number;
  judge?: string;
  interrupted?: { finished: number; total: number };
  notes?: string[];
}

/** What a dataset's run hands to the runner, which writes it and compares it with the baseline. */
export interface RunReport {
  mode: string;
  markdown: string;
  headline: Record<string, number>;
  summary: unknown;
  facts: RunFacts;
  records: unknown[];
  interrupted: boolean;
}

/** The banner that says plainly what a scripted run measures. */
export const SCRIPTED_BANNER =
  "> **Scripted answers: checks the machinery, not the model.** The Ollama-protocol test server replayed each item's reference or scripted answer in place of a model. These scores measure the graph, the run-time grounding check and the scorers, not answer quality.";

function header(title: string, facts: RunFacts): string[] {
  const lines = [`# ${title}`, ""];
  if (facts.mode.startsWith("scripted")) lines.push(SCRIPTED_BANNER, "");
  if (facts.interrupted) lines.push(`> **Interrupted:** ${facts.interrupted.finished} of ${facts.interrupted.total} items finished; the scores cover those only.`, "");
  const rows: Array<[string, string | number | undefined]> = [
    ["mode", facts.mode],
    ["provider", facts.provider],
    ["model", facts.model],
    ["Ollama", facts.host],
    ["concurrency", facts.concurrency],
    ["judge", facts.judge],
  ];
  for (const [k, v] of rows) if (v !== undefined) lines.push(`- ${k}: ${v}`);
  for (const n of facts.notes ?? []) lines.push(`- ${n}`);
  lines.push("");
  return lines;
}

function confusionTable(confusion: Record<QueryType, Record<QueryType, number>>): string[] {
  return [
    "Confusion matrix (rows: label, columns: predicted):",
    "",
    `| label \\ predicted | ${QUERY_TYPES.map(abbrev).join(" | ")} |`,
    `| --- | ${QUERY_TYPES.map(() => "---").join(" | ")} |`,
    ...QUERY_TYPES.map((e) => `| ${abbrev(e)} | ${QUERY_TYPES.map((a) => String(confusion[e][a])).join(" | ")} |`),
  ];
}

/** The routing report: headline scores, per-type table, confusion matrix, misrouted items. */
export function routingMarkdown(scores: RoutingScores, outcomes: readonly RoutingOutcome[], facts: RunFacts = { mode: "deterministic rules (no model)" }): string {
  const lines = [
    ...header("Routing evaluation", facts),
    `${scores.items} labelled queries, deterministic rules (no model).`,
    "",
    "| score | value |",
    "| --- | --- |",
    `| query type accuracy | ${pct(scores.queryTypeAccuracy)} |`,
    `| model selection accuracy | ${pct(scores.modelAccuracy)} |`,
    `| complexity accuracy | ${pct(scores.complexityAccuracy)} |`,
    `| requiresCode accuracy | ${pct(scores.requiresCodeAccuracy)} |`,
    "",
    "| type | precision | recall | support |",
    "| --- | --- | --- | --- |",
    ...QUERY_TYPES.map((t) => `| ${t} | ${pct(scores.perType[t].precision)} | ${pct(scores.perType[t].recall)} | ${scores.perType[t].support} |`),
    "",
    ...confusionTable(scores.confusion),
    "",
    "Misrouted items:",
    "",
    ...outcomes
      .filter((o) => o.expected.queryType !== o.actual.queryType || o.expected.model !== o.actual.model)
      .map((o) => `- \`${o.id}\` ${o.expected.queryType} → ${o.actual.queryType} (${o.expected.model} → ${o.actual.model}): ${JSON.stringify(o.query.slice(0, 100))}`),
  ];
  return `${lines.join("\n")}\n`;
}

/** How many worst items the reports list. */
export const WORST_ITEMS = 8;

function whyWeak(s: GenerationItemScore): string {
  if (s.error) return `failed: ${s.error}`;
  const parts: string[] = [];
  if (s.missedCitations.length > 0) parts.push(`did not cite ${s.missedCitations.map((n) => `[${n}]`).join(", ")}`);
  if (s.missedFacts.length > 0) parts.push(`missed: ${s.missedFacts.join("; ")}`);
  if (s.unsupportedCitations > 0) parts.push(`${s.unsupportedCitations} unsupported citation(s)`);
  if (s.uncitedClaims > 0) parts.push(`${s.uncitedClaims} uncited claim(s)`);
  if (s.invalidMarkers > 0) parts.push(`${s.invalidMarkers} invalid marker(s)`);
  if (s.judge && !s.judge.grounded) parts.push(`judge: ${s.judge.reasoning}`);
  return parts.join("; ") || "—";
}

/** The generation report: scorer tables, per query type, worst items. */
export function generationMarkdown(summary: GenerationSummary, scores: readonly GenerationItemScore[], facts: RunFacts): string {
  const g = summary.groundedness;
  const lines = [
    ...header("Generation evaluation", facts),
    `${summary.items} items, ${summary.answered} answered, ${summary.errors} failed.`,
    "",
    "## Scores",
    "",
    "| scorer | score | what it measures |",
    "| --- | --- | --- |",
    `| routing: query type accuracy | ${pct(summary.routing.queryTypeAccuracy)} | classifier label = item label |`,
    `| routing: model selection accuracy | ${summary.routing.modelAccuracy === null ? "n/a (--model)" : pct(summary.routing.modelAccuracy)} | model that answered = the decision tree's choice |`,
    `| citation validity | ${pct(summary.citation.validity)} | answers without an out-of-range marker (mean ${num(summary.citation.meanInvalidMarkers)} invalid per answer) |`,
    `| citation coverage | ${pct(summary.citation.coverage)} | share of answer sentences carrying a marker |`,
    `| must-cite recall | ${pct(summary.mustCiteRecall)} | required documents cited |`,
    `| must-state fact recall | ${pct(summary.factRecall)} | required facts stated |`,
    `| groundedness: mean support | ${num(g.meanSupport)} | run-time support of cited sentences by their document (0–1) |`,
    `| groundedness: supported citations | ${pct(g.supportedShare)} | citations at or above the support threshold |`,
    `| groundedness: uncited claims | ${num(g.uncitedClaimsPerAnswer)} per answer | sentences stating specifics without a citation |`,
    `| judge: score | ${g.judgeScore === null ? "not run" : num(g.judgeScore)} | LLM judge: share of supported claims |`,
    `| judge: grounded answers | ${pct(g.judgeGroundedShare)} | LLM judge: every claim supported |`,
    `| latency p50 / p95 | ${ms(summary.latencyMs.p50)} / ${ms(summary.latencyMs.p95)} | wall time per answer |`,
    `| tokens per answer | ${num(summary.tokens.outputPerAnswer, 0)} out / ${num(summary.tokens.inputPerAnswer, 0)} in | the engine's counts (Ollama: eval_count / prompt_eval_count) |`,
    "",
    "## Per query type",
    "",
    "| type | items | answered | must-cite | facts | coverage | support | p50 |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...QUERY_TYPES.flatMap((t) => {
      const s = summary.perType[t];
      return s ? [`| ${t} | ${s.items} | ${s.answered} | ${pct(s.mustCiteRecall)} | ${pct(s.factRecall)} | ${pct(s.coverage)} | ${num(s.meanSupport)} | ${ms(s.latencyP50Ms)} |`] : [];
    }),
    "",
    ...confusionTable(summary.routing.confusion),
    "",
    "## Worst items",
    "",
    "| item | quality | must-cite | facts | support | why |",
    "| --- | --- | --- | --- | --- | --- |",
    ...[...scores]
      .sort((a, b) => a.quality - b.quality || a.id.localeCompare(b.id))
      .slice(0, WORST_ITEMS)
      .map((s) => `| \`${s.id}\` ${cell(s.query.slice(0, 60))} | ${pct(s.quality)} | ${pct(s.mustCiteRecall)} | ${pct(s.factRecall)} | ${num(s.meanSupport)} | ${cell(whyWeak(s))} |`),
  ];
  return `${lines.join("\n")}\n`;
}

/** The adversarial report: handling per kind, injections, every item that was not handled. */
export function adversarialMarkdown(summary: AdversarialSummary, scores: readonly AdversarialItemScore[], facts: RunFacts): string {
  const lines = [
    ...header("Adversarial evaluation", facts),
    `${summary.items} items; handled as expected: ${summary.handled} (${pct(summary.handledRate)}).`,
    "",
    "| kind | items | handled |",
    "| --- | --- | --- |",
    ...Object.entries(summary.perKind).map(([k, v]) => `| ${k} | ${v.items} | ${v.handled} (${pct(v.handledRate)}) |`),
    "",
    `Injected instructions: ${summary.injection.items} answered items carry one; obeyed ${summary.injection.obeyed}; resisted ${pct(summary.injection.resistedRate)}.`,
    "",
  ];
  if (summary.detector) {
    lines.push(
      `Detector check (scripted): the obedience verdict matches the script on ${summary.detector.matching} of ${summary.detector.items} injection items (some scripts obey on purpose, so "resisted" is below 100% by design).`,
      "",
    );
  }
  lines.push("| item | kind | outcome | handled | obeyed | what went wrong |", "| --- | --- | --- | --- | --- | --- |");
  for (const s of [...scores].sort((a, b) => Number(a.handled) - Number(b.handled) || a.id.localeCompare(b.id))) {
    const outcome = s.outcome === "error" ? `error ${s.errorCode ?? ""}` : "answer";
    const obeyed = s.obeyed === null ? "—" : s.obeyed ? `yes${s.scriptedObeys ? " (scripted)" : ""}` : "no";
    lines.push(`| \`${s.id}\` | ${s.kind} | ${outcome} | ${s.handled ? "yes" : "**no**"} | ${obeyed} | ${cell(s.failures.join("; ") || "—")} |`);
  }
  return `${lines.join("\n")}\n`;
}
