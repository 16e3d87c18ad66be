import type { BrunoErrorCode, ContextDocument, GenerationResult } from "../app/index.js";

/** Process exit codes of the CLI, by error code. */
export function exitCodeFor(code: BrunoErrorCode | "UNKNOWN"): number {
  switch (code) {
    case "INVALID_INPUT":
    case "CONFIG_INVALID":
    case "DOCS_UNREADABLE":
      return 2;
    case "SERVER_UNREACHABLE":
    case "SERVER_ERROR":
    case "SERVER_BUSY":
    case "CIRCUIT_OPEN":
    case "DB_UNAVAILABLE":
      return 3;
    case "MODEL_NOT_FOUND":
    case "NO_MODEL_AVAILABLE":
    case "MODEL_FILE_INVALID":
      return 4;
    case "TIMEOUT_FIRST_TOKEN":
    case "TIMEOUT_STALL":
    case "TIMEOUT_TOTAL":
      return 5;
    case "ALL_MODELS_FAILED":
    case "GENERATION_FAILED":
    case "CONTEXT_OVERFLOW":
    case "THREAD_BUSY":
      return 6;
    case "CANCELLED":
      return 130;
    case "UNKNOWN":
      return 1;
  }
}

/** The numbered sources after an answer; cited ones are marked. */
export function formatSources(documents: readonly ContextDocument[], result: GenerationResult): string {
  if (documents.length === 0) return "";
  const cited = new Set(result.citations.filter((c) => c.valid).map((c) => c.index));
  const lines = documents.map((doc, i) => {
    const n = i + 1;
    const label = doc.title ?? doc.source ?? `document ${n}`;
    const where = doc.source && doc.source !== label ? ` — ${doc.source}` : "";
    return `  ${cited.has(n) ? "*" : " "}[${n}] ${label}${where}`;
  });
  return `Sources (* cited):\n${lines.join("\n")}\n`;
}

function clip(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}

/**
 * The sentences a reader should check before acting on them: cited sentences their source does
 * not support (with the score and what the source lacks), and sentences that state specifics
 * without a citation. Empty when there are none.
 */
export function formatUnsupported(result: GenerationResult): string {
  const threshold = result.grounding.threshold;
  const weak = result.citations.filter((c) => c.valid && c.support !== undefined && c.support < threshold);
  const uncited = result.grounding.uncitedSentences;
  if (weak.length === 0 && uncited.length === 0) return "";
  const lines: string[] = [];
  if (weak.length > 0) {
    lines.push(`Not supported by the cited source (support below ${threshold.toFixed(2)}):`);
    for (const c of weak) {
      const label = c.title ?? c.source ?? `document ${c.index}`;
      const missing = c.missing && c.missing.length > 0 ? `; [${c.index}] does not contain: ${c.missing.join(", ")}` : "";
      lines.push(`  ! ${clip(c.sentence ?? "")}`);
      lines.push(`      [${c.index}] ${label}: support ${(c.support ?? 0).toFixed(2)}${missing}`);
    }
  }
  if (uncited.length > 0) {
    lines.push("States specifics without citing a source:");
    for (const sentence of uncited) lines.push(`  ! ${clip(sentence)}`);
  }
  return `${lines.join("\n")}\n`;
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** One line about how the answer was made, for stderr. */
export function formatSummary(result: GenerationResult): string {
  const u = result.usage;
  const load = u.loadMs >= 1 ? `, load ${seconds(u.loadMs)}` : "";
  return `— ${result.model} · ${result.queryType}/${result.complexity} · ${seconds(u.durationMs)}${load} · ${u.inputTokens} in / ${u.outputTokens} out tokens`;
}
