/**
 * The evaluation runner: `npm run eval -- --dataset routing|generation|adversarial [options]`.
 *
 * routing runs the deterministic classifier and router (no model). generation and adversarial
 * drive the real graph (`createGenerationGraph`, settings from the environment) against an
 * Ollama server, or with `--fake` against the Ollama-protocol test server replaying scripted
 * answers. Every run writes `<out>/<dataset>-<timestamp>.json` and `.md`, compares the headline
 * scores with a saved baseline, and exits 1 when one dropped by more than `--max-drop`.
 * Ctrl-C stops taking new items, writes the report of the finished ones and exits 130.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig, type BrunoConfigInput } from "../src/config/config.js";
import { isBrunoError } from "../src/domain/errors.js";
import { createGenerationGraph } from "../src/app/createGraph.js";
import type { ContextDocument, GenerationResult } from "../src/domain/index.js";
import { AdversarialItem, assertUniqueQueries, DATASETS, GenerationItem, materializeAdversarial, readJsonl, type DatasetName } from "./datasets/schema.js";
import { runGroundingEval } from "./lib/grounding.js";
import { baselinePath, compareToBaseline, comparisonMarkdown, readBaseline, writeBaseline, type Comparison } from "./lib/baseline.js";
import { startScriptedOllama, type ItemScript, type ScriptedOllama } from "./lib/fake.js";
import { runOnLangSmith, type LangSmithScorer, type SyncExample } from "./lib/langsmith.js";
import { adversarialMarkdown, generationMarkdown, pct, type RunFacts, type RunReport } from "./lib/markdown.js";
import { runPool } from "./lib/pool.js";
import { runRoutingEval } from "./lib/routing.js";
import { Progress } from "./lib/progress.js";
import { adversarialHeadline, scoreAdversarialItem, summarizeAdversarial, type AdversarialItemScore } from "./scorers/adversarial.js";
import { generationHeadline, scoreGenerationItem, summarizeGeneration, type GenerationItemScore, type RunOutcome } from "./scorers/generation.js";
import { createGroundednessJudge, type GroundednessJudge, type JudgeVerdict } from "./scorers/judge.js";

export { routingMarkdown } from "./lib/markdown.js";

const DATASETS_DIR = new URL("./datasets/", import.meta.url).pathname;
const REPORTS_DIR = new URL("./reports/", import.meta.url).pathname;
const BASELINES_DIR = new URL("./baselines/", import.meta.url).pathname;
/** Default largest allowed drop of a headline score against the baseline (absolute, 0..1). */
export const DEFAULT_MAX_DROP = 0.05;

export const USAGE = `usage: npm run eval -- --dataset routing|generation|adversarial [options]

  --dataset NAME        routing (rules, no model), generation or adversarial
                        (grounding: see npm run eval -- --dataset grounding --help)
  --fake                answer with scripted replies from an in-process Ollama-protocol test
                        server (checks the machinery and the scorers, not the model)
  --host URL            Ollama address (default: OLLAMA_HOST, else http://127.0.0.1:11434)
  --provider NAME       ollama | embedded | auto (BRUNO_PROVIDER), passed to the settings
  --model TAG           answer every item with this model instead of routing
  --concurrency N       items in flight (default 1; latency is per item, so keep 1 to measure it)
  --limit N             only the first N items (after --ids)
  --ids a,b,c           only these item ids
  --out DIR             report folder (default evals/reports)
  --judge-model TAG     also grade groundedness with this Ollama model as LLM judge
  --judge-host URL      Ollama address of the judge (default: the run's)
  --baseline FILE       baseline to compare with (default evals/baselines/<dataset>-<mode>.json if present)
  --max-drop X          largest allowed drop of a score against the baseline, 0..1 (default ${DEFAULT_MAX_DROP})
  --save-baseline       write this run's scores as the baseline
  --min-accuracy X      routing: fail when development query-type or model accuracy is below X (0..1)
  --min-heldout-family X  routing: fail when held-out family accuracy is below X (0..1)
  --langsmith           sync the dataset to LangSmith and run through evaluate() (needs LANGSMITH_API_KEY)
  -h, --help            this text`;

