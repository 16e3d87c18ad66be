/**
 * Run-time grounding of an answer's citations: every sentence that carries a [N] marker is
 * scored against the document it cites, and sentences that state specifics without any marker
 * are found.
 *
 * Pure string work, deterministic, no model call: the specifics of a sentence (inline code,
 * numbers, identifiers, error reasons, quoted messages) must appear in the cited document, and
 * its content words must overlap a span of it. The best-matching span is returned as the
 * citation's `quote` (character offsets into the document's `content`). When an embedding
 * model is configured, `refineWithEmbeddings` blends in the cosine similarity between each
 * sentence and the best candidate spans of its document.
 */
import type { Citation, ContextDocument, GroundingSummary, Quote } from "../domain/index.js";
import { findCitationMarkers, type CitationMarker } from "./citations.js";

/** Citations whose support is below this are reported as unsupported (`BRUNO_GROUNDING_THRESHOLD`). */
export const DEFAULT_SUPPORT_THRESHOLD = 0.5;
/** How many unsupported citations and uncited sentences the warnings name one by one. */
export const MAX_LISTED_WARNINGS = 5;
/** Start of the warning for a citation whose document does not support its sentence. */
export const UNSUPPORTED_WARNING = "unsupported citation";
/** Start of the warning for a sentence that states specifics without a citation. */
export const UNCITED_WARNING = "states specifics without a citation";
/** Start of the warning that counts what was not listed one by one. */
export const MORE_GROUNDING_WARNING = "and";
/** Longest quote returned, in characters; longer best spans are cut at a word boundary. */
export const MAX_QUOTE_CHARS = 400;
/** Sentences with fewer content words than this and no specifics are not scored. */
export const MIN_CHECKABLE_WORDS = 2;
/** Longest sentence excerpt quoted in a warning. */
const WARNING_SENTENCE_CHARS = 140;

// ---------------------------------------------------------------------------------------------
// Sentences
// ---------------------------------------------------------------------------------------------

/** One sentence of an answer (fenced code blocks are not sentences). */
export interface AnswerSentence {
  /** The sentence as written in the answer, markers included. */
  text: string;
  /** The sentence without markers, list bullets and emphasis, whitespace collapsed. */
  claim: string;
  /** Offsets of `text` in the answer. */
  start: number;
  end: number;
  /** Document numbers cited, in order, without repeats. */
  indices: number[];
  /** True when `indices` come from a lead-in sentence ending in ":" (a list under it). */
  inherited: boolean;
}

