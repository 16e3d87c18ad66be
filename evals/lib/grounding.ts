/**
 * The grounding evaluation: `npm run eval -- --dataset grounding [options]`.
 *
 * Scores every labelled answer of `grounding.dev.jsonl` and `grounding.heldout.jsonl` with the
 * run-time grounding check (`groundAnswer`, string scoring, no model) against the real runbooks
 * of `../shared/corpus/`, and reports per split: AUC (supported above fabricated), accuracy at
 * the support threshold, the mean score of each label, per-class accuracy and the worst cases.
 * An answer's score is the lowest support of its scored citations (one unsupported sentence
 * makes the answer unsupported). It also measures the cost of one `groundAnswer` call on a
 * 1,500-token answer over five 6,000-character documents.
 */
import { readFile, mkdir, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { basename, extname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { ContextDocument } from "../../src/domain/index.js";
import { DEFAULT_SUPPORT_THRESHOLD, groundAnswer } from "../../src/tools/grounding/index.js";
import { DEFAULT_CHARS_PER_TOKEN } from "../../src/tools/tokens.js";
import { GroundingItem, readJsonl, type GroundingDocument } from "../datasets/schema.js";
import { percentile, round } from "../scorers/stats.js";

/** The repository root: dataset paths (`../shared/corpus/…`) are relative to it. */
export const REPO_ROOT = resolve(new URL("../../", import.meta.url).pathname);
const DATASETS_DIR = new URL("../datasets/", import.meta.url).pathname;
export const GROUNDING_SPLITS = { dev: "grounding.dev.jsonl", heldout: "grounding.heldout.jsonl" } as const;
export type GroundingSplit = keyof typeof GROUNDING_SPLITS;

export const GROUNDING_USAGE = `usage: npm run eval -- --dataset grounding [options]

  --split dev|heldout|all     which part to score (default all)
  --min-heldout-auc X         fail when the held-out AUC is below X (0..1)
  --min-heldout-accuracy X    fail when the held-out accuracy at the threshold is below X (0..1)
  --max-call-ms X             fail when the fastest groundAnswer call of the cost run takes more than X ms
  --out DIR                   report folder (default evals/reports)
  -h, --help                  this text`;

// ---------------------------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------------------------

/** A file's title: its first `# ` heading outside code fences, else front matter `title:`, else its name. */
export function corpusTitle(text: string, path: string): string {
  let fence = false;
  for (const line of text.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    const h = !fence ? /^#\s+(.+)$/.exec(line) : null;
    if (h?.[1]) return h[1].trim();
  }
  const front = /^---\n[\s\S]*?^title:\s*["']?(.+?)["']?\s*$/m.exec(text);
  return front?.[1]?.trim() ?? basename(path, extname(path));
}

/** The `## section` of a Markdown text, heading line included, to the next `## ` outside code fences. */
export function markdownSection(text: string, section: string): string | undefined {
  const lines = text.split("\n");
  let fence = false;
  let start = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    const h = !fence ? /^##\s+(.+?)\s*$/.exec(line) : null;
    if (!h) continue;
    if (start >= 0) return lines.slice(start, i).join("\n").trim();
    if (h[1] === section) start = i;
  }
  return start >= 0 ? lines.slice(start).join("\n").trim() : undefined;
}

const fileCache = new Map<string, string>();

/** Reads a dataset document from the corpus (a whole runbook or one section); errors name the path. */
export async function loadCorpusDocument(doc: GroundingDocument, root = REPO_ROOT): Promise<ContextDocument & { title: string; source: string }> {
  const full = resolve(root, doc.path);
  let text = fileCache.get(full);
  if (text === undefined) {
    try {
      text = await readFile(full, "utf8");
    } catch (cause) {
      throw new Error(`cannot read ${doc.path} (${(cause as NodeJS.ErrnoException).code ?? "error"}): the grounding datasets need ../shared/corpus beside the repository`, { cause });
    }
    fileCache.set(full, text);
  }
  const title = corpusTitle(text, full);
  if (!doc.section) return { title, source: doc.path, content: text };
  const content = markdownSection(text, doc.section);
  if (content === undefined) throw new Error(`${doc.path} has no section '## ${doc.section}'`);
  return { title: `${title} › ${doc.section}`, source: `${doc.path}#${doc.section}`, content };
}

// ---------------------------------------------------------------------------------------------
// Scores
// ---------------------------------------------------------------------------------------------

export interface ScoredItem {
  id: string;
  pair: string;
  label: GroundingItem["label"];
  class: GroundingItem["class"];
  /** Lowest support among the answer's scored citations (0 when none was scored). */
  score: number;
  correct: boolean;
  answer: string;
  note: string;
  missing: string[];
}

/** Scores one item with `groundAnswer`. */
export async function scoreGroundingItem(item: GroundingItem, threshold = DEFAULT_SUPPORT_THRESHOLD, root = REPO_ROOT): Promise<ScoredItem> {
  const documents = await Promise.all(item.documents.map((d) => loadCorpusDocument(d, root)));
  const result = groundAnswer(item.answer, documents, { threshold });
  const supports = result.citations.filter((c) => c.support !== undefined).map((c) => c.support ?? 0);
  const score = supports.length === 0 ? 0 : Math.min(...supports);
  const missing = [...new Set(result.citations.flatMap((c) => c.missing ?? []))];
  const correct = item.label === "supported" ? score >= threshold : score < threshold;
  return { id: item.id, pair: item.pair, label: item.label, class: item.class, score, correct, answer: item.answer, note: item.note, missing };
}

/** Probability that a random supported item scores above a random fabricated one (ties count half). */
export function auc(positives: readonly number[], negatives: readonly number[]): number | null {
  if (positives.length === 0 || negatives.length === 0) return null;
  let wins = 0;
  for (const p of positives) for (const n of negatives) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (positives.length * negatives.length);
}

export interface SplitSummary {
  split: GroundingSplit;
  items: number;
  runbooks: number;
  auc: number | null;
  accuracy: number;
  supportedMean: number;
  fabricatedMean: number;
  byClass: Record<string, { items: number; accuracy: number }>;
  worst: ScoredItem[];
}

const avg = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

/** The figures of one split; `worst` lists the wrongly judged items, most wrong first. */
export function summarizeSplit(split: GroundingSplit, items: readonly GroundingItem[], scored: readonly ScoredItem[], threshold = DEFAULT_SUPPORT_THRESHOLD): SplitSummary {
  const sup = scored.filter((s) => s.label === "supported").map((s) => s.score);
  const fab = scored.filter((s) => s.label === "fabricated").map((s) => s.score);
  const byClass: SplitSummary["byClass"] = {};
  for (const s of scored) {
    const c = (byClass[s.class] ??= { items: 0, accuracy: 0 });
    c.items += 1;
    c.accuracy += s.correct ? 1 : 0;
  }
  for (const c of Object.values(byClass)) c.accuracy = round(c.accuracy / c.items);
  const wrongness = (s: ScoredItem) => (s.label === "supported" ? threshold - s.score : s.score - threshold);
  const worst = scored.filter((s) => !s.correct).sort((a, b) => wrongness(b) - wrongness(a) || a.id.localeCompare(b.id));
  const a = auc(sup, fab);
  return {
    split,
    items: scored.length,
    runbooks: new Set(items.flatMap((i) => i.documents.map((d) => d.path))).size,
    auc: a === null ? null : round(a),
    accuracy: round(avg(scored.map((s) => (s.correct ? 1 : 0)))),
    supportedMean: round(avg(sup)),
    fabricatedMean: round(avg(fab)),
    byClass,
    worst,
  };
}

// ---------------------------------------------------------------------------------------------
// Cost
// ---------------------------------------------------------------------------------------------

export const COST_ANSWER_TOKENS = 1500;
export const COST_DOCUMENTS = 5;
export const COST_DOCUMENT_CHARS = 6000;

/**
 * The cost workload: a 1,500-token answer (estimated at DEFAULT_CHARS_PER_TOKEN) made of the
 * dataset's answers, their markers spread over [1]..[5], and five 6,000-character documents
 * made of the runbooks those answers cite.
 */
export async function costWorkload(items: readonly GroundingItem[], root = REPO_ROOT): Promise<{ answer: string; documents: ContextDocument[] }> {
  const chars = Math.ceil(COST_ANSWER_TOKENS * DEFAULT_CHARS_PER_TOKEN);
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < chars; i++) {
    const item = items[i % items.length];
    if (!item) break;
    const n = (i % COST_DOCUMENTS) + 1;
    const text = item.answer.replace(/\[\d+\]/g, `[${n}]`);
    parts.push(text);
    length += text.length + 1;
  }
  const texts = await Promise.all([...new Set(items.flatMap((i) => i.documents))].map(async (d) => (await loadCorpusDocument(d, root)).content));
  const documents: ContextDocument[] = [];
  let cursor = 0;
  for (let d = 0; d < COST_DOCUMENTS; d++) {
    let content = "";
    while (content.length < COST_DOCUMENT_CHARS && texts.length > 0) content += `${texts[cursor++ % texts.length]}\n\n`;
    documents.push({ title: `cost document ${d + 1}`, content: content.slice(0, COST_DOCUMENT_CHARS) });
  }
  return { answer: parts.join(" ").slice(0, chars + 400), documents };
}

export interface CallCost {
  calls: number;
  /** Wall time per call: median and 95th percentile. */
  medianMs: number;
  p95Ms: number;
  /** The fastest call: the closest to the cost on an idle machine. */
  bestMs: number;
  /** Processor time (user + system, all threads of the process) per call, averaged. */
  cpuMs: number;
  /** The machine's one-minute load average during the measurement (other processes slow the wall times). */
  load: number;
  answerChars: number;
  citations: number;
}

/** Times `groundAnswer` on the workload: a few warm-up calls, then `calls` timed ones. */
export function measureCallCost(workload: { answer: string; documents: ContextDocument[] }, calls = 40): CallCost {
  for (let i = 0; i < 3; i++) groundAnswer(workload.answer, workload.documents);
  const times: number[] = [];
  let citations = 0;
  const cpu = process.cpuUsage();
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    citations = groundAnswer(workload.answer, workload.documents).citations.length;
    times.push(performance.now() - started);
  }
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000 / calls;
  return {
    calls,
    medianMs: round(percentile(times, 50) ?? 0, 3),
    p95Ms: round(percentile(times, 95) ?? 0, 3),
    bestMs: round(Math.min(...times), 3),
    cpuMs: round(cpuMs, 3),
    load: round(loadavg()[0] ?? 0, 2),
    answerChars: workload.answer.length,
    citations,
  };
}

