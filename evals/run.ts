import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { QUERY_TYPES } from "../src/graph/state.js";
import { DEFAULT_CATALOG } from "../src/tools/catalog.js";
import { classifyQuery } from "../src/tools/classifier.js";
import { preferredModel } from "../src/tools/router.js";
import { readJsonl, RoutingItem } from "./datasets/schema.js";
import { scoreRouting, type RoutingOutcome, type RoutingScores } from "./scorers/routing.js";

const DATASETS_DIR = new URL("./datasets/", import.meta.url).pathname;

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** Runs the deterministic classifier and router over the routing set. */
export async function runRouting(path: string): Promise<{ outcomes: RoutingOutcome[]; scores: RoutingScores }> {
  const items = await readJsonl(path, RoutingItem);
  const outcomes = items.map((item): RoutingOutcome => {
    const c = classifyQuery(item.query);
    const model = preferredModel(DEFAULT_CATALOG, { ...c, maxLatencyMs: item.maxLatencyMs }).tag;
    return {
      id: item.id,
      query: item.query,
      expected: { queryType: item.queryType, complexity: item.complexity, requiresCode: item.requiresCode, model: item.expectedModel },
      actual: { queryType: c.queryType, complexity: c.complexity, requiresCode: c.requiresCode, model },
    };
  });
  return { outcomes, scores: scoreRouting(outcomes) };
}

/** The routing report as Markdown: headline scores, per-type table, confusion matrix, misrouted items. */
export function routingMarkdown(scores: RoutingScores, outcomes: readonly RoutingOutcome[]): string {
  const abbrev = (t: string) => t.replace("troubleshooting", "trouble").replace("lookup_runbook", "runbook").replace("code_generation", "code_gen").replace("code_review", "code_rev").replace("explanation", "explain").replace("debug_issue", "debug");
  const lines = [
    `# Routing evaluation`,
    "",
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
    "Confusion matrix (rows: label, columns: predicted):",
    "",
    `| label \\ predicted | ${QUERY_TYPES.map(abbrev).join(" | ")} |`,
    `| --- | ${QUERY_TYPES.map(() => "---").join(" | ")} |`,
    ...QUERY_TYPES.map((e) => `| ${abbrev(e)} | ${QUERY_TYPES.map((a) => String(scores.confusion[e][a])).join(" | ")} |`),
    "",
    "Misrouted items:",
    "",
    ...outcomes
      .filter((o) => o.expected.queryType !== o.actual.queryType || o.expected.model !== o.actual.model)
      .map((o) => `- \`${o.id}\` ${o.expected.queryType} → ${o.actual.queryType} (${o.expected.model} → ${o.actual.model}): ${JSON.stringify(o.query.slice(0, 100))}`),
  ];
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      dataset: { type: "string", default: "routing" },
      out: { type: "string", default: new URL("./reports/", import.meta.url).pathname },
      "min-accuracy": { type: "string" },
    },
  });
  if (values.dataset !== "routing") {
    process.stderr.write(`eval: unknown dataset '${values.dataset}'; available: routing\n`);
    return 2;
  }
  const { outcomes, scores } = await runRouting(join(DATASETS_DIR, "routing.jsonl"));
  const markdown = routingMarkdown(scores, outcomes);
  process.stdout.write(markdown.split("\nMisrouted items:")[0] ?? markdown);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  await mkdir(values.out, { recursive: true });
  const base = join(values.out, `routing-${stamp}`);
  await writeFile(`${base}.json`, JSON.stringify({ dataset: "routing", date: new Date().toISOString(), scores, outcomes }, null, 2));
  await writeFile(`${base}.md`, markdown);
  process.stdout.write(`\nreport: ${base}.json and ${base}.md\n`);
  const min = values["min-accuracy"] === undefined ? undefined : Number(values["min-accuracy"]);
  if (min !== undefined && (scores.queryTypeAccuracy < min || scores.modelAccuracy < min)) {
    process.stderr.write(`eval: FAILED: query type ${pct(scores.queryTypeAccuracy)} / model ${pct(scores.modelAccuracy)} below the gate ${pct(min)}\n`);
    return 1;
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main();
}
