/** Sentences of an answer: Markdown lines, then sentence ends; the citation markers of each. */
import { findCitationMarkers, type CitationMarker } from "../citations.js";

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

export const ABBREVIATIONS = new Set(["e.g", "i.e", "etc", "vs", "cf", "approx", "incl", "min", "max", "no", "fig", "resp", "approx", "mr", "dr", "st"]);
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
    lines.push(...inlineBlocks(answer, start + prefix, end));
  }
  return lines;
}

/** A sentence end, with closing quotes, emphasis and citation markers after it, then spaces. */
const ENDED = /[.!?:](?:[)"'’”*_]*|\s*\[\s*\d{1,4}(?:\s*[-–,]\s*\d{1,4})*\s*\])*\s+$/;
/** Markdown block marks that can follow a sentence on the same line when an answer lost its line breaks. */
const INLINE_BLOCK = /(?<=\s)(#{1,6}\s+|[-*+•]\s+|\d{1,3}[.)]\s+)|(```|~~~)/g;

/**
 * Splits one line into Markdown blocks: its own heading or list mark, then any heading, list
 * item or code fence that follows a sentence end on the same line ("… [1]. ## Symptoms - …"),
 * a list item right after a heading's text, and further items of an inline list. Inline code
 * fences are skipped.
 */
function inlineBlocks(answer: string, from: number, end: number): Line[] {
  const out: Line[] = [];
  const raw = answer.slice(from, end);
  const mark = (text: string) => {
    const list = LIST_ITEM.exec(text);
    if (list) return { length: list[0].length, kind: "list" as const };
    const heading = HEADING.exec(text);
    if (heading) return { length: heading[0].length, kind: "heading" as const };
    return { length: 0, kind: "text" as const };
  };
  const first = mark(raw);
  let kind: "list" | "heading" | "text" | "code" = first.kind;
  let blockStart = from;
  let contentStart = from + first.length;
  const code = inlineCodeSpans(raw);
  const push = (stop: number) => {
    if (kind !== "code" && answer.slice(contentStart, stop).trim() !== "") {
      out.push({ start: blockStart, end: stop, contentStart, listItem: kind === "list", blank: false });
    }
  };
  for (const m of raw.matchAll(INLINE_BLOCK)) {
    const at = m.index;
    if (from + at < contentStart || code.some(([s, e]) => at >= s && at < e)) continue;
    const token = m[1] ?? m[2] ?? "";
    // The end of what came before (a sentence end, its markers and spaces are short).
    const before = answer.slice(Math.max(contentStart, from + at - 80), from + at);
    const fence = token === "```" || token === "~~~";
    if (kind === "code") {
      if (!fence) continue;
      kind = "text";
      blockStart = from + at;
      contentStart = from + at + token.length;
      continue;
    }
    const bullet = /^[-*+•]/.test(token);
    const next = raw[at + token.length] ?? "";
    const splits = fence || ENDED.test(before) || (kind === "heading" && (bullet || /^\d/.test(token))) || (kind === "list" && bullet && /[A-Z`*_"']/.test(next));
    if (!splits) continue;
    push(from + at);
    blockStart = from + at;
    contentStart = from + at + token.length;
    kind = fence ? "code" : token.startsWith("#") ? "heading" : "list";
  }
  push(end);
  return out;
}

/** Offsets of inline code spans (single or double backticks) in a text. */
function inlineCodeSpans(text: string): Array<[number, number]> {
  return [...text.matchAll(/(?<!`)(`{1,2})(?!`)[^`\n]+?(?<!`)\1(?!`)/g)].map((m) => [m.index, m.index + m[0].length]);
}

/** Offsets of inline code spans (single backticks) in a line, so sentence ends inside them are ignored. */
function inlineCode(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const m of text.matchAll(/(`+)[^`\n]+?\1/g)) out.push([m.index, m.index + m[0].length]);
  return out;
}

/** A citation marker at a given offset (sticky), spaces before it allowed. */
const MARKER_AT = /\s*\[\s*\d{1,4}(?:\s*[-–,]\s*\d{1,4})*\s*\]/y;

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
      MARKER_AT.lastIndex = j;
      const marker = MARKER_AT.exec(text);
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
      let w = i;
      while (w > begin && /[A-Za-z.]/.test(text[w - 1] ?? "")) w--;
      const word = text.slice(w, i).toLowerCase();
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