// ---------------------------------------------------------------------------------------------
// Report and command line
// ---------------------------------------------------------------------------------------------

const pct = (x: number | null) => (x === null ? "—" : `${(x * 100).toFixed(1)}%`);
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The Markdown report of a run. */
export function groundingMarkdown(summaries: readonly SplitSummary[], cost: CallCost, threshold: number, worstShown = 8): string {
  const lines = ["# Grounding evaluation", "", `Run-time grounding (\`groundAnswer\`, string scoring) on labelled answers over runbooks of \`../shared/corpus/\`; threshold ${threshold}.`, ""];
  lines.push("| split | items | runbooks | AUC | accuracy at threshold | supported mean | fabricated mean |", "|---|---|---|---|---|---|---|");
  for (const s of summaries) {
    lines.push(`| ${s.split} | ${s.items} | ${s.runbooks} | ${s.auc === null ? "—" : s.auc.toFixed(3)} | ${pct(s.accuracy)} | ${s.supportedMean.toFixed(3)} | ${s.fabricatedMean.toFixed(3)} |`);
  }
  const classes = [...new Set(summaries.flatMap((s) => Object.keys(s.byClass)))].sort();
  lines.push("", "Accuracy by class:", "", `| class | ${summaries.map((s) => s.split).join(" | ")} |`, `|---|${summaries.map(() => "---").join("|")}|`);
  for (const c of classes) {
    lines.push(`| ${c} | ${summaries.map((s) => (s.byClass[c] ? `${pct(s.byClass[c].accuracy)} of ${s.byClass[c].items}` : "—")).join(" | ")} |`);
  }
  lines.push(
    "",
    `Cost: ${cost.medianMs.toFixed(2)} ms per \`groundAnswer\` call (wall time, median of ${cost.calls}; fastest ${cost.bestMs.toFixed(2)} ms, p95 ${cost.p95Ms.toFixed(2)} ms; processor time ${cost.cpuMs.toFixed(2)} ms per call; load average ${cost.load.toFixed(1)}) for a ${COST_ANSWER_TOKENS}-token answer (${cost.answerChars} characters, ${cost.citations} citations) over ${COST_DOCUMENTS} documents of ${COST_DOCUMENT_CHARS} characters.`,
  );
  for (const s of summaries) {
    lines.push("", `Worst cases (${s.split}): ${s.worst.length} wrongly judged${s.worst.length > worstShown ? `, ${worstShown} shown` : ""}`, "");
    if (s.worst.length === 0) continue;
    lines.push("| id | label | class | score | answer | note | not found |", "|---|---|---|---|---|---|---|");
    for (const w of s.worst.slice(0, worstShown)) {
      lines.push(`| ${w.id} | ${w.label} | ${w.class} | ${w.score.toFixed(3)} | ${cell(w.answer)} | ${cell(w.note)} | ${cell(w.missing.join(", "))} |`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function unitInterval(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new GroundingUsageError(`--${name} must be a number from 0 to 1, got '${raw}'`);
  return n;
}

export class GroundingUsageError extends Error {}

export interface GroundingEvalOptions {
  splits: GroundingSplit[];
  minHeldoutAuc?: number;
  minHeldoutAccuracy?: number;
  maxCallMs?: number;
  out: string;
}

/** Parses the grounding eval's command line (`--dataset grounding` may be among the arguments); undefined for --help. */
export function parseGroundingArgs(argv: readonly string[], defaultOut: string): GroundingEvalOptions | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        dataset: { type: "string" },
        split: { type: "string", default: "all" },
        "min-heldout-auc": { type: "string" },
        "min-heldout-accuracy": { type: "string" },
        "max-call-ms": { type: "string" },
        out: { type: "string", default: defaultOut },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    throw new GroundingUsageError((error as Error).message);
  }
  const v = parsed.values;
  if (v.help) return undefined;
  if (v.dataset !== undefined && v.dataset !== "grounding") throw new GroundingUsageError(`this runner scores --dataset grounding, got '${v.dataset}'`);
  if (!["dev", "heldout", "all"].includes(v.split)) throw new GroundingUsageError(`--split must be dev, heldout or all, got '${v.split}'`);
  const options: GroundingEvalOptions = { splits: v.split === "all" ? ["dev", "heldout"] : [v.split as GroundingSplit], out: v.out };
  const auc = unitInterval("min-heldout-auc", v["min-heldout-auc"]);
  if (auc !== undefined) options.minHeldoutAuc = auc;
  const acc = unitInterval("min-heldout-accuracy", v["min-heldout-accuracy"]);
  if (acc !== undefined) options.minHeldoutAccuracy = acc;
  if (v["max-call-ms"] !== undefined) {
    const n = Number(v["max-call-ms"]);
    if (!Number.isFinite(n) || n <= 0) throw new GroundingUsageError(`--max-call-ms must be a positive number, got '${v["max-call-ms"]}'`);
    options.maxCallMs = n;
  }
  if ((options.minHeldoutAuc !== undefined || options.minHeldoutAccuracy !== undefined) && !options.splits.includes("heldout")) {
    throw new GroundingUsageError("the held-out gates need the held-out split: leave out --split dev");
  }
  return options;
}

/** Reads one split of the grounding dataset. */
export async function readGroundingSplit(split: GroundingSplit, dir = DATASETS_DIR): Promise<GroundingItem[]> {
  return readJsonl(join(dir, GROUNDING_SPLITS[split]), GroundingItem);
}

interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** Runs the grounding evaluation; returns the exit code (1 when a gate fails, 2 on a usage error). */
export async function runGroundingEval(argv: readonly string[], io: Io, defaultOut: string): Promise<number> {
  let options: GroundingEvalOptions | undefined;
  try {
    options = parseGroundingArgs(argv, defaultOut);
  } catch (error) {
    if (!(error instanceof GroundingUsageError)) throw error;
    io.stderr.write(`eval: ${error.message}\n${GROUNDING_USAGE}\n`);
    return 2;
  }
  if (!options) {
    io.stdout.write(`${GROUNDING_USAGE}\n`);
    return 0;
  }
  const threshold = DEFAULT_SUPPORT_THRESHOLD;
  const summaries: SplitSummary[] = [];
  const records: Record<string, ScoredItem[]> = {};
  const all: GroundingItem[] = [];
  for (const split of options.splits) {
    const items = await readGroundingSplit(split);
    all.push(...items);
    const scored: ScoredItem[] = [];
    for (const item of items) scored.push(await scoreGroundingItem(item, threshold));
    records[split] = scored;
    summaries.push(summarizeSplit(split, items, scored, threshold));
  }
  const cost = measureCallCost(await costWorkload(all));
  const markdown = groundingMarkdown(summaries, cost, threshold);
  const date = new Date();
  await mkdir(options.out, { recursive: true });
  const base = join(options.out, `grounding-${date.toISOString().replace(/[:.]/g, "-")}`);
  const report = { dataset: "grounding", date: date.toISOString(), threshold, summaries: summaries.map(({ worst: _w, ...s }) => s), cost, items: records };
  await writeFile(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(`${base}.md`, markdown);
  io.stdout.write(`${markdown}\nreport: ${base}.json and ${base}.md\n`);

  const failures: string[] = [];
  const heldout = summaries.find((s) => s.split === "heldout");
  if (heldout && options.minHeldoutAuc !== undefined && (heldout.auc ?? 0) < options.minHeldoutAuc) failures.push(`held-out AUC ${heldout.auc} < ${options.minHeldoutAuc}`);
  if (heldout && options.minHeldoutAccuracy !== undefined && heldout.accuracy < options.minHeldoutAccuracy)
    failures.push(`held-out accuracy ${pct(heldout.accuracy)} < ${pct(options.minHeldoutAccuracy)}`);
  if (options.maxCallMs !== undefined && cost.bestMs > options.maxCallMs) failures.push(`groundAnswer: the fastest of ${cost.calls} calls took ${cost.bestMs} ms > ${options.maxCallMs} ms`);
  if (failures.length > 0) {
    io.stderr.write(`eval: FAILED: ${failures.join("; ")}\n`);
    return 1;
  }
  return 0;
}
