/** How well one document supports one sentence: word overlap, specifics, and the best-matching span. */
import type { Quote } from "../../domain/index.js";
import { MAX_QUOTE_CHARS } from "./constants.js";
import { flatten, presenceOf, type DocumentIndex } from "./documents.js";
import { extractSpecifics } from "./specifics.js";
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