const ABBREVIATIONS = new Set(["e.g", "i.e", "etc", "vs", "cf", "approx", "incl", "min", "max", "no", "fig", "resp", "approx", "mr", "dr", "st"]);
const FENCE = /^(\s*)(```|~~~)/;
const LIST_ITEM = /^\s*(?:[-*+•]|\d{1,3}[.)])\s+/;
const HEADING = /^\s*#{1,6}\s+/;
const QUOTE_PREFIX = /^\s*>\s?/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

interface Line {
  start: number;
  end: number;
  /** Offset where the content starts (after bullets, heading marks, quote marks). */
  contentStart: number;
  listItem: boolean;
  blank: boolean;
}

function answerLines(answer: string): Line[] {
  const lines: Line[] = [];
  let offset = 0;
  let fence: string | undefined;
  for (const raw of answer.split("\n")) {
    const start = offset;
    const end = offset + raw.length;
    offset = end + 1;
    const fenceMatch = FENCE.exec(raw);
    if (fence !== undefined) {
      if (fenceMatch && fenceMatch[2] === fence) fence = undefined;
      continue;
    }
    if (fenceMatch) {
      fence = fenceMatch[2];
      continue;
    }
    if (raw.trim() === "" || TABLE_SEPARATOR.test(raw)) {
      lines.push({ start, end, contentStart: end, listItem: false, blank: true });
      continue;
    }
    let prefix = 0;
    const quote = QUOTE_PREFIX.exec(raw);
    if (quote) prefix = quote[0].length;
    const rest = raw.slice(prefix);
    const list = LIST_ITEM.exec(rest);
    const heading = HEADING.exec(rest);
    if (list) prefix += list[0].length;
    else if (heading) prefix += heading[0].length;
    lines.push({ start, end, contentStart: start + prefix, listItem: list !== null, blank: false });
  }
  return lines;
}

/** Offsets of inline code spans (single backticks) in a line, so sentence ends inside them are ignored. */
function inlineCode(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const m of text.matchAll(/(`+)[^`\n]+?\1/g)) out.push([m.index, m.index + m[0].length]);
  return out;
}

/** Sentence ranges of one line: [start, end) offsets relative to the line content. */
function lineSentences(text: string): Array<[number, number]> {
  const code = inlineCode(text);
  const inCode = (i: number) => code.some(([s, e]) => i >= s && i < e);
  const ranges: Array<[number, number]> = [];
  let begin = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch !== "." && ch !== "!" && ch !== "?") continue;
    if (inCode(i)) continue;
    // Consume repeated punctuation, closing quotes/brackets and citation markers after the end.
    let j = i + 1;
    while (j < text.length && /[.!?)"'’”*_]/.test(text[j] ?? "")) j++;
    for (;;) {
      const rest = text.slice(j);
      const marker = /^\s*\[\s*\d{1,4}(?:\s*[-–,]\s*\d{1,4})*\s*\]/.exec(rest);
      if (!marker) break;
      j += marker[0].length;
    }
    if (j < text.length && !/\s/.test(text[j] ?? "")) continue;
    // What follows must look like a new sentence.
    let k = j;
    while (k < text.length && /\s/.test(text[k] ?? "")) k++;
    const next = text[k];
    if (next !== undefined && !/[A-Z0-9`"'“(\[*_]/.test(next)) continue;
    if (ch === ".") {
      const word = /([A-Za-z.]+)$/.exec(text.slice(begin, i))?.[1]?.toLowerCase() ?? "";
      if (ABBREVIATIONS.has(word) || /^[a-z]$/.test(word)) continue;
    }
    ranges.push([begin, j]);
    begin = k;
    i = k - 1;
  }
  if (begin < text.length) ranges.push([begin, text.length]);
  return ranges.filter(([s, e]) => text.slice(s, e).trim() !== "");
}

/** Removes citation markers, emphasis and extra whitespace from a sentence. */
export function claimText(sentence: string): string {
  let out = sentence;
  const markers = findCitationMarkers(sentence);
  for (const m of [...markers].reverse()) out = out.slice(0, m.start) + out.slice(m.end);
  return out
    .replace(/\*\*|__/g, "")
    .replace(/\s+([.,;:!?])/g, "$1")
    .replace(/\s+/g, " ")
    .trim();
}

function distinct(numbers: readonly number[]): number[] {
  return [...new Set(numbers)];
}

/**
 * Splits an answer into sentences (lines, then sentence ends; list items and headings are
 * sentences of their own; fenced code blocks are skipped). Each sentence gets the document
 * numbers of the markers inside it or right after its final punctuation. List items without
 * markers under a cited lead-in ending in ":" inherit the lead-in's numbers.
 */
