import type { Citation, ContextDocument } from "../domain/index.js";

/** A citation marker in an answer: `[2]`, `[1, 3]` or `[2-4]`. */
export interface CitationMarker {
  /** Offset of `[` in the text. */
  start: number;
  /** Offset just past `]`. */
  end: number;
  raw: string;
  /** Every document number the marker names, ranges expanded, in order. */
  indices: number[];
}

/** The widest `[N-M]` range read as a citation; wider ones are taken literally as invalid. */
export const MAX_RANGE_WIDTH = 20;

const MARKER = /\[\s*(\d{1,4}(?:\s*(?:[-–]\s*\d{1,4}|,\s*\d{1,4}))*)\s*\]/g;
const CODE_SPANS = /(```|~~~)[\s\S]*?(?:\1|$)|(`+)[^`\n][\s\S]*?\2/g;

function codeRanges(text: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const m of text.matchAll(CODE_SPANS)) ranges.push([m.index, m.index + m[0].length]);
  return ranges;
}

function expand(body: string): number[] {
  const out: number[] = [];
  for (const part of body.split(",")) {
    const range = part.split(/[-–]/).map((s) => Number.parseInt(s.trim(), 10));
    const [a, b] = range;
    if (a === undefined || Number.isNaN(a)) continue;
    if (b === undefined || Number.isNaN(b)) {
      out.push(a);
    } else if (b >= a && b - a <= MAX_RANGE_WIDTH) {
      for (let n = a; n <= b; n++) out.push(n);
    } else {
      out.push(a, b);
    }
  }
  return out;
}

/** Finds citation markers outside code spans and fenced blocks. Links like `[1](url)` are not markers. */
export function findCitationMarkers(text: string): CitationMarker[] {
  const code = codeRanges(text);
  const inCode = (i: number) => code.some(([s, e]) => i >= s && i < e);
  const markers: CitationMarker[] = [];
  for (const m of text.matchAll(MARKER)) {
    const start = m.index;
    const end = start + m[0].length;
    if (inCode(start) || text[end] === "(") continue;
    markers.push({ start, end, raw: m[0], indices: expand(m[1] ?? "") });
  }
  return markers;
}

export interface CitationCheck {
  /** One entry per distinct document number cited, in order of first appearance. */
  citations: Citation[];
  /** Distinct cited numbers outside 1..k. */
  invalid: number[];
}

/** Resolves every marker of an answer against the documents it was given. */
export function checkCitations(text: string, documents: readonly ContextDocument[]): CitationCheck {
  const seen = new Set<number>();
  const citations: Citation[] = [];
  const invalid: number[] = [];
  for (const marker of findCitationMarkers(text)) {
    for (const index of marker.indices) {
      if (seen.has(index)) continue;
      seen.add(index);
      const doc = index >= 1 && index <= documents.length ? documents[index - 1] : undefined;
      const citation: Citation = { index, valid: doc !== undefined };
      if (doc?.title !== undefined) citation.title = doc.title;
      if (doc?.source !== undefined) citation.source = doc.source;
      citations.push(citation);
      if (!doc) invalid.push(index);
    }
  }
  return { citations, invalid };
}

/**
 * Rewrites markers to keep only numbers in 1..documentCount; a marker left with no valid
 * number is removed together with the space before it.
 */
export function stripInvalidCitations(text: string, documentCount: number): string {
  const markers = findCitationMarkers(text);
  if (markers.length === 0) return text;
  let out = "";
  let cursor = 0;
  for (const marker of markers) {
    const valid = [...new Set(marker.indices.filter((n) => n >= 1 && n <= documentCount))];
    const same = valid.length === marker.indices.length && valid.length > 0;
    let before = text.slice(cursor, marker.start);
    let replacement = same ? marker.raw : valid.length > 0 ? `[${valid.join(", ")}]` : "";
    if (replacement === "") before = before.replace(/[ \t]+$/, "");
    out += before + replacement;
    cursor = marker.end;
  }
  return out + text.slice(cursor);
}

/** Citation markers as the answer writes them: `[2], [7]`. */
export function formatMarkers(numbers: readonly number[]): string {
  return numbers.map((n) => `[${n}]`).join(", ");
}
