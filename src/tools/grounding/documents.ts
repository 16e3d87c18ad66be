/**
 * Documents prepared for scoring, once per answer: sentence segments and their word keys, the
 * word tokens in order (to find a composite specific whole, or a command with its placeholders
 * filled in), and the quantities with the words of their clause (to check a number's role).
 */
import { ABBREVIATIONS } from "./sentences.js";
import { bindQuantities, boundQuantities, findQuantities, type BoundQuantity } from "./numbers.js";
import { forEachWord, keyOf } from "./words.js";

const BLOCK_START = /^\s*(?:[-*+]\s|\d{1,3}[.)]\s|#{1,6}\s|\||```|~~~|>)/;

/**
 * Paragraph pieces of a document: hard-wrapped lines are joined; list items, headings, table
 * rows and every line of a fenced code block stand alone.
 */
function documentBlocks(content: string): Array<[number, number]> {
  const blocks: Array<[number, number]> = [];
  let offset = 0;
  let current: [number, number] | undefined;
  // Lines of code blocks and tables never join the next line.
  let standalone = false;
  let fence = false;
  for (const line of content.split("\n")) {
    const start = offset;
    const end = offset + line.length;
    offset = end + 1;
    const isFence = /^\s*(```|~~~)/.test(line);
    if (isFence) fence = !fence;
    if (fence || isFence) {
      if (current) blocks.push(current);
      current = undefined;
      if (!isFence && line.trim() !== "") blocks.push([start, end]);
      continue;
    }
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
      let w = m.index;
      while (w > begin && /[A-Za-z.]/.test(block[w - 1] ?? "")) w--;
      const word = block.slice(w, m.index).toLowerCase();
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

/** Lower case, whitespace collapsed, thousands separators dropped. */
export function flatten(text: string): string {
  const out = text.toLowerCase().replace(/\s+/g, " ");
  return /\d,\d{3}/.test(out) ? out.replace(/(\d),(?=\d{3}\b)/g, "$1") : out;
}

/** Placeholders in lower-case runbook commands: `$pod`, `${pod}`, `<pod>`, `{{ .pod }}`. */
const PLACEHOLDER = /\$\{?[a-z][a-z0-9_]*\}?|<[a-z][a-z0-9_-]*>|\{\{[^}]{1,40}\}\}/g;

/** A sentence-sized piece of a document. */
export interface Segment {
  start: number;
  end: number;
}

/** A quantity of the document, with the segment it is in (-1: the title). */
export interface DocumentQuantity extends BoundQuantity {
  segment: number;
}

/** The document's quantities and how many of their clauses contain each word key. */
export interface DocumentQuantities {
  list: DocumentQuantity[];
  /** Rarer words are stronger evidence of a number's role. */
  clauseFrequency: Map<string, number>;
}

/**
 * A document prepared once per answer for scoring its citations. The parts that only some
 * claims need (quantities, the flattened text, token positions, placeholders) are built on first use.
 */
export interface DocumentIndex {
  content: string;
  lower: string;
  /** Word keys of the title and the content. */
  stems: Set<string>;
  segments: Segment[];
  /** Segments holding each word key (the title's keys are in `stems` only). */
  keySegments: Map<string, number[]>;
  /** Word tokens (letters and digits) of the title and the content, in order, and the segment of each (-1 title, -2 none). */
  tokens: string[];
  tokenSegment: number[];
  /** Index of the first token of each segment. */
  segmentFirstToken: number[];
  /** Where each token occurs. */
  tokenPositions(): Map<string, number[]>;
  /** Title and content: lower case, whitespace collapsed, thousands separators dropped. */
  flat(): string;
  quantities(): DocumentQuantities;
  /** Flattened title and headings: specifics there name the document's subject. */
  headings(): string;
  /** Per token: -1, or the number of the placeholder (`$POD`, `<pod>`, `{{ .pod }}`) it belongs to. */
  placeholders(): Int32Array;
}

function documentQuantities(lower: string, title: string, ranges: ReadonlyArray<[number, number]>, tokens: readonly string[], tokenStart: readonly number[]): DocumentQuantities {
  const spaced = lower.replace(/\n/g, " ");
  const list: DocumentQuantity[] = [];
  const put = (q: BoundQuantity, segment: number) => {
    const d = q as DocumentQuantity;
    d.segment = segment;
    list.push(d);
  };
  if (title) for (const q of boundQuantities(title)) put(q, -1);
  const found = findQuantities(spaced);
  let k = 0;
  for (let i = 0; i < ranges.length && k < found.length; i++) {
    const [start, end] = ranges[i] ?? [0, 0];
    const first = k;
    while (k < found.length && (found[k]?.start ?? 0) < end) k++;
    const mine = found.slice(first, k).filter((q) => q.start >= start);
    if (mine.length === 0) continue;
    // The segment's words, from the document's tokens (offsets relative to the segment).
    let a = lowerBound(tokenStart, start);
    const text: string[] = [];
    const at: number[] = [];
    for (; a < tokenStart.length && (tokenStart[a] ?? 0) < end; a++) {
      text.push(tokens[a] ?? "");
      at.push((tokenStart[a] ?? 0) - start);
    }
    for (const q of bindQuantities(spaced.slice(start, end), mine, start, { text, start: at })) put(q, i);
  }
  const clauseFrequency = new Map<string, number>();
  for (const q of list) for (const key of q.context) clauseFrequency.set(key, (clauseFrequency.get(key) ?? 0) + 1);
  return { list, clauseFrequency };
}

/** The first index whose value is at least `value` in an ascending list (title tokens, -1, come first). */
function lowerBound(list: readonly number[], value: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((list[mid] ?? 0) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Prepares a document for repeated scoring. The title counts as part of the document for
 * specifics and words (a runbook titled "KubeHpaMaxedOut" supports the alert's name), but
 * quotes are always spans of `content`.
 */
export function indexDocument(content: string, title?: string): DocumentIndex {
  const lower = content.toLowerCase();
  const titleLower = (title ?? "").toLowerCase();
  const ranges = documentSegments(content);
  const keySegments = new Map<string, number[]>();
  const stems = new Set<string>();
  const tokens: string[] = [];
  const tokenSegment: number[] = [];
  const tokenStart: number[] = [];
  const segmentFirstToken: number[] = new Array(ranges.length).fill(-1);
  forEachWord(titleLower, (w) => {
    tokens.push(w);
    tokenSegment.push(-1);
    tokenStart.push(-1);
    const key = keyOf(w);
    if (key !== undefined) stems.add(key);
  });
  // One pass over the content: each word goes to the segment it is in (-2: between segments, e.g. a fence line).
  let seg = 0;
  forEachWord(lower, (w, at) => {
    while (seg < ranges.length && (ranges[seg] as [number, number])[1] <= at) seg++;
    const inside = seg < ranges.length && (ranges[seg] as [number, number])[0] <= at;
    const segment = inside ? seg : -2;
    if (inside && segmentFirstToken[seg] === -1) segmentFirstToken[seg] = tokens.length;
    tokens.push(w);
    tokenSegment.push(segment);
    tokenStart.push(at);
    const key = keyOf(w);
    if (key === undefined || segment < 0) return;
    const list = keySegments.get(key);
    if (!list) keySegments.set(key, [segment]);
    else if (list[list.length - 1] !== segment) list.push(segment);
  });
  for (const key of keySegments.keys()) stems.add(key);
  let positions: Map<string, number[]> | undefined;
  let flat: string | undefined;
  let quantities: DocumentQuantities | undefined;
  let headings: string | undefined;
  let groups: Int32Array | undefined;
  return {
    content,
    lower,
    stems,
    segments: ranges.map(([start, end]) => ({ start, end })),
    keySegments,
    tokens,
    tokenSegment,
    segmentFirstToken,
    tokenPositions: () => {
      if (!positions) {
        const map = new Map<string, number[]>();
        tokens.forEach((t, i) => {
          const list = map.get(t);
          if (list) list.push(i);
          else map.set(t, [i]);
        });
        positions = map;
      }
      return positions;
    },
    flat: () => (flat ??= flatten(title ? `${title}\n${content}` : content)),
    quantities: () => (quantities ??= documentQuantities(lower, titleLower, ranges, tokens, tokenStart)),
    headings: () => (headings ??= flatten([title ?? "", ...content.split("\n").filter((l) => /^\s{0,3}#{1,6}\s/.test(l))].join("\n"))),
    placeholders: () => (groups ??= placeholderGroups(lower, tokenStart)),
  };
}

function placeholderGroups(lower: string, tokenStart: readonly number[]): Int32Array {
  const groups = new Int32Array(tokenStart.length).fill(-1);
  const spans = [...lower.matchAll(PLACEHOLDER)].map((m) => [m.index, m.index + m[0].length] as const);
  let t = 0;
  spans.forEach(([start, end], g) => {
    while (t < tokenStart.length && (tokenStart[t] ?? 0) < start) t++;
    for (let k = t; k < tokenStart.length && (tokenStart[k] ?? 0) >= 0 && (tokenStart[k] ?? 0) < end; k++) groups[k] = g;
  });
  return groups;
}

/**
 * Token offsets where a command of the document matches `needle` with its placeholders filled
 * in: each placeholder takes one to four tokens of the needle that are written together (no
 * space between them), every other token must be equal.
 */
export function templateRuns(doc: DocumentIndex, needle: readonly string[], glued: readonly boolean[]): number[] {
  const first = needle[0];
  if (first === undefined) return [];
  const groups = doc.placeholders();
  const match = (p: number, i: number): boolean => {
    while (i < needle.length) {
      if (p >= doc.tokens.length) return false;
      const g = groups[p] ?? -1;
      if (g < 0) {
        if (doc.tokens[p] !== needle[i]) return false;
        p++;
        i++;
        continue;
      }
      let q = p;
      while (q < doc.tokens.length && groups[q] === g) q++;
      for (let k = 1; k <= 4 && i + k <= needle.length; k++) {
        if (k > 1 && !glued[i + k - 1]) break;
        if (match(q, i + k)) return true;
      }
      return false;
    }
    return true;
  };
  const out: number[] = [];
  for (const p of doc.tokenPositions().get(first) ?? []) if ((groups[p] ?? -1) < 0 && match(p, 0)) out.push(p);
  return out;
}

/** Word tokens of a specific, lower case. */
export function wordTokens(text: string): string[] {
  const out: string[] = [];
  forEachWord(text.toLowerCase(), (w) => out.push(w));
  return out;
}

/** Token offsets where `needle` occurs as a run of consecutive tokens of the document. */
export function tokenRuns(doc: DocumentIndex, needle: readonly string[]): number[] {
  const first = needle[0];
  if (first === undefined) return [];
  const out: number[] = [];
  const matchesAt = (p: number) => {
    if (p < 0) return false;
    for (let i = 0; i < needle.length; i++) if (doc.tokens[p + i] !== needle[i]) return false;
    return true;
  };
  // Anchor on a word with a key: only the segments holding it (and the title) can hold the run.
  const anchor = needle.findIndex((w) => keyOf(w) !== undefined);
  const segments = anchor >= 0 ? doc.keySegments.get(keyOf(needle[anchor] ?? "") ?? "") : undefined;
  if (anchor >= 0) {
    const word = needle[anchor];
    const seen = new Set<number>();
    const scan = (from: number, segment: number) => {
      for (let t = from; t < doc.tokens.length && doc.tokenSegment[t] === segment; t++) {
        const p = t - anchor;
        if (doc.tokens[t] === word && !seen.has(p) && matchesAt(p)) {
          seen.add(p);
          out.push(p);
        }
      }
    };
    scan(0, -1);
    for (const s of segments ?? []) scan(doc.segmentFirstToken[s] ?? doc.tokens.length, s);
    return out.sort((a, b) => a - b);
  }
  for (const p of doc.tokenPositions().get(first) ?? []) {
    let ok = true;
    for (let i = 1; i < needle.length; i++) {
      if (doc.tokens[p + i] !== needle[i]) {
        ok = false;
        break;
      }
    }
    if (ok) out.push(p);
  }
  return out;
}

/** True when `needle` occurs in `haystack` with no letter or digit glued to either end. */
export function containsBounded(haystack: string, needle: string): boolean {
  if (needle === "") return false;
  const startWord = /^[a-z0-9_]/.test(needle);
  const endWord = /[a-z0-9_]$/.test(needle);
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) {
    if (startWord && i > 0 && /[a-z0-9_]/.test(haystack[i - 1] ?? "")) continue;
    const after = haystack[i + needle.length];
    if (endWord && after !== undefined && /[a-z0-9_]/.test(after)) continue;
    return true;
  }
  return false;
}