export function splitSentences(answer: string): AnswerSentence[] {
  const markers = findCitationMarkers(answer);
  const sentences: AnswerSentence[] = [];
  let leadIn: number[] | undefined;
  for (const line of answerLines(answer)) {
    if (line.blank) {
      leadIn = undefined;
      continue;
    }
    if (!line.listItem) leadIn = undefined;
    const content = answer.slice(line.contentStart, line.end);
    for (const [s, e] of lineSentences(content)) {
      let start = line.contentStart + s;
      let end = line.contentStart + e;
      const raw = answer.slice(start, end);
      start += raw.length - raw.trimStart().length;
      end -= raw.length - raw.trimEnd().length;
      const text = answer.slice(start, end);
      const own = distinct(markers.filter((m: CitationMarker) => m.start >= start && m.start < end).flatMap((m) => m.indices));
      const claim = claimText(text);
      if (claim.replace(/[^\p{L}\p{N}]/gu, "") === "") {
        // Only markers or punctuation: the markers belong to the previous sentence.
        const prev = sentences.at(-1);
        if (prev && own.length > 0) {
          prev.indices = distinct([...prev.indices, ...own]);
          prev.inherited = false;
          prev.end = end;
          prev.text = answer.slice(prev.start, end);
        }
        continue;
      }
      const inherit = own.length === 0 && line.listItem && leadIn !== undefined;
      sentences.push({ text, claim, start, end, indices: inherit ? [...(leadIn ?? [])] : own, inherited: inherit });
      if (!line.listItem) leadIn = own.length > 0 && /:\s*$/.test(claim) ? own : undefined;
    }
  }
  return sentences;
}

// ---------------------------------------------------------------------------------------------
// Specifics
// ---------------------------------------------------------------------------------------------

export type SpecificKind = "code" | "quoted" | "number" | "identifier";

/** Something a sentence states that must appear in its source: a command, a number, a name. */
export interface Specific {
  kind: SpecificKind;
  text: string;
}

/** Well-known names that are not claims about the environment (kinds, products, query languages). */
const COMMON_TERMS = new Set(
  [
    "kubernetes", "statefulset", "statefulsets", "daemonset", "daemonsets", "replicaset", "replicasets", "configmap", "configmaps",
    "cronjob", "cronjobs", "persistentvolume", "persistentvolumes", "persistentvolumeclaim", "persistentvolumeclaims", "storageclass",
    "networkpolicy", "customresourcedefinition", "serviceaccount", "clusterrole", "clusterrolebinding", "rolebinding", "ingressclass",
    "horizontalpodautoscaler", "poddisruptionbudget", "promql", "logql", "traceql", "gitops", "github", "gitlab", "pagerduty",
    "opentelemetry", "javascript", "typescript", "coredns", "grafana", "prometheus", "alertmanager", "kubectl", "devops", "youtube",
    "macos", "iptables", "nodejs", "postgresql", "mysql", "mongodb", "rabbitmq", "elasticsearch", "opensearch", "cloudflare",
  ],
);

const NUMBER = /^[-+]?\d[\d,]*(?:\.\d+)?(?:%|[a-zA-Z]{1,3})?$/;
const CAMEL = /[a-z][A-Z]|[A-Z]{2,}[a-z]/;
const ERRNO = /^(?:E[A-Z]{3,}|SIG[A-Z]{3,})$/;

function isSpecificToken(token: string): SpecificKind | undefined {
  if (token.length < 2) return undefined;
  if (COMMON_TERMS.has(token.toLowerCase())) return undefined;
  if (NUMBER.test(token)) {
    const digits = token.replace(/[^\d]/g, "");
    const unit = /[a-zA-Z%]+$/.exec(token)?.[0];
    // A bare single digit ("1 pod", "step 2") is prose, not a specific.
    if (digits.length < 2 && !unit && !token.includes(".")) return undefined;
    // Ordinals and plain words that start with a digit ("2nd", "3rd") are prose.
    if (unit && /^(?:st|nd|rd|th)$/i.test(unit)) return undefined;
    return "number";
  }
  if (/^--?[a-zA-Z]/.test(token) && token.length > 2) return "identifier";
  if (/[_/=]/.test(token) && /[A-Za-z0-9]/.test(token)) return "identifier";
  if (/[A-Za-z0-9]\.[A-Za-z0-9]/.test(token) && !/^[A-Za-z]\.[A-Za-z]$/.test(token)) return "identifier";
  if (/-/.test(token) && /\d/.test(token) && /[A-Za-z]/.test(token)) return "identifier";
  if ((token.match(/-/g) ?? []).length >= 2) return "identifier";
  if (CAMEL.test(token)) return "identifier";
  if (ERRNO.test(token)) return "identifier";
  if (/^[A-Z0-9]+$/.test(token) && /\d/.test(token) && /[A-Z]/.test(token)) return "identifier";
  return undefined;
}

