/** Documents prepared for scoring: segments, word stems, command templates, and where a specific occurs. */
import { ABBREVIATIONS } from "./sentences.js";
import { NUMBER, type SpecificKind } from "./specifics.js";
import { contentStems } from "./words.js";

interface Segment {
  start: number;
  end: number;
  stems: Set<string>;
  lower: string;
}

/** A document prepared once per answer: lower-cased text, word stems, and its sentence segments. */
export interface DocumentIndex {
  content: string;
  lower: string;
  /** Lower case, whitespace collapsed, thousands separators dropped. */
  flat: string;
  stems: Set<string>;
  segments: Segment[];
  /** Commands of the document with placeholders (`$POD`, `<pod>`, `{{pod}}`), as patterns. */
  templates: RegExp[];
}

const BLOCK_START = /^\s*(?:[-*+]\s|\d{1,3}[.)]\s|#{1,6}\s|\||```|~~~|>)/;

/** Paragraph pieces of a document: hard-wrapped lines are joined; list items, headings and table rows stand alone. */
function documentBlocks(content: string): Array<[number, number]> {
  const blocks: Array<[number, number]> = [];
  let offset = 0;
  let current: [number, number] | undefined;
  // Lines of code blocks and tables never join the next line.
  let standalone = false;
  for (const line of content.split("\n")) {
    const start = offset;
    const end = offset + line.length;
    offset = end + 1;
    if (line.trim() === "") {
      if (current) blocks.push(current);
      current = undefined;
      continue;
    }
    if (current && !standalone && !BLOCK_START.test(line)) {
      current[1] = end;
    } else {
      if (current) blocks.push(current);
      current = [start, end];
      standalone = /^\s*(```|~~~|\|)/.test(line);
    }
  }
  if (current) blocks.push(current);
  return blocks;
}

function documentSegments(content: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [blockStart, blockEnd] of documentBlocks(content)) {
    const block = content.slice(blockStart, blockEnd);
    let begin = 0;
    for (const m of block.matchAll(/[.!?](?=\s+[A-Z0-9`"'(\[])/g)) {
      const word = /([A-Za-z.]+)$/.exec(block.slice(begin, m.index))?.[1]?.toLowerCase() ?? "";
      if (ABBREVIATIONS.has(word)) continue;
      out.push([blockStart + begin, blockStart + m.index + 1]);
      begin = m.index + 1;
    }
    out.push([blockStart + begin, blockEnd]);
  }
  return out
    .map(([s, e]): [number, number] => {
      const raw = content.slice(s, e);
      return [s + (raw.length - raw.trimStart().length), e - (raw.length - raw.trimEnd().length)];
    })
    .filter(([s, e]) => e > s);
}

export function flatten(text: string): string {
  return text.toLowerCase().replace(/\s+/g, " ").replace(/(\d),(?=\d{3}\b)/g, "$1");
}

/** Placeholders in flattened (lower-case) runbook commands: `$pod`, `${pod}`, `<pod>`, `{{ .pod }}`. */
const PLACEHOLDER = /\$\{?[a-z][a-z0-9_]*\}?|<[a-z][a-z0-9_-]*>|\{\{[^}]{1,40}\}\}/g;

/** Patterns for the document's inline code and lines that contain placeholders; a placeholder matches one word. */
function commandTemplates(content: string): RegExp[] {
  const out: RegExp[] = [];
  const seen = new Set<string>();
  const candidates = [...content.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? "").concat(content.split("\n"));
  for (const raw of candidates) {
    const text = flatten(raw.replace(/^\s*(?:[-*+$#]\s+)/, "").trim());
    if (text.length > 300) continue;
    const parts = text.split(PLACEHOLDER);
    if (parts.length < 2) continue;
    const pattern = parts.map(escapeRegExp).join("[^\\s]+");
    if (seen.has(pattern)) continue;
    seen.add(pattern);
    out.push(new RegExp(`^${pattern}$`));
  }
  return out;
}

/**
 * Prepares a document for repeated scoring. The title counts as part of the document for
 * specifics and words (a runbook titled "KubeHpaMaxedOut" supports the alert's name), but
 * quotes are always spans of `content`.
 */
export function indexDocument(content: string, title?: string): DocumentIndex {
  const lower = content.toLowerCase();
  const whole = title ? `${title}\n${content}` : content;
  const segments = documentSegments(content).map(([start, end]) => {
    const text = content.slice(start, end);
    return { start, end, stems: new Set(contentStems(text)), lower: flatten(text) };
  });
  return { content, lower, flat: flatten(whole), stems: new Set(contentStems(whole)), segments, templates: commandTemplates(content) };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const patternCache = new Map<string, RegExp>();

/** A compiled pattern, reused across calls (bounded, so a long-running process does not grow it forever). */
function cached(source: string): RegExp {
  let re = patternCache.get(source);
  if (!re) {
    if (patternCache.size > 5000) patternCache.clear();
    re = new RegExp(source);
    patternCache.set(source, re);
  }
  return re;
}

function containsBounded(haystack: string, needle: string): boolean {
  if (needle === "" || !haystack.includes(needle)) return false;
  const startWord = /^[a-z0-9_]/.test(needle);
  const endWord = /[a-z0-9_]$/.test(needle);
  return cached(`${startWord ? "(?<![a-z0-9_])" : ""}${escapeRegExp(needle)}${endWord ? "(?![a-z0-9_])" : ""}`).test(haystack);
}

function containsNumber(haystack: string, token: string): boolean {
  const numeric = /^[-+]?[\d,]*\d(?:\.\d+)?/.exec(token)?.[0]?.replace(/^[-+]/, "").replace(/,/g, "") ?? "";
  if (numeric === "" || !haystack.includes(numeric)) return false;
  return cached(`(?<![\\d.])${escapeRegExp(numeric)}(?![\\d]|\\.\\d)`).test(haystack);
}

/**
 * How much of a specific the text contains: 1 when all of it (or when it fills in a command
 * template of the document), otherwise the share of its parts found (parts the question
 * contains count as found).
 */
export function presenceOf(kind: SpecificKind, needle: string, flatText: string, templates: readonly RegExp[], exempt: ReadonlySet<string>): number {
  if (kind === "number") return containsBounded(flatText, needle) || containsNumber(flatText, needle) ? 1 : 0;
  if (containsBounded(flatText, needle) || (kind !== "identifier" && flatText.includes(needle))) return 1;
  if (kind === "code" && templates.some((t) => t.test(needle))) return 1;
  const parts = needle.split(/[\s/=:,]+/).filter((p) => p.length >= 2);
  if (parts.length < 2) return 0;
  let found = 0;
  let numberMissing = false;
  for (const p of parts) {
    const numeric = NUMBER.test(p);
    if (exempt.has(p) || (numeric ? containsNumber(flatText, p) : containsBounded(flatText, p))) found += 1;
    else if (numeric) numberMissing = true;
  }
  // A command or setting with a number the source does not have is a different command.
  return numberMissing ? Math.min(0.5, found / parts.length) : found / parts.length;
}
