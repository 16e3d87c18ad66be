/**
 * Baselines: the headline scores of a run saved as JSON, and the comparison that fails a run
 * (exit 1) when a score dropped by more than the allowed amount. Every headline score is
 * 0..1 with higher better, so "drop" is `baseline - current`.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";

export const Baseline = z.object({
  dataset: z.string(),
  /** `rules` (routing), `scripted` (--fake) or `model` (a real model). */
  mode: z.string(),
  savedAt: z.string(),
  /** What produced it, e.g. the model and provider. */
  note: z.string().optional(),
  metrics: z.record(z.string(), z.number()),
});
export type Baseline = z.infer<typeof Baseline>;

export interface ComparisonRow {
  metric: string;
  baseline: number | null;
  current: number | null;
  delta: number | null;
  /** Dropped by more than the allowed amount. */
  regressed: boolean;
}

export interface Comparison {
  path: string;
  maxDrop: number;
  rows: ComparisonRow[];
  failed: boolean;
}

/** The default baseline file of a dataset and mode. */
export function baselinePath(dir: string, dataset: string, mode: string): string {
  return `${dir.replace(/\/$/, "")}/${dataset}-${mode}.json`;
}

export async function readBaseline(path: string): Promise<Baseline | undefined> {
  if (!existsSync(path)) return undefined;
  const parsed = Baseline.safeParse(JSON.parse(await readFile(path, "utf8")));
  if (!parsed.success) throw new Error(`${path} is not a baseline: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export async function writeBaseline(path: string, baseline: Baseline): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(baseline, null, 2)}\n`);
}

/**
 * Compares current headline scores with a baseline. A metric missing from the current run
 * (e.g. no judge this time) is listed but does not fail; one missing from the baseline is new.
 */
export function compareToBaseline(current: Record<string, number>, baseline: Baseline, maxDrop: number, path: string): Comparison {
  const names = [...new Set([...Object.keys(baseline.metrics), ...Object.keys(current)])].sort();
  const rows = names.map((metric): ComparisonRow => {
    const b = baseline.metrics[metric] ?? null;
    const c = current[metric] ?? null;
    const delta = b === null || c === null ? null : Math.round((c - b) * 10_000) / 10_000;
    return { metric, baseline: b, current: c, delta, regressed: delta !== null && -delta > maxDrop + 1e-9 };
  });
  return { path, maxDrop, rows, failed: rows.some((r) => r.regressed) };
}

const fmt = (v: number | null) => (v === null ? "—" : `${(v * 100).toFixed(1)}%`);

/** The comparison as a Markdown table. */
export function comparisonMarkdown(cmp: Comparison): string {
  const lines = [
    `Compared with the baseline \`${cmp.path}\` (a drop of more than ${(cmp.maxDrop * 100).toFixed(1)} points fails the run): **${cmp.failed ? "FAILED" : "passed"}**`,
    "",
    "| score | baseline | now | change | |",
    "| --- | --- | --- | --- | --- |",
    ...cmp.rows.map((r) => {
      const change = r.delta === null ? (r.baseline === null ? "new" : "not measured") : `${r.delta >= 0 ? "+" : ""}${(r.delta * 100).toFixed(1)}`;
      return `| ${r.metric} | ${fmt(r.baseline)} | ${fmt(r.current)} | ${change} | ${r.regressed ? "❌ dropped" : ""} |`;
    }),
  ];
  return `${lines.join("\n")}\n`;
}
