/** Grounding of a whole answer: every cited sentence scored, uncited specifics found, warnings and summary. */
import type { Citation, ContextDocument, GroundingSummary, Notice } from "../../domain/index.js";
import { DEFAULT_SUPPORT_THRESHOLD, MAX_LISTED_WARNINGS, MIN_CHECKABLE_WORDS, MORE_GROUNDING_WARNING, UNCITED_WARNING, UNSUPPORTED_WARNING, WARNING_SENTENCE_CHARS } from "./constants.js";
import { indexDocument, type DocumentIndex } from "./documents.js";
import { scoreSupport, type SupportScore } from "./scoring.js";
import { splitSentences, type AnswerSentence } from "./sentences.js";
import { extractSpecifics } from "./specifics.js";
import { contentStems } from "./words.js";

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
  /** Unsupported citations and uncited specifics, coded (UNSUPPORTED_CITATION, UNCITED_CLAIM). */
  notices: Notice[];
  /** The notices' messages. */
  warnings: string[];
}

/** Notices and their messages, as a grounding result carries them. */
export function withWarnings(notices: Notice[]): { notices: Notice[]; warnings: string[] } {
  return { notices, warnings: notices.map((n) => n.message) };
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

/** The notices for unsupported citations and uncited specifics (at most a few of each named). */
export function groundingNotices(scored: readonly ScoredCitation[], uncited: readonly UncitedClaim[], threshold: number): Notice[] {
  const notices: Notice[] = [];
  const add = (code: Notice["code"], message: string) => notices.push({ code, message });
  const weak = scored.filter((s) => s.citation.valid && (s.citation.support ?? 1) < threshold);
  for (const s of weak.slice(0, MAX_LISTED_WARNINGS)) {
    const missing = s.citation.missing && s.citation.missing.length > 0 ? `; not in [${s.citation.index}]: ${s.citation.missing.join(", ")}` : "";
    add("UNSUPPORTED_CITATION", `${UNSUPPORTED_WARNING} [${s.citation.index}] (support ${(s.citation.support ?? 0).toFixed(2)} < ${threshold.toFixed(2)}): "${excerpt(s.sentence.claim)}"${missing}`);
  }
  if (weak.length > MAX_LISTED_WARNINGS) {
    add("UNSUPPORTED_CITATION", `${MORE_GROUNDING_WARNING} ${weak.length - MAX_LISTED_WARNINGS} more unsupported citation(s)`);
  }
  for (const u of uncited.slice(0, MAX_LISTED_WARNINGS)) {
    add("UNCITED_CLAIM", `${UNCITED_WARNING}: "${excerpt(u.sentence)}" (${u.specifics.join(", ")})`);
  }
  if (uncited.length > MAX_LISTED_WARNINGS) {
    add("UNCITED_CLAIM", `${MORE_GROUNDING_WARNING} ${uncited.length - MAX_LISTED_WARNINGS} more sentence(s) state specifics without a citation`);
  }
  return notices;
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
    ...withWarnings(groundingNotices(scored, uncited, threshold)),
  };
}