export interface EvalOptions {
  dataset: DatasetName;
  fake: boolean;
  host?: string;
  provider?: "ollama" | "embedded" | "auto";
  model?: string;
  concurrency: number;
  limit?: number;
  ids?: string[];
  out: string;
  judgeModel?: string;
  judgeHost?: string;
  baseline?: string;
  maxDrop: number;
  saveBaseline: boolean;
  minAccuracy?: number;
  minHeldoutFamily?: number;
  langsmith: boolean;
}

function positiveInt(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a whole number ≥ 1, got '${raw}'`);
  return n;
}

function unitInterval(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`--${name} must be a number from 0 to 1, got '${raw}'`);
  return n;
}

export class UsageError extends Error {}

/** Parses the command line; throws `UsageError` on a bad flag. Returns undefined for --help. */
export function parseEvalArgs(argv: readonly string[]): EvalOptions | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        dataset: { type: "string", default: "routing" },
        fake: { type: "boolean", default: false },
        host: { type: "string" },
        provider: { type: "string" },
        model: { type: "string" },
        concurrency: { type: "string" },
        limit: { type: "string" },
        ids: { type: "string" },
        out: { type: "string", default: REPORTS_DIR },
        "judge-model": { type: "string" },
        "judge-host": { type: "string" },
        baseline: { type: "string" },
        "max-drop": { type: "string" },
        "save-baseline": { type: "boolean", default: false },
        "min-accuracy": { type: "string" },
        "min-heldout-family": { type: "string" },
        langsmith: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const v = parsed.values;
  if (v.help) return undefined;
  if (!(DATASETS as readonly string[]).includes(v.dataset)) throw new UsageError(`unknown dataset '${v.dataset}'; available: ${DATASETS.join(", ")}`);
  if (v.provider !== undefined && !["ollama", "embedded", "auto"].includes(v.provider)) throw new UsageError(`--provider must be ollama, embedded or auto, got '${v.provider}'`);
  if (v.fake && v.host) throw new UsageError("--fake starts its own server; leave out --host");
  if (v.fake && v.provider === "embedded") throw new UsageError("--fake scripts an Ollama-protocol server; it does not apply to --provider embedded");
  const options: EvalOptions = {
    dataset: v.dataset as DatasetName,
    fake: v.fake,
    concurrency: positiveInt("concurrency", v.concurrency) ?? 1,
    out: v.out,
    maxDrop: unitInterval("max-drop", v["max-drop"]) ?? DEFAULT_MAX_DROP,
    saveBaseline: v["save-baseline"],
    langsmith: v.langsmith,
  };
  if (v.host) options.host = v.host;
  if (v.provider) options.provider = v.provider as EvalOptions["provider"] & string;
  if (v.model) options.model = v.model;
  const limit = positiveInt("limit", v.limit);
  if (limit !== undefined) options.limit = limit;
  if (v.ids)
    options.ids = v.ids
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  if (v["judge-model"]) options.judgeModel = v["judge-model"];
  if (v["judge-host"]) options.judgeHost = v["judge-host"];
  if (v.baseline) options.baseline = v.baseline;
  if (options.saveBaseline && !options.baseline && (options.ids || options.limit !== undefined)) {
    throw new UsageError("a run of part of the dataset (--ids/--limit) does not overwrite the default baseline; pass --baseline FILE");
  }
  const min = unitInterval("min-accuracy", v["min-accuracy"]);
  if (min !== undefined) options.minAccuracy = min;
  const minHeldout = unitInterval("min-heldout-family", v["min-heldout-family"]);
  if (minHeldout !== undefined) options.minHeldoutFamily = minHeldout;
  return options;
}

/** Where the run's output goes (process streams in the CLI). */
export interface EvalIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Aborts the run like Ctrl-C. */
  signal?: AbortSignal;
}

function selectItems<T extends { id: string }>(items: readonly T[], options: EvalOptions): T[] {
  let out = [...items];
  if (options.ids) {
    const unknown = options.ids.filter((id) => !items.some((i) => i.id === id));
    if (unknown.length > 0) throw new UsageError(`unknown item id(s): ${unknown.join(", ")}`);
    out = out.filter((i) => options.ids?.includes(i.id));
  }
  return options.limit !== undefined ? out.slice(0, options.limit) : out;
}

// ---------------------------------------------------------------------------------------------
// Graph-driven datasets
// ---------------------------------------------------------------------------------------------

interface PreparedItem {
  id: string;
  query: string;
  documents: ContextDocument[];
  script: ItemScript | undefined;
}

function prepareGeneration(item: GenerationItem): PreparedItem {
  return { id: item.id, query: item.query, documents: item.documents, script: { id: item.id, query: item.query, answers: [item.referenceAnswer] } };
}

function prepareAdversarial(item: AdversarialItem): PreparedItem {
  const { query, documents } = materializeAdversarial(item);
  return { id: item.id, query, documents, script: item.scripted ? { id: item.id, query, answers: item.scripted.answers } : undefined };
}

/** One item through the graph: the output contract or the error, and the wall time. */
async function runItem(graph: ReturnType<typeof createGenerationGraph>, item: PreparedItem, options: { model?: string; signal: AbortSignal }): Promise<RunOutcome> {
  const started = performance.now();
  // A signal per item, so whatever listens on it goes away with the item.
  const own = new AbortController();
  const forward = () => own.abort(options.signal.reason);
  options.signal.addEventListener("abort", forward, { once: true });
  try {
    const output = await graph.invoke({ query: item.query, documents: item.documents, ...(options.model ? { model: options.model } : {}) }, { signal: own.signal });
    return { id: item.id, result: output as GenerationResult, latencyMs: performance.now() - started };
  } catch (error) {
    if (options.signal.aborted) throw error;
    const code = isBrunoError(error) ? error.code : "UNKNOWN";
    return { id: item.id, error: { code, message: (error as Error).message }, latencyMs: performance.now() - started };
  } finally {
    options.signal.removeEventListener("abort", forward);
  }
}

/** Per-item record kept in the JSON report. */
interface ItemRecord<S> {
  score: S;
  answer: string | null;
  warnings: string[];
  citations: GenerationResult["citations"];
  model: string | null;
  judgeError?: string;
}

function record<S>(score: S, outcome: RunOutcome, judgeError?: string): ItemRecord<S> {
  return {
    score,
    answer: outcome.result?.answer ?? null,
    warnings: outcome.result?.warnings ?? [],
    citations: outcome.result?.citations ?? [],
    model: outcome.result?.model ?? null,
    ...(judgeError ? { judgeError } : {}),
  };
}

interface Machinery {
  passed: boolean;
  lines: string[];
}

/** What a scripted run must show for the machinery to be sound. */
function generationMachinery(scores: readonly GenerationItemScore[]): Machinery {
  const bad = scores.filter((s) => s.error !== null || s.mustCiteRecall < 1 || s.factRecall < 1 || s.invalidMarkers > 0);
  const checked = scores.reduce((n, s) => n + s.checkedCitations, 0);
  const unsupported = scores.reduce((n, s) => n + s.unsupportedCitations, 0);
  return {
    passed: bad.length === 0,
    lines: [
      `machinery check: ${scores.length - bad.length}/${scores.length} replayed reference answers came back intact and scored full must-cite and fact recall${bad.length > 0 ? ` (failing: ${bad.map((s) => s.id).join(", ")})` : ""}`,
      `run-time grounding on the reference answers: ${checked - unsupported}/${checked} citations rated supported (false alarms of the checker: ${unsupported})`,
    ],
  };
}

function adversarialMachinery(items: readonly AdversarialItem[], scores: readonly AdversarialItemScore[]): Machinery {
  const mismatched = scores.filter((s) => {
    const item = items.find((i) => i.id === s.id);
    const expectHandled = !(item?.scripted?.obeys ?? false);
    return s.handled !== expectHandled || (s.scriptedObeys !== null && s.obeyed !== s.scriptedObeys);
  });
  return {
    passed: mismatched.length === 0,
    lines: [
      `machinery check: ${scores.length - mismatched.length}/${scores.length} items scored as their script implies (scripts that obey must be flagged, all others handled)${mismatched.length > 0 ? `; mismatched: ${mismatched.map((s) => `${s.id} (${s.failures.join("; ") || "handled"})`).join(", ")}` : ""}`,
    ],
  };
}

function toLangSmithScores(pairs: Array<[string, number | boolean | null | undefined]>, comment?: string) {
  return pairs
    .filter((p): p is [string, number | boolean] => p[1] !== null && p[1] !== undefined)
    .map(([key, score]) => ({ key, score: typeof score === "boolean" ? Number(score) : score, ...(comment ? { comment } : {}) }));
}

interface GraphRun<S> {
  records: Array<ItemRecord<S> | undefined>;
  interrupted: boolean;
  finished: number;
  langsmith?: string;
}

async function runGraphDataset(options: EvalOptions, io: EvalIo): Promise<number> {
  const path = join(DATASETS_DIR, `${options.dataset}.jsonl`);
  const isGeneration = options.dataset === "generation";
  const generationItems = isGeneration ? selectItems(await readJsonl(path, GenerationItem), options) : [];
  const adversarialItems = isGeneration ? [] : selectItems(await readJsonl(path, AdversarialItem), options);
  const prepared = isGeneration ? generationItems.map(prepareGeneration) : adversarialItems.map(prepareAdversarial);
  assertUniqueQueries(prepared, path);
  if (prepared.length === 0) throw new UsageError("no items selected");

  let fake: ScriptedOllama | undefined;
  const notes: string[] = [];
  if (options.fake) {
    fake = await startScriptedOllama(
      prepared.flatMap((p) => (p.script ? [p.script] : [])),
      options.judgeModel ? { judgeModel: options.judgeModel } : {},
    );
  }
  try {
    const overrides: BrunoConfigInput = {};
    const host = fake?.url ?? options.host;
    if (host) overrides.ollamaHost = host;
    if (options.provider) overrides.embedded = { provider: options.provider };
    const env = { ...io.env, LOG_LEVEL: io.env.LOG_LEVEL ?? "silent" };
    const config = loadConfig({ env, overrides });
    const graph = createGenerationGraph({ config });
    let judge: GroundednessJudge | undefined;
    if (options.judgeModel) judge = await createGroundednessJudge({ model: options.judgeModel, host: options.judgeHost ?? config.ollamaHost });

    const controller = new AbortController();
    io.signal?.addEventListener("abort", () => controller.abort(), { once: true });
    const progress = new Progress(prepared.length, io.stderr, options.dataset);
    const facts: RunFacts = {
      mode: options.fake ? "scripted answers (--fake, Ollama-protocol test server)" : `model (${options.model ?? "routed by the graph"})`,
      provider: config.embedded.provider,
      host:
        config.embedded.provider === "embedded"
          ? `not used: the embedded llama.cpp engine answers (${config.embedded.modelPath ?? "model files of the catalog"})`
          : options.fake
            ? `${config.ollamaHost} (in-process test server)`
            : config.ollamaHost,
      concurrency: options.concurrency,
      ...(options.model ? { model: options.model } : {}),
      ...(options.judgeModel ? { judge: `${options.judgeModel}${options.fake ? " (scripted verdicts)" : ""} via openevals createLLMAsJudge` } : {}),
      notes,
    };
    if (config.grounding.embedModel) notes.push(`run-time grounding refined with the embedding model ${config.grounding.embedModel}`);

    const evaluateOne = async (p: PreparedItem, signal: AbortSignal): Promise<{ outcome: RunOutcome; verdict: JudgeVerdict | null; judgeError?: string }> => {
      const outcome = await runItem(graph, p, { ...(options.model ? { model: options.model } : {}), signal });
      let verdict: JudgeVerdict | null = null;
      let judgeError: string | undefined;
      if (judge && outcome.result && isGeneration) {
        try {
          verdict = await judge({ question: p.query, documents: p.documents, answer: outcome.result.answer });
        } catch (error) {
          if (signal.aborted) throw error;
          judgeError = (error as Error).message;
        }
      }
      return { outcome, verdict, ...(judgeError ? { judgeError } : {}) };
    };
    const scoreOne = (index: number, outcome: RunOutcome, verdict: JudgeVerdict | null, judgeError?: string) => {
      if (isGeneration) {
        const item = generationItems[index] as GenerationItem;
        return record(scoreGenerationItem(item, outcome, { modelForced: options.model !== undefined, judge: verdict }), outcome, judgeError);
      }
      const item = adversarialItems[index] as AdversarialItem;
      return record(scoreAdversarialItem(item, outcome, prepared[index]?.documents.length ?? 0, { scripted: options.fake }), outcome);
    };

    const onSigint = () => {
      if (controller.signal.aborted) process.exit(130);
      io.stderr.write("\neval: interrupted; writing the report of the finished items (Ctrl-C again to quit at once)\n");
      controller.abort();
    };
    process.on("SIGINT", onSigint);
    let run: GraphRun<GenerationItemScore | AdversarialItemScore>;
    try {
      if (options.langsmith && !io.env.LANGSMITH_API_KEY) {
        io.stderr.write("eval: LANGSMITH_API_KEY is not set: running locally only (nothing is uploaded to LangSmith)\n");
      }
      if (options.langsmith && io.env.LANGSMITH_API_KEY) {
        run = await runThroughLangSmith(options, prepared, evaluateOne, scoreOne, progress, controller.signal);
      } else {
        const pool = await runPool(
          prepared,
          options.concurrency,
          async (p, index, signal) => {
            const { outcome, verdict, judgeError } = await evaluateOne(p, signal);
            return scoreOne(index, outcome, verdict, judgeError);
          },
          {
            signal: controller.signal,
            onResult: (r) => progress.tick("error" in r.score ? r.score.error === null : r.score.handled),
          },
        );
        run = { records: pool.results, interrupted: pool.interrupted, finished: pool.finished };
      }
    } finally {
      process.off("SIGINT", onSigint);
    }
    progress.finish(run.interrupted ? "(interrupted)" : undefined);
    if (run.interrupted) facts.interrupted = { finished: run.finished, total: prepared.length };
    if (run.langsmith) notes.push(`LangSmith experiment: ${run.langsmith}`);
    const done = run.records.filter((r): r is ItemRecord<GenerationItemScore | AdversarialItemScore> => r !== undefined);
    const judgeErrors = done.filter((r) => r.judgeError).length;
    if (judgeErrors > 0) notes.push(`the judge failed on ${judgeErrors} item(s); see judgeError in the JSON report`);

    let markdown: string;
    let headline: Record<string, number>;
    let summary: unknown;
    let machinery: Machinery | undefined;
    if (isGeneration) {
      const scores = done.map((r) => r.score as GenerationItemScore);
      const s = summarizeGeneration(scores);
      summary = s;
      headline = generationHeadline(s);
      if (options.fake && !run.interrupted) machinery = generationMachinery(scores);
      if (!run.interrupted && scores.length > 0 && s.answered === 0) {
        const first = scores[0]?.error ?? "";
        machinery = { passed: false, lines: [`no item was answered (first error: ${first})`, ...(machinery?.lines ?? [])] };
      }
      if (machinery) notes.push(...machinery.lines);
      markdown = generationMarkdown(s, scores, facts);
    } else {
      const scores = done.map((r) => r.score as AdversarialItemScore);
      const s = summarizeAdversarial(scores);
      summary = s;
      headline = adversarialHeadline(s);
      if (options.fake && !run.interrupted) machinery = adversarialMachinery(adversarialItems, scores);
      if (machinery) notes.push(...machinery.lines);
      markdown = adversarialMarkdown(s, scores, facts);
    }
    const mode = options.fake ? "scripted" : "model";
    return await finishReport(options, io, { mode, markdown, headline, summary, facts, records: done, interrupted: run.interrupted, machinery });
  } finally {
    await fake?.close();
  }
}

async function runThroughLangSmith(
  options: EvalOptions,
  prepared: readonly PreparedItem[],
  evaluateOne: (p: PreparedItem, signal: AbortSignal) => Promise<{ outcome: RunOutcome; verdict: JudgeVerdict | null; judgeError?: string }>,
  scoreOne: (index: number, outcome: RunOutcome, verdict: JudgeVerdict | null, judgeError?: string) => ItemRecord<GenerationItemScore | AdversarialItemScore>,
  progress: Progress,
  signal: AbortSignal,
): Promise<GraphRun<GenerationItemScore | AdversarialItemScore>> {
  const records: Array<ItemRecord<GenerationItemScore | AdversarialItemScore> | undefined> = new Array(prepared.length).fill(undefined);
  const indexOf = new Map(prepared.map((p, i) => [p.id, i]));
  const examples: SyncExample[] = prepared.map((p) => ({
    itemId: p.id,
    inputs: { itemId: p.id, query: p.query.length > 2000 ? `${p.query.slice(0, 2000)}…` : p.query, documents: p.documents.length },
    outputs: { dataset: options.dataset },
  }));
  let finished = 0;
  const target = async (inputs: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const index = indexOf.get(String(inputs.itemId));
    const p = index === undefined ? undefined : prepared[index];
    if (index === undefined || !p) throw new Error(`unknown item ${String(inputs.itemId)}`);
    if (signal.aborted) throw new Error("interrupted");
    const { outcome, verdict, judgeError } = await evaluateOne(p, signal);
    const rec = scoreOne(index, outcome, verdict, judgeError);
    records[index] = rec;
    finished += 1;
    progress.tick("error" in rec.score ? rec.score.error === null : rec.score.handled);
    return { itemId: p.id, answer: outcome.result?.answer ?? null, error: outcome.error ?? null, latencyMs: outcome.latencyMs, score: rec.score };
  };
  const scorer: LangSmithScorer = ({ outputs }) => {
    const s = outputs.score as (GenerationItemScore | AdversarialItemScore) | undefined;
    if (!s) return [];
    if ("mustCiteRecall" in s) {
      return toLangSmithScores([
        ["must_cite_recall", s.mustCiteRecall],
        ["must_state_recall", s.factRecall],
        ["citation_coverage", s.coverage],
        ["citation_valid", s.invalidMarkers === 0],
        ["grounding_support", s.meanSupport],
        ["uncited_claims", s.uncitedClaims],
        ["query_type_correct", s.queryTypeCorrect],
        ["model_correct", s.modelCorrect],
        ["judge_score", s.judge?.score],
        ["latency_ms", s.latencyMs],
        ["output_tokens", s.outputTokens],
      ]);
    }
    return toLangSmithScores(
      [
        ["handled", s.handled],
        ["injection_obeyed", s.obeyed],
      ],
      s.failures.join("; ") || undefined,
    );
  };
  const { plan, experiment } = await runOnLangSmith({
    datasetName: `bruno-${options.dataset}`,
    description: `Bruno generation eval dataset '${options.dataset}' (synced from evals/datasets/${options.dataset}.jsonl)`,
    examples,
    target,
    scorers: [scorer],
    experimentPrefix: `${options.dataset}-${options.fake ? "scripted" : (options.model ?? "routed")}`,
    concurrency: options.concurrency,
    metadata: { dataset: options.dataset, fake: options.fake, model: options.model ?? "routed", provider: options.provider ?? "default" },
  });
  return {
    records,
    finished,
    interrupted: signal.aborted,
    langsmith: `${experiment} (dataset bruno-${options.dataset}: ${plan.create.length} created, ${plan.update.length} updated, ${plan.remove.length} removed, ${plan.unchanged} unchanged)`,
  };
}

// ---------------------------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------------------------

interface ReportInput extends RunReport {
  machinery?: Machinery | undefined;
}

async function finishReport(options: EvalOptions, io: EvalIo, input: ReportInput): Promise<number> {
  let comparison: Comparison | undefined;
  // A subset's scores are not comparable with the whole dataset's: the default baseline is
  // used (and written) only by full runs; an explicit --baseline always is.
  const subset = options.ids !== undefined || options.limit !== undefined;
  const path = options.baseline ?? baselinePath(BASELINES_DIR, options.dataset, input.mode);
  const useBaseline = options.baseline !== undefined || !subset;
  const baseline = useBaseline ? await readBaseline(path) : undefined;
  if (options.baseline && !baseline) throw new UsageError(`no baseline at ${options.baseline}`);
  let markdown = input.markdown;
  if (baseline && !input.interrupted) {
    comparison = compareToBaseline(input.headline, baseline, options.maxDrop, path);
    markdown += `\n## Against the baseline\n\n${comparisonMarkdown(comparison)}`;
  } else if (!useBaseline) {
    markdown += "\nPart of the dataset (--ids/--limit): not compared with the default baseline.\n";
  } else if (!baseline) {
    markdown += `\nNo baseline at \`${path}\`; \`--save-baseline\` writes one from this run.\n`;
  }
  const date = new Date();
  const stamp = date.toISOString().replace(/[:.]/g, "-");
  await mkdir(options.out, { recursive: true });
  const base = join(options.out, `${options.dataset}-${stamp}`);
  const report = {
    dataset: options.dataset,
    date: date.toISOString(),
    mode: input.mode,
    ...(input.mode === "scripted" ? { label: "scripted answers: checks the machinery, not the model" } : {}),
    options: { ...options, out: undefined },
    facts: input.facts,
    interrupted: input.interrupted,
    headline: input.headline,
    summary: input.summary,
    ...(input.machinery ? { machinery: input.machinery } : {}),
    ...(comparison ? { comparison } : {}),
    items: input.records,
  };
  await writeFile(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(`${base}.md`, markdown);
  io.stdout.write(options.dataset === "routing" ? (markdown.split("\nMisrouted items:")[0] ?? markdown) : markdown);
  if (options.dataset === "routing" && comparison) io.stdout.write(`\n${comparisonMarkdown(comparison)}`);
  io.stdout.write(`\nreport: ${base}.json and ${base}.md\n`);

  if (input.interrupted) return 130;
  let code = 0;
  if (options.saveBaseline) {
    const note = input.mode === "model" ? `model ${options.model ?? "routed"}, provider ${options.provider ?? "default"}` : undefined;
    await writeBaseline(path, { dataset: options.dataset, mode: input.mode, savedAt: date.toISOString(), ...(note ? { note } : {}), metrics: input.headline });
    io.stdout.write(`baseline saved: ${path}\n`);
  }
  if (comparison?.failed) {
    const dropped = comparison.rows.filter((r) => r.regressed).map((r) => `${r.metric} ${pct(r.baseline)} → ${pct(r.current)}`);
    io.stderr.write(`eval: FAILED: scores dropped more than ${(options.maxDrop * 100).toFixed(1)} points against ${path}: ${dropped.join(", ")}\n`);
    code = 1;
  }
  if (input.machinery && !input.machinery.passed) {
    io.stderr.write(`eval: FAILED: ${input.machinery.lines[0] ?? "machinery check failed"}\n`);
    code = 1;
  }
  return code;
}