/** The specifics a sentence states: inline code, quoted messages, numbers and identifiers. */
export function extractSpecifics(claim: string): Specific[] {
  const out: Specific[] = [];
  const seen = new Set<string>();
  const add = (kind: SpecificKind, text: string) => {
    const key = text.toLowerCase();
    if (text === "" || seen.has(key)) return;
    seen.add(key);
    out.push({ kind, text });
  };
  let rest = claim;
  for (const m of claim.matchAll(/(`+)([^`]+?)\1/g)) {
    const body = (m[2] ?? "").trim();
    if (body.length >= 2 && !COMMON_TERMS.has(body.toLowerCase())) add("code", body);
    rest = rest.replace(m[0], " ");
  }
  for (const m of rest.matchAll(/"([^"\n]{4,200})"|“([^”\n]{4,200})”/g)) {
    const body = (m[1] ?? m[2] ?? "").trim();
    if (/\s/.test(body) || isSpecificToken(body)) add("quoted", body);
    rest = rest.replace(m[0], " ");
  }
  for (const raw of rest.split(/\s+/)) {
    const token = raw.replace(/^[("'‘“[{<*]+/, "").replace(/[)"'’”\]}>*,;:!?]+$/, "").replace(/\.+$/, "");
    const kind = isSpecificToken(token);
    if (kind) add(kind, token);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------------------------

const STOPWORDS = new Set(
  (
    "a an the and or but if then else when while of to in on at by for with from into onto over under about as is are was were be been being " +
    "it its this that these those there here their they them he she his her we our you your i me my do does did done doing have has had having " +
    "can could should would will shall may might must not no nor so than too very just also only such each any all both either neither " +
    "which who whom whose what where why how more most some other same own again once up down out off further until after before above below " +
    "between through during against per via use using used make makes made get gets got see let lets one two need needs needed first then " +
    "e g i e etc vs"
  ).split(" "),
);

/** Folds a word to a crude stem so that "restarts", "restarted" and "restarting" meet. */
export function stem(word: string): string {
  let w = word;
  if (w.length > 5 && w.endsWith("ing")) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith("ied")) w = `${w.slice(0, -3)}y`;
  else if (w.length > 4 && w.endsWith("ed")) w = w.slice(0, -2);
  else if (w.length > 4 && w.endsWith("ies")) w = `${w.slice(0, -3)}y`;
  else if (w.length > 4 && w.endsWith("es")) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith("s") && !w.endsWith("ss")) w = w.slice(0, -1);
  if (w.length > 4 && w.endsWith("e")) w = w.slice(0, -1);
  return w;
}

/** Content-word stems of a text: lower case, stopwords and one-letter tokens dropped. */
export function contentStems(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    const w = m[0];
    if (w.length < 2 || STOPWORDS.has(w)) continue;
    out.push(stem(w));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------------------------

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

function flatten(text: string): string {
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
function presenceOf(kind: SpecificKind, needle: string, flatText: string, templates: readonly RegExp[], exempt: ReadonlySet<string>): number {
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

// ---------------------------------------------------------------------------------------------
// Scoring
// ---------------------------------------------------------------------------------------------

/** How well one document supports one sentence. */
export interface SupportScore {
  /** 0..1: the verdict compared against the threshold. */
  support: number;
  /** Share of the sentence's content words found in the best span (half) and in the whole document (half). */
  lexical: number;
  /** Mean presence of the sentence's specifics in the document (1 when it has none). */
  specifics: number;
  /** How many specifics were checked (those of the question are exempt). */
  checkedSpecifics: number;
  /** Specifics of the sentence that the document does not contain. */
  missing: string[];
  /** The best-matching span of the document. */
  quote?: Quote;
  /** The best spans, best first (for embedding refinement). */
  candidates: Quote[];
}

const EXTRA_SEGMENT_PENALTY = 0.05;
const MAX_WINDOW_SEGMENTS = 3;
const CANDIDATES_KEPT = 3;

function recall(stems: readonly string[], has: (s: string) => boolean): number {
  if (stems.length === 0) return 1;
  return stems.filter(has).length / stems.length;
}

function cutQuote(content: string, start: number, end: number): Quote {
  let stop = end;
  if (stop - start > MAX_QUOTE_CHARS) {
    const cut = content.lastIndexOf(" ", start + MAX_QUOTE_CHARS);
    stop = cut > start ? cut : start + MAX_QUOTE_CHARS;
  }
  return { start, end: stop, text: content.slice(start, stop) };
}

/**
 * Combines the two signals: with specifics, the blend of word overlap and specific presence is
 * scaled by the square of the specific presence (a sentence whose numbers or commands are not
 * in the source is unsupported however many words it shares: one of three missing already
 * sinks it); without, the word overlap alone.
 */
export function combineSupport(lexical: number, specifics: number, hasSpecifics: boolean): number {
  const value = hasSpecifics ? ((lexical + specifics) / 2) * specifics * specifics : lexical;
  return Math.round(Math.min(1, Math.max(0, value)) * 1000) / 1000;
}

/**
 * Scores a claim against a document. `exempt` lists specifics that need no source (they
 * come from the question itself).
 */
export function scoreSupport(claim: string, doc: DocumentIndex, exempt: ReadonlySet<string> = new Set()): SupportScore {
  const specifics = extractSpecifics(claim).filter((s) => !exempt.has(s.text.toLowerCase()));
  const stems = [...new Set(contentStems(claim.replace(/`/g, " ")))];
  const presence = specifics.map((s) => presenceOf(s.kind, flatten(s.text), doc.flat, doc.templates, exempt));
  const specificScore = presence.length === 0 ? 1 : presence.reduce((a, b) => a + b, 0) / presence.length;
  const missing = specifics.filter((_, i) => (presence[i] ?? 0) < 1).map((s) => s.text);
  const docRecall = recall(stems, (s) => doc.stems.has(s));

  // The best window of 1..3 consecutive segments: word recall plus specifics inside it. Only
  // windows that start and end on a segment with a hit can be best (an empty edge only adds
  // a penalty), so the others are not scored.
  const segs = doc.segments;
  const needles = specifics.map((s) => ({ ...s, flat: flatten(s.text) }));
  const hits = segs.map((seg) => stems.map((st) => seg.stems.has(st)));
  const presenceIn = needles.length === 0 ? [] : segs.map((seg) => needles.map((n) => presenceOf(n.kind, n.flat, seg.lower, doc.templates, exempt)));
  const useful = segs.map((_, i) => (hits[i] ?? []).some(Boolean) || (presenceIn[i] ?? []).some((v) => v > 0));
  const scored: Array<{ score: number; words: number; start: number; end: number }> = [];
  for (let i = 0; i < segs.length; i++) {
    if (!useful[i]) continue;
    for (let size = 1; size <= MAX_WINDOW_SEGMENTS && i + size <= segs.length; size++) {
      const lastIndex = i + size - 1;
      if (!useful[lastIndex]) continue;
      let found = 0;
      for (let k = 0; k < stems.length; k++) {
        for (let j = i; j <= lastIndex; j++) {
          if (hits[j]?.[k]) {
            found++;
            break;
          }
        }
      }
      const words = stems.length === 0 ? 1 : found / stems.length;
      let score = words;
      if (needles.length > 0) {
        let inside = 0;
        for (let k = 0; k < needles.length; k++) {
          let best = 0;
          for (let j = i; j <= lastIndex; j++) best = Math.max(best, presenceIn[j]?.[k] ?? 0);
          inside += best;
        }
        score = (words + inside / needles.length) / 2;
      }
      const first = segs[i];
      const last = segs[lastIndex];
      if (!first || !last) continue;
      scored.push({ score: score - EXTRA_SEGMENT_PENALTY * (size - 1), words, start: first.start, end: last.end });
    }
  }
  scored.sort((x, y) => y.score - x.score || x.start - y.start || x.end - y.end);
  const candidates: Quote[] = [];
  let spanRecall = 0;
  for (const c of scored) {
    if (candidates.length >= CANDIDATES_KEPT || c.score <= 0) break;
    if (candidates.some((q) => c.start < q.end && q.start < c.end)) continue;
    if (candidates.length === 0) spanRecall = c.words;
    candidates.push(cutQuote(doc.content, c.start, c.end));
  }
  const best = candidates[0];
  const lexical = Math.round((0.5 * spanRecall + 0.5 * docRecall) * 1000) / 1000;
  const support = doc.content.trim() === "" ? 0 : combineSupport(lexical, specificScore, specifics.length > 0);
  return {
    support,
    lexical,
    specifics: Math.round(specificScore * 1000) / 1000,
    checkedSpecifics: specifics.length,
    missing,
    ...(best ? { quote: best } : {}),
    candidates,
  };
}

// ---------------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------------

/** A sentence that states specifics without citing anything. */
export interface UncitedClaim {
  sentence: string;
  specifics: string[];
}

/** One cited (sentence, document) pair and its score, before it becomes a `Citation`. */
export interface ScoredCitation {
  citation: Citation;
  sentence: AnswerSentence;
  score?: SupportScore;
}

export interface GroundingOptions {
  /** Support below this is unsupported; default `DEFAULT_SUPPORT_THRESHOLD`. */
  threshold?: number;
  /** The question: specifics it contains need no citation and no source. */
  query?: string;
}

export interface GroundingResult {
  /** One per (sentence, cited document) pair, in order of appearance. */
  citations: Citation[];
  scored: ScoredCitation[];
  sentences: AnswerSentence[];
  uncited: UncitedClaim[];
  summary: GroundingSummary;
  warnings: string[];
}

function querySpecifics(query: string | undefined): Set<string> {
  if (!query) return new Set();
  const out = new Set(extractSpecifics(query).map((s) => s.text.toLowerCase()));
  // Any token of the question counts: the answer may repeat a name the user typed.
  for (const t of query.split(/\s+/)) {
    const token = t.replace(/^[("'`[{<]+/, "").replace(/[)"'`\]}>,;:!?.]+$/, "");
    if (token) out.add(token.toLowerCase());
  }
  return out;
}

function excerpt(text: string, max = WARNING_SENTENCE_CHARS): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}

/** The warnings for unsupported citations and uncited specifics (at most a few of each named). */
export function groundingWarnings(scored: readonly ScoredCitation[], uncited: readonly UncitedClaim[], threshold: number): string[] {
  const warnings: string[] = [];
  const weak = scored.filter((s) => s.citation.valid && (s.citation.support ?? 1) < threshold);
  for (const s of weak.slice(0, MAX_LISTED_WARNINGS)) {
    const missing = s.citation.missing && s.citation.missing.length > 0 ? `; not in [${s.citation.index}]: ${s.citation.missing.join(", ")}` : "";
    warnings.push(
      `${UNSUPPORTED_WARNING} [${s.citation.index}] (support ${(s.citation.support ?? 0).toFixed(2)} < ${threshold.toFixed(2)}): "${excerpt(s.sentence.claim)}"${missing}`,
    );
  }
  if (weak.length > MAX_LISTED_WARNINGS) {
    warnings.push(`${MORE_GROUNDING_WARNING} ${weak.length - MAX_LISTED_WARNINGS} more unsupported citation(s)`);
  }
  for (const u of uncited.slice(0, MAX_LISTED_WARNINGS)) {
    warnings.push(`${UNCITED_WARNING}: "${excerpt(u.sentence)}" (${u.specifics.join(", ")})`);
  }
  if (uncited.length > MAX_LISTED_WARNINGS) {
    warnings.push(`${MORE_GROUNDING_WARNING} ${uncited.length - MAX_LISTED_WARNINGS} more sentence(s) state specifics without a citation`);
  }
  return warnings;
}

/** True for the warnings `groundAnswer` writes (the CLI shows those in its own block). */
export function isGroundingWarning(warning: string): boolean {
  return (
    warning.startsWith(UNSUPPORTED_WARNING) ||
    warning.startsWith(UNCITED_WARNING) ||
    /^and \d+ more (unsupported citation|sentence\(s\) state specifics)/.test(warning)
  );
}

/** The counters and lists of the output's `grounding` field. */
export function summarize(
  sentences: readonly AnswerSentence[],
  scored: readonly ScoredCitation[],
  uncited: readonly UncitedClaim[],
  threshold: number,
  method: GroundingSummary["method"],
): GroundingSummary {
  const valid = scored.filter((s) => s.citation.valid && s.citation.support !== undefined);
  const supports = valid.map((s) => s.citation.support ?? 0);
  return {
    method,
    threshold,
    sentences: sentences.length,
    citedSentences: sentences.filter((s) => s.indices.length > 0).length,
    checkedCitations: valid.length,
    unsupportedCitations: supports.filter((v) => v < threshold).length,
    uncitedClaims: uncited.length,
    meanSupport: supports.length === 0 ? null : Math.round((supports.reduce((a, b) => a + b, 0) / supports.length) * 1000) / 1000,
    uncitedSentences: uncited.map((u) => u.sentence),
  };
}

/**
 * Scores every cited sentence of an answer against each document it cites, and finds the
 * sentences that state specifics without a citation. Out-of-range numbers come back as
 * `valid: false` citations without a score.
 */
export function groundAnswer(answer: string, documents: readonly ContextDocument[], options: GroundingOptions = {}): GroundingResult {
  const threshold = options.threshold ?? DEFAULT_SUPPORT_THRESHOLD;
  const exempt = querySpecifics(options.query);
  const sentences = splitSentences(answer);
  const indexes = new Map<number, DocumentIndex>();
  const docIndex = (n: number): DocumentIndex | undefined => {
    const doc = documents[n - 1];
    if (!doc) return undefined;
    let index = indexes.get(n);
    if (!index) {
      index = indexDocument(doc.content, doc.title);
      indexes.set(n, index);
    }
    return index;
  };
  const scored: ScoredCitation[] = [];
  const uncited: UncitedClaim[] = [];
  for (const sentence of sentences) {
    if (sentence.indices.length === 0) {
      if (documents.length === 0) continue;
      const specifics = extractSpecifics(sentence.claim).filter((s) => !exempt.has(s.text.toLowerCase()));
      if (specifics.length > 0) uncited.push({ sentence: sentence.claim, specifics: specifics.map((s) => s.text) });
      continue;
    }
    for (const index of sentence.indices) {
      const doc = index >= 1 ? documents[index - 1] : undefined;
      const citation: Citation = { index, valid: doc !== undefined };
      if (doc?.title !== undefined) citation.title = doc.title;
      if (doc?.source !== undefined) citation.source = doc.source;
      citation.sentence = sentence.text;
      const idx = doc ? docIndex(index) : undefined;
      if (!idx) {
        scored.push({ citation, sentence });
        continue;
      }
      const score = scoreSupport(sentence.claim, idx, exempt);
      if (score.checkedSpecifics === 0 && contentStems(sentence.claim).length < MIN_CHECKABLE_WORDS) {
        // "Steps [1]:" or "See [2]." says nothing to check; it is neither supported nor not.
        scored.push({ citation, sentence });
        continue;
      }
      citation.support = score.support;
      if (score.quote) citation.quote = { start: score.quote.start, end: score.quote.end, text: score.quote.text };
      if (score.missing.length > 0) citation.missing = score.missing;
      scored.push({ citation, sentence, score });
    }
  }
  return {
    citations: scored.map((s) => s.citation),
    scored,
    sentences,
    uncited,
    summary: summarize(sentences, scored, uncited, threshold, "lexical"),
    warnings: groundingWarnings(scored, uncited, threshold),
  };
}

// ---------------------------------------------------------------------------------------------
// Embedding refinement
// ---------------------------------------------------------------------------------------------

/** What refinement needs of an embedding model; `OllamaEmbeddings` is one. */
export interface TextEmbedder {
  embedDocuments(texts: string[]): Promise<number[][]>;
}

/** Cosine similarity of two vectors (0 when either is zero or they differ in length). */
export function cosine(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length === 0) return 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Cosine at or below which a span counts as unrelated, and at or above which as a paraphrase. */
export const EMBEDDING_FLOOR = 0.5;
export const EMBEDDING_CEILING = 0.85;

/** Maps a cosine similarity onto 0..1 between `EMBEDDING_FLOOR` and `EMBEDDING_CEILING`. */
export function semanticScore(similarity: number): number {
  return Math.min(1, Math.max(0, (similarity - EMBEDDING_FLOOR) / (EMBEDDING_CEILING - EMBEDDING_FLOOR)));
}

/**
 * Refines the support of every scored citation with embeddings: each claim and its candidate
 * spans are embedded (one batch), the word overlap is averaged with the best span's semantic
 * score, and the quote becomes the most similar span. Specific presence still scales the result.
 */
export async function refineWithEmbeddings(result: GroundingResult, embedder: TextEmbedder, options: GroundingOptions = {}): Promise<GroundingResult> {
  const threshold = options.threshold ?? DEFAULT_SUPPORT_THRESHOLD;
  const withScores = result.scored.filter((s): s is ScoredCitation & { score: SupportScore } => s.score !== undefined && s.score.candidates.length > 0);
  if (withScores.length === 0) return { ...result, summary: { ...result.summary, method: "embedding" } };
  const texts: string[] = [];
  const slot = new Map<string, number>();
  const slotOf = (text: string) => {
    let i = slot.get(text);
    if (i === undefined) {
      i = texts.length;
      texts.push(text);
      slot.set(text, i);
    }
    return i;
  };
  const plan = withScores.map((s) => ({ claim: slotOf(s.sentence.claim), spans: s.score.candidates.map((c) => slotOf(c.text)) }));
  const vectors = await embedder.embedDocuments(texts);
  if (vectors.length !== texts.length) throw new Error(`the embedding model returned ${vectors.length} vectors for ${texts.length} texts`);
  const refined = new Map<ScoredCitation, ScoredCitation>();
  withScores.forEach((s, i) => {
    const p = plan[i];
    if (!p) return;
    const claimVector = vectors[p.claim] ?? [];
    let bestIndex = 0;
    let bestSimilarity = -1;
    p.spans.forEach((v, j) => {
      const similarity = cosine(claimVector, vectors[v] ?? []);
      if (similarity > bestSimilarity) {
        bestSimilarity = similarity;
        bestIndex = j;
      }
    });
    const semantic = semanticScore(bestSimilarity);
    const blended = (s.score.lexical + semantic) / 2;
    const support = combineSupport(blended, s.score.specifics, s.score.checkedSpecifics > 0);
    const quote = s.score.candidates[bestIndex] ?? s.citation.quote;
    const citation: Citation = { ...s.citation, support, ...(quote ? { quote } : {}) };
    refined.set(s, { ...s, citation });
  });
  const scored = result.scored.map((s) => refined.get(s) ?? s);
  return {
    ...result,
    scored,
    citations: scored.map((s) => s.citation),
    summary: summarize(result.sentences, scored, result.uncited, threshold, "embedding"),
    warnings: groundingWarnings(scored, result.uncited, threshold),
  };
}
