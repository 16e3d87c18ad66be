/** How well one document supports one sentence: word overlap, specifics, and the best-matching span. */
import type { Quote } from "../../domain/index.js";
import { MAX_QUOTE_CHARS } from "./constants.js";
import type { DocumentIndex } from "./documents.js";
import { checkSpecifics } from "./presence.js";
import { contentStems } from "./words.js";

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
/** Windows kept while scanning, from which the non-overlapping candidates are picked. */
const TOP_WINDOWS = 12;

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

/** Word keys (at most this many) tracked per segment when looking for the best span. */
const MASK_BITS = 30;

function popcount(x: number): number {
  let n = x - ((x >>> 1) & 0x55555555);
  n = (n & 0x33333333) + ((n >>> 2) & 0x33333333);
  return (((n + (n >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * Scores a claim against a document. `exempt` lists specifics that need no source (they
 * come from the question itself).
 */
export function scoreSupport(claim: string, doc: DocumentIndex, exempt: ReadonlySet<string> = new Set()): SupportScore {
  const checks = checkSpecifics(claim, doc, exempt);
  const stems = [...new Set(contentStems(claim.replace(/`/g, " ")))];
  const specificScore = checks.length === 0 ? 1 : checks.reduce((a, c) => a + c.presence, 0) / checks.length;
  const missing = checks.filter((c) => c.presence < 1).map((c) => (c.otherRole ? `${c.text} (the document gives it for something else)` : c.text));
  const docRecall = stems.length === 0 ? 1 : stems.filter((s) => doc.stems.has(s)).length / stems.length;

  // The best window of 1..3 consecutive segments: word recall plus specifics inside it, as bit
  // masks per segment. Only windows that start and end on a segment with a hit can be best.
  const segs = doc.segments;
  const tracked = stems.slice(0, MASK_BITS);
  const words = new Int32Array(segs.length);
  tracked.forEach((st, k) => {
    for (const i of doc.keySegments.get(st) ?? []) words[i] = (words[i] ?? 0) | (1 << k);
  });
  const placed = checks.filter((c) => c.presence > 0 && c.segments !== undefined).slice(0, MASK_BITS);
  const specs = new Int32Array(segs.length);
  placed.forEach((c, k) => {
    for (const i of c.segments ?? []) if (i >= 0) specs[i] = (specs[i] ?? 0) | (1 << k);
  });
  const useful = (i: number) => (words[i] ?? 0) !== 0 || (specs[i] ?? 0) !== 0;
  // The best windows, kept in a short list ordered best first (score, then earlier, then shorter).
  const top: Array<{ score: number; words: number; start: number; end: number }> = [];
  const before = (a: { score: number; start: number; end: number }, b: { score: number; start: number; end: number }) =>
    a.score > b.score || (a.score === b.score && (a.start < b.start || (a.start === b.start && a.end < b.end)));
  for (let i = 0; i < segs.length; i++) {
    if (!useful(i)) continue;
    let w = 0;
    let s = 0;
    for (let size = 1; size <= MAX_WINDOW_SEGMENTS && i + size <= segs.length; size++) {
      const lastIndex = i + size - 1;
      w |= words[lastIndex] ?? 0;
      s |= specs[lastIndex] ?? 0;
      if (!useful(lastIndex)) continue;
      const wordShare = tracked.length === 0 ? 1 : popcount(w) / tracked.length;
      const score = (checks.length > 0 ? (wordShare + popcount(s) / checks.length) / 2 : wordShare) - EXTRA_SEGMENT_PENALTY * (size - 1);
      if (score <= 0) continue;
      const window = { score, words: wordShare, start: segs[i]?.start ?? 0, end: segs[lastIndex]?.end ?? 0 };
      if (top.length === TOP_WINDOWS && !before(window, top[TOP_WINDOWS - 1] as (typeof top)[number])) continue;
      let at = top.length;
      while (at > 0 && before(window, top[at - 1] as (typeof top)[number])) at--;
      top.splice(at, 0, window);
      if (top.length > TOP_WINDOWS) top.pop();
    }
  }
  const candidates: Quote[] = [];
  let spanRecall = 0;
  for (const c of top) {
    if (candidates.length >= CANDIDATES_KEPT) break;
    if (candidates.some((q) => c.start < q.end && q.start < c.end)) continue;
    if (candidates.length === 0) spanRecall = c.words;
    candidates.push(cutQuote(doc.content, c.start, c.end));
  }
  const best = candidates[0];
  const lexical = Math.round((0.5 * spanRecall + 0.5 * docRecall) * 1000) / 1000;
  const support = doc.content.trim() === "" ? 0 : combineSupport(lexical, specificScore, checks.length > 0);
  return {
    support,
    lexical,
    specifics: Math.round(specificScore * 1000) / 1000,
    checkedSpecifics: checks.length,
    missing,
    ...(best ? { quote: best } : {}),
    candidates,
  };
}