/** The routing dataset: development and held-out parts side by side (evals/lib/routing.ts). */
async function runRoutingDataset(options: EvalOptions, io: EvalIo): Promise<number> {
  const langsmithNote = options.langsmith
    ? io.env.LANGSMITH_API_KEY
      ? "eval: --langsmith applies to generation and adversarial; routing runs locally\n"
      : "eval: LANGSMITH_API_KEY is not set: running locally only (nothing is uploaded to LangSmith)\n"
    : undefined;
  return runRoutingEval(
    { minAccuracy: options.minAccuracy, minHeldoutFamily: options.minHeldoutFamily },
    { datasetsDir: DATASETS_DIR, select: (items) => selectItems(items, options), finish: (report) => finishReport(options, io, report), stderr: io.stderr, langsmithNote },
  );
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[], io: EvalIo): Promise<number> {
  let options: EvalOptions | undefined;
  try {
    // The grounding dataset has its own runner and options (evals/lib/grounding.ts).
    if (argv.some((a, i) => a === "--dataset=grounding" || (a === "--dataset" && argv[i + 1] === "grounding"))) return await runGroundingEval(argv, io, REPORTS_DIR);
    options = parseEvalArgs(argv);
    if (!options) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    return options.dataset === "routing" ? await runRoutingDataset(options, io) : await runGraphDataset(options, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`eval: ${error.message}\n${USAGE}\n`);
      return 2;
    }
    io.stderr.write(`eval: ${(error as Error).message}\n`);
    return isBrunoError(error) ? 3 : 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
}
