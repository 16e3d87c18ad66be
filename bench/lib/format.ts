/** Plain-text formatting of figures for the stdout tables (Markdown, so they paste into the README). */
import type { Summary } from "./stats.js";

export function ms(x: number, digits = 1): string {
  return Number.isFinite(x) ? `${x.toFixed(digits)} ms` : "–";
}

export function num(x: number, digits = 1): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "–";
}

export function ratio(x: number, digits = 3): string {
  return Number.isFinite(x) ? `${x.toFixed(digits)}×` : "–";
}

export function pct(x: number, digits = 1): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(digits)} %` : "–";
}

/** "p50 / p95 / p99" of a summary, in ms. */
export function ppp(s: Summary, digits = 1): string {
  return `${num(s.p50, digits)} / ${num(s.p95, digits)} / ${num(s.p99, digits)}`;
}

export function bytes(x: number): string {
  if (!Number.isFinite(x)) return "–";
  const a = Math.abs(x);
  if (a >= 2 ** 30) return `${(x / 2 ** 30).toFixed(2)} GB`;
  if (a >= 2 ** 20) return `${(x / 2 ** 20).toFixed(1)} MB`;
  if (a >= 2 ** 10) return `${(x / 2 ** 10).toFixed(1)} KB`;
  return `${x.toFixed(0)} B`;
}

export function table(header: string[], rows: string[][]): string {
  const lines = [`| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`];
  for (const r of rows) lines.push(`| ${r.join(" | ")} |`);
  return `${lines.join("\n")}\n`;
}
